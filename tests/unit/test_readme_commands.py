"""Every ``toms-rpa`` command line README.md shows runs as shown.

Each one is run as the installed command with ``--help`` added (so that none logs on or serves
for long): argparse reads the whole line first, so an option the command does not take, a
missing argument or a sub-command that does not exist still fails the way it would for a user.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"`((?:[\w./-]*/)?toms-rpa [^`]+)`")


def _command(text: str) -> list[str] | None:
    """The words of ``text`` if it is a toms-rpa command line, without a prompt or comment."""
    words = shlex.split(text.strip().removeprefix("$ "), comments=True)
    if words and Path(words[0]).name == "toms-rpa":
        return words
    return None


def readme_commands(text: str) -> Iterator[list[str]]:
    """The toms-rpa command lines of a README: shell blocks first, then inline code."""
    for language, body in FENCE.findall(text):
        if language in ("", "sh", "shell", "bash", "console"):
            for line in body.splitlines():
                words = _command(line)
                if words:
                    yield words
    for span in INLINE.findall(FENCE.sub("", text)):
        words = _command(span)
        if words:
            yield words


COMMANDS = list(readme_commands(README.read_text(encoding="utf-8")))


def test_the_readme_commands_are_found() -> None:
    shown = [" ".join(words[1:]) for words in COMMANDS]
    assert "portal --port 8000" in shown
    assert "optout apply opt-outs.xlsx" in shown
    assert "doctor" in shown  # written inline: `toms-rpa doctor`
    assert len(shown) >= 7


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every command run once, several at a time (each one starts a Python).

    ``python -m rpa`` runs what the installed ``toms-rpa`` script runs, from this checkout.
    """
    cwd = tmp_path_factory.mktemp("readme")  # no .env, no state directory
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
    ))

    def run(words: list[str]) -> subprocess.CompletedProcess[str]:
        args = words[1:] if "--help" in words else [*words[1:], "--help"]
        return subprocess.run(
            [sys.executable, "-m", "rpa", *args], cwd=cwd, env=env, capture_output=True,
            text=True, timeout=120, check=False, stdin=subprocess.DEVNULL,
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        done = pool.map(run, COMMANDS)
        return {shlex.join(words): outcome for words, outcome in zip(COMMANDS, done, strict=True)}


@pytest.mark.parametrize(
    "command", [shlex.join(words) for words in COMMANDS], ids=[" ".join(w[1:]) for w in COMMANDS]
)
def test_a_readme_command_runs_as_shown(
    command: str, outcomes: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    outcome = outcomes[command]
    said = outcome.stdout + outcome.stderr
    assert outcome.returncode == 0, said
    assert outcome.stderr == "", said
    subcommand = shlex.split(command)[1]
    assert outcome.stdout.startswith(f"usage: toms-rpa {subcommand}"), said
