"""The builds: every page has an alt twin, mixed is seeded, the server is the same in all."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

import mock_portal
from mock_portal import PortalConfig, create_app
from mock_portal.builds import KINDS, TEMPLATE_KINDS, alt_kinds
from mock_portal.cli import build_parser, config_from_args
from mock_portal.config import Build

from .aria import find_role
from .conftest import LEA, log_on

TEMPLATES = Path(mock_portal.__file__).resolve().parent / "templates"
# Templates other templates extend or include: never rendered by name.
PARTS = {
    "base.html",
    "_site_nav.html",
    "frame/base.html",
    "frame/profile.html",
    "practice/base.html",
    "practice/session.html",
}


def test_every_page_template_has_a_kind_and_an_alt_twin() -> None:
    pages = {
        str(p.relative_to(TEMPLATES))
        for p in TEMPLATES.rglob("*.html")
        if p.relative_to(TEMPLATES).parts[0] != "alt"
        and not p.name.startswith("_")
        and str(p.relative_to(TEMPLATES)) not in PARTS
    }
    assert pages == set(TEMPLATE_KINDS)
    assert all((TEMPLATES / "alt" / page).is_file() for page in pages)
    assert set(TEMPLATE_KINDS.values()) == set(KINDS)


def test_mixed_is_half_alt_and_reproducible() -> None:
    assert alt_kinds("default", 3) == frozenset()
    assert alt_kinds("alt", 3) == frozenset(KINDS)
    mixes = [alt_kinds("mixed", seed) for seed in range(8)]
    assert all(len(mix) == len(KINDS) // 2 for mix in mixes)
    assert mixes == [alt_kinds("mixed", seed) for seed in range(8)]
    assert len(set(mixes)) > 1
    with pytest.raises(ValueError, match="unknown build"):
        alt_kinds("nope", 0)


def test_an_unknown_build_is_refused_at_start_up(config: PortalConfig) -> None:
    config.build = "beta"  # type: ignore[assignment]
    with pytest.raises(ValueError, match="unknown build"):
        create_app(config)


def _logon_button(client: FlaskClient) -> str:
    buttons = [b for b in find_role(client.get("/sso/logon").text, "button")]
    assert len(buttons) == 1
    return buttons[0].get("value") or buttons[0].text


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_mixed_pages_follow_the_seeded_choice(config: PortalConfig, seed: int) -> None:
    config.build, config.build_seed = "mixed", seed
    app = create_app(config)
    with app.test_client() as client:
        described = client.get("/__mock__/build").get_json()
        chosen = alt_kinds("mixed", seed)
        assert described == {
            "build": "mixed",
            "build_seed": seed,
            "kinds": list(KINDS),
            "alt": [k for k in KINDS if k in chosen],
        }
        expected = "Secure Login" if "logon" in chosen else "Secure Logon"
        assert _logon_button(client) == expected
        home = client.get("/").text
        assert ("alt/alt.css" in home) == ("portal" in chosen)


def test_the_test_api_is_the_same_in_every_build(config: PortalConfig) -> None:
    answers = []
    builds: tuple[Build, ...] = ("default", "alt", "mixed")
    for build in builds:
        config.build = build
        with create_app(config).test_client() as client:
            log_on(client, LEA)
            answers.append(
                (
                    client.get("/__mock__/students?grade=11").get_json(),
                    client.get("/__mock__/faults").get_json(),
                    client.get("/__mock__/audit").get_json(),
                    client.get("/__mock__/students/0000000000").status_code,
                    len(client.get("/__mock__/outbox", query_string={"to": LEA}).text),
                    sorted(client.get("/__mock__/stats").get_json()),
                )
            )
    assert answers[0] == answers[1] == answers[2]


def test_command_line_options() -> None:
    args = build_parser().parse_args(
        ["--build", "mixed", "--build-seed", "7", "--silent-save", "--code-page", "unknown"]
    )
    config = config_from_args(args)
    assert (config.build, config.build_seed, config.silent_save, config.code_page) == (
        "mixed",
        7,
        True,
        "unknown",
    )
    defaults = config_from_args(build_parser().parse_args([]))
    assert (defaults.build, defaults.silent_save, defaults.code_page) == (
        "default",
        False,
        "default",
    )
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--build", "beta"])
    assert "--build {default,alt,mixed}" in build_parser().format_help()
