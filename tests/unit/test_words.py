"""The word list: every word the flows look for is in it, and every guide word is in its guide."""

from __future__ import annotations

import ast
import re
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from flows import words
from rpa.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
GUIDES = ROOT / "docs" / "portal-guides"
SHARED = ROOT.parent / "shared" / "portal-guides"

# Playwright calls that find things by words, and the argument that holds the words.
BY_WORDS = {
    "get_by_text": 0, "get_by_label": 0, "get_by_title": 0, "get_by_placeholder": 0,
    "get_by_alt_text": 0,
}
# Selectors that name no build's markup: the page's body, and a select's options.
GENERIC_SELECTORS = {"body", "option"}
# Functions whose first string argument is a key of the word list.
KEY_TAKERS = {"pattern", "matches", "texts", "entry"}
SPEC_MAKERS = {"button", "go", "tab", "field", "choice", "labelled", "heading", "message",
               "table", "dialog"}


@pytest.fixture(autouse=True)
def _no_user_words() -> Generator[None, None, None]:
    words.reset()
    yield
    words.reset()


def _literal(node: ast.AST) -> str | None:
    """The text of a literal the code wrote itself: a string, an f-string, re.compile("...")."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "compile" and node.args):
        return _literal(node.args[0])
    return None


def words_in_locators(source: str, name: str = "<code>") -> Iterator[str]:
    """Each word a locator of ``source`` looks for that does not come from the word list."""
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        found: list[ast.AST] = []
        if method in BY_WORDS and node.args:
            found.append(node.args[BY_WORDS[method]])
        if method == "get_by_role":
            found += [k.value for k in node.keywords if k.arg == "name"]
        if method == "filter":
            found += [k.value for k in node.keywords if k.arg in ("has_text", "has_not_text")]
        if method == "locator" and node.args:
            text = _literal(node.args[0])
            if text is not None and text not in GENERIC_SELECTORS:
                yield f"{name}:{node.lineno}: selector {text!r}"
        for value in found:
            text = _literal(value)
            if text is not None:
                yield f"{name}:{node.lineno}: {method} {text!r}"


def keys_used(source: str) -> Iterator[tuple[int, str]]:
    """Each word-list key the code names (Spec definitions, words.pattern(...), ...)."""
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        args = [a for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if node.func.attr in KEY_TAKERS and args:
            yield node.lineno, args[0].value
        if node.func.attr in SPEC_MAKERS and len(args) >= 2 \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "Spec":
            yield node.lineno, args[1].value


def _flow_sources() -> list[Path]:
    return sorted(p for p in (ROOT / "flows").rglob("*.py") if p.name != "words.py")


def test_no_locator_in_the_flows_uses_a_word_that_is_not_in_the_word_list() -> None:
    offending = [
        hit for path in _flow_sources()
        for hit in words_in_locators(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert offending == []


def test_the_scan_finds_a_word_written_into_a_locator() -> None:
    """The test above can fail: each way of writing a word into a locator is found."""
    code = '''
frame.get_by_role("button", name="Continue")
frame.get_by_role("dialog", name=re.compile("Select Role"))
frame.get_by_text(f"No students found for {ssid}")
frame.get_by_label("Email Code")
frame.get_by_role("status").filter(has_text="saved")
frame.locator('iframe[name="theFrame"]')
frame.locator("#okButton")
frame.get_by_role("button", name=words.pattern("search.button"))
frame.locator("body")
'''
    hits = list(words_in_locators(code))
    assert len(hits) == 7, hits
    assert not any("search.button" in hit or "'body'" in hit for hit in hits)


def test_every_key_the_flows_name_is_in_the_word_list() -> None:
    missing = [
        f"{path.relative_to(ROOT)}:{line}: {key}"
        for path in _flow_sources() for line, key in keys_used(path.read_text())
        if key not in words.CATALOGUE
    ]
    assert missing == []
    assert list(keys_used('Spec.button("the x", "no.such.key")')) == [(1, "no.such.key")]


def _guide_line(source: str) -> str:
    guide, _, line = source.rpartition(":")
    lines = (GUIDES / guide).read_text(encoding="utf-8").splitlines()
    return lines[int(line) - 1].replace("**", "")


@pytest.mark.parametrize(
    "entry", [e for e in words.CATALOGUE.values() if e.from_guide], ids=lambda e: e.key
)
def test_a_word_marked_as_from_a_guide_is_in_that_guide_at_that_line(
    entry: words.Entry,
) -> None:
    assert entry.source.split(":")[0] in words.GUIDES
    line = _guide_line(entry.source)
    for word in entry.words:
        assert word in line, f"{entry.key}: {word!r} is not in {entry.source}: {line!r}"


def test_the_citation_check_fails_for_a_word_not_at_its_line() -> None:
    assert "Secure Login" in _guide_line("opt-out-quick-guide.txt:51")
    assert "Secure Logon" not in _guide_line("opt-out-quick-guide.txt:51")


def test_every_entry_not_from_a_guide_knows_several_wordings() -> None:
    """Where no guide shows the step, one wording is a guess: the flows know several."""
    single = [e.key for e in words.CATALOGUE.values()
              if not e.from_guide and len(e.all) < 2 and e.key != "logon.password"]
    assert single == []


@pytest.mark.skipif(not SHARED.is_dir(), reason="the team's shared guides are not here")
def test_the_guides_in_the_repository_are_the_shared_ones() -> None:
    for guide in words.GUIDES:
        assert (GUIDES / guide).read_bytes() == (SHARED / guide).read_bytes(), guide


def test_patterns_ignore_case_spacing_help_marks_and_apostrophes() -> None:
    assert words.matches("search.button", "Search")
    assert words.matches("search.view_edit", "View  &\nEdit Students")
    assert not words.matches("search.button", "SEARCH AGAIN")
    assert words.matches("assignments.action", "Action ?")
    assert words.matches("page.error", "We\u2019re sorry, something broke")
    assert words.matches("page.error", "We're sorry, something broke")
    assert words.matches("results.none", "0 records match your criteria")
    assert words.matches("logon.button", "Secure Logon") and words.matches(
        "logon.button", "Secure Login")


def test_a_users_words_come_first_and_unknown_keys_are_refused(tmp_path: Path) -> None:
    mine = tmp_path / "words.toml"
    mine.write_text('words = 3\n', encoding="utf-8")
    with pytest.raises(InputError, match="must map"):
        words.load_user_words(mine)
    mine.write_text('"code.field" = ["Quux number"]\n"results.none" = "Nothing matched"\n',
                    encoding="utf-8")
    assert words.load_user_words(mine) == 2
    assert words.texts("code.field")[0] == "Quux number"
    assert words.matches("code.field", "Your Quux number")
    assert words.matches("results.none", "Nothing matched your search")
    words.reset()
    assert not words.matches("code.field", "Your Quux number")

    mine.write_text('"code.feild" = ["Quux number"]\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"no entry 'code.feild' \(did you mean 'code.field'"):
        words.load_user_words(mine)
    mine.write_text('"code.field" = [""]\n', encoding="utf-8")
    with pytest.raises(InputError, match="non-empty"):
        words.load_user_words(mine)
    mine.write_text('"code.field" = [', encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        words.load_user_words(mine)


def test_patterns_are_valid_in_javascript_too() -> None:
    """Playwright sends patterns to the page: nothing Python-only may be in them."""
    for key in words.CATALOGUE:
        source = words.pattern(key).pattern
        assert not re.search(r"\(\?[P<=!#]|\\[AZz]", source), (key, source)
