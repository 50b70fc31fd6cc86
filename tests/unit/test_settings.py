"""rpa.settings and rpa.browser.find_browser: what the user configures, and what is chosen."""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path

import pytest

import rpa.browser
from rpa.browser import MISSING_BROWSER_HELP, BrowserChoice, find_browser
from rpa.errors import InputError, SettingsError
from rpa.settings import Settings, load_settings

PASSWORD = "s3cret-value"


@pytest.fixture(autouse=True)
def clean_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Generator[Path, None, None]:
    """No TOMS_ variable from the machine, and a working directory with no stray .env."""
    for name in list(os.environ):
        if name.upper().startswith("TOMS_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def settings_error(**overrides: object) -> SettingsError:
    with pytest.raises(SettingsError) as info:
        load_settings(**overrides)
    return info.value


# Defaults and sources -------------------------------------------------------------------


def test_defaults() -> None:
    settings = load_settings()

    assert str(settings.portal_url) == "https://www.caaspp.org/"
    assert settings.workers == 8
    assert settings.headless is True
    assert settings.browser_path is None
    assert settings.browser_endpoint is None
    assert settings.state_dir == Path(".state")
    assert settings.timeout_ms == 30_000
    assert (settings.trace, settings.screenshot) == ("only-on-failure", "only-on-failure")
    assert settings.username == ""
    assert settings.password.get_secret_value() == ""


def test_overrides_are_typed_and_win_over_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TOMS_WORKERS", "6")
    monkeypatch.setenv("TOMS_HEADLESS", "false")

    settings = load_settings(workers=2, state_dir="/tmp/toms-state", trace="on")

    assert settings.workers == 2
    assert settings.headless is False
    assert settings.state_dir == Path("/tmp/toms-state")
    assert settings.trace == "on"


def test_variables_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOMS_PORTAL_URL", "http://127.0.0.1:5000/")
    monkeypatch.setenv("TOMS_USERNAME", "lea@example.org")
    monkeypatch.setenv("TOMS_PASSWORD", PASSWORD)
    monkeypatch.setenv("TOMS_SCREENSHOT", "off")

    settings = load_settings()

    assert str(settings.portal_url) == "http://127.0.0.1:5000/"
    assert settings.username == "lea@example.org"
    assert settings.password.get_secret_value() == PASSWORD
    assert settings.screenshot == "off"
    assert PASSWORD not in repr(settings)


def test_a_dotenv_file_in_the_working_directory_is_read(clean_env: Path) -> None:
    (clean_env / ".env").write_text(
        "TOMS_USERNAME=site@example.org\n"
        "TOMS_WORKERS=3\n"
        "# another tool's key is ignored, not an error\n"
        "OPENAI_API_KEY=whatever\n",
        encoding="utf-8",
    )

    settings = load_settings()

    assert settings.username == "site@example.org"
    assert settings.workers == 3


def test_the_environment_wins_over_dotenv(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_env / ".env").write_text("TOMS_WORKERS=3\n", encoding="utf-8")
    monkeypatch.setenv("TOMS_WORKERS", "5")

    assert load_settings().workers == 5


@pytest.mark.parametrize("name", ["TOMS_BROWSER_PATH", "TOMS_BROWSER_ENDPOINT"])
@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_browser_setting_means_unset(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    settings = load_settings()

    assert settings.browser_path is None
    assert settings.browser_endpoint is None


def test_an_empty_browser_path_in_dotenv_means_unset(clean_env: Path) -> None:
    (clean_env / ".env").write_text("TOMS_BROWSER_PATH=\n", encoding="utf-8")

    assert load_settings().browser_path is None


def test_a_browser_path_is_a_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOMS_BROWSER_PATH", "/opt/chromium/chrome")

    assert load_settings().browser_path == Path("/opt/chromium/chrome")


# Invalid settings -----------------------------------------------------------------------


def test_a_bad_value_names_its_variable_and_never_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TOMS_PASSWORD", PASSWORD)
    monkeypatch.setenv("TOMS_WORKERS", "many")

    err = settings_error()

    assert err.variable == "TOMS_WORKERS"
    assert str(err).startswith("TOMS_WORKERS is invalid: ")
    assert PASSWORD not in str(err)
    assert "many" not in str(err)
    assert isinstance(err, InputError)
    # Raised `from None`: the pydantic error, which could hold values, is not chained.
    assert err.__cause__ is None
    assert err.__suppress_context__


def test_a_secret_put_in_the_wrong_variable_is_not_echoed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TOMS_TIMEOUT_MS", PASSWORD)

    err = settings_error()

    assert err.variable == "TOMS_TIMEOUT_MS"
    assert PASSWORD not in str(err)


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"workers": 0}, "TOMS_WORKERS"),
        ({"workers": 33}, "TOMS_WORKERS"),
        ({"timeout_ms": 999}, "TOMS_TIMEOUT_MS"),
        ({"trace": "always"}, "TOMS_TRACE"),
        ({"screenshot": "sometimes"}, "TOMS_SCREENSHOT"),
        ({"portal_url": "not a url"}, "TOMS_PORTAL_URL"),
        ({"headless": "maybe"}, "TOMS_HEADLESS"),
    ],
)
def test_each_invalid_setting_is_named(overrides: dict[str, object], variable: str) -> None:
    err = settings_error(**overrides)

    assert err.variable == variable
    assert str(err).startswith(f"{variable} is invalid: ")


def test_a_bad_value_in_dotenv_is_named(clean_env: Path) -> None:
    (clean_env / ".env").write_text(
        f"TOMS_PASSWORD={PASSWORD}\nTOMS_SCREENSHOT=sometimes\n", encoding="utf-8"
    )

    err = settings_error()

    assert err.variable == "TOMS_SCREENSHOT"
    assert PASSWORD not in str(err)


# Credentials ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "password", "variable"),
    [("", "", "TOMS_USERNAME"), ("", PASSWORD, "TOMS_USERNAME"), ("lea@example.org", "",
                                                                   "TOMS_PASSWORD")],
)
def test_require_credentials_names_the_first_missing_one(
    username: str, password: str, variable: str
) -> None:
    settings = load_settings(username=username, password=password)

    with pytest.raises(SettingsError, match=f"^{variable} is not set") as info:
        settings.require_credentials()

    assert info.value.variable == variable


def test_require_credentials_accepts_both() -> None:
    load_settings(username="lea@example.org", password=PASSWORD).require_credentials()


def test_settings_is_the_type_load_settings_returns() -> None:
    assert isinstance(load_settings(), Settings)


# Choosing the browser -------------------------------------------------------------------


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


class Finder:
    """Stands in for the ways of finding Chromium, recording which were asked, in order."""

    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        *,
        playwright: Path | None = None,
        system: list[Path | None] | None = None,
        can_apt: bool = False,
    ) -> None:
        self.asked: list[str] = []
        self.headless: list[bool] = []
        self.system = list(system or [None])
        monkeypatch.setattr(rpa.browser, "_playwright_chromium", self._playwright(playwright))
        monkeypatch.setattr(rpa.browser, "_system_chromium", self._system_chromium)
        monkeypatch.setattr(rpa.browser, "_can_apt_install", self._can_apt(can_apt))
        monkeypatch.setattr(rpa.browser, "_apt_install_chromium", self._apt_install)

    def _playwright(self, found: Path | None) -> object:
        def fake() -> Path | None:
            self.asked.append("playwright")
            return found
        return fake

    def _system_chromium(self, headless: bool = False) -> Path | None:
        self.asked.append("system")
        self.headless.append(headless)
        return self.system.pop(0) if len(self.system) > 1 else self.system[0]

    def _can_apt(self, answer: bool) -> object:
        def fake() -> bool:
            self.asked.append("can apt?")
            return answer
        return fake

    def _apt_install(self) -> None:
        self.asked.append("apt install")


def test_an_executable_override_is_chosen_without_looking_further(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    finder = Finder(monkeypatch, playwright=Path("/pw/chrome"))
    chrome = executable(tmp_path / "bin" / "chrome")

    assert find_browser(chrome) == BrowserChoice(chrome, "TOMS_BROWSER_PATH")
    assert finder.asked == []


@pytest.mark.parametrize("kind", ["missing", "not executable"])
def test_an_override_that_is_not_executable_names_toms_browser_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    finder = Finder(monkeypatch, playwright=Path("/pw/chrome"))
    path = tmp_path / "chrome"
    if kind == "not executable":
        path.write_text("not a program")
        path.chmod(0o644)

    with pytest.raises(SettingsError, match=r"^TOMS_BROWSER_PATH points to ") as info:
        find_browser(path)

    assert info.value.variable == "TOMS_BROWSER_PATH"
    assert str(path) in str(info.value)
    assert finder.asked == []


@pytest.mark.parametrize("headless", [True, False])
def test_a_headless_shell_override_is_refused_only_for_a_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, headless: bool
) -> None:
    Finder(monkeypatch, playwright=Path("/pw/chrome"))
    shell = executable(tmp_path / "lib" / "chromium-headless-shell")

    if headless:
        assert find_browser(shell, headless=True) == BrowserChoice(shell, "TOMS_BROWSER_PATH")
        return
    with pytest.raises(SettingsError, match="a headless shell, which cannot show a window") as info:
        find_browser(shell, headless=False)
    assert info.value.variable == "TOMS_BROWSER_PATH"
    assert "TOMS_HEADLESS is false" in str(info.value)


def test_an_override_that_is_a_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Finder(monkeypatch, playwright=Path("/pw/chrome"))

    with pytest.raises(SettingsError, match="TOMS_BROWSER_PATH"):
        find_browser(tmp_path)


def test_playwrights_chromium_comes_before_a_system_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    finder = Finder(monkeypatch, playwright=Path("/pw/chrome"), system=[Path("/usr/bin/chromium")])

    assert find_browser() == BrowserChoice(None, "Playwright's Chromium")
    assert finder.asked == ["playwright"]


def test_a_system_chromium_is_chosen_when_playwright_has_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    finder = Finder(monkeypatch, system=[Path("/usr/bin/chromium")])

    assert find_browser() == BrowserChoice(Path("/usr/bin/chromium"), "system Chromium")
    assert finder.asked == ["playwright", "system"]


def test_debians_chromium_is_installed_as_a_last_resort_when_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    finder = Finder(monkeypatch, system=[None, Path("/usr/bin/chromium")], can_apt=True)

    choice = find_browser()

    assert choice == BrowserChoice(Path("/usr/bin/chromium"), "Debian's chromium (just installed)")
    assert finder.asked == ["playwright", "system", "can apt?", "apt install", "system"]


def test_nothing_is_installed_when_install_is_false(monkeypatch: pytest.MonkeyPatch) -> None:
    finder = Finder(monkeypatch, can_apt=True)

    with pytest.raises(SettingsError):
        find_browser(install=False)

    assert "apt install" not in finder.asked


@pytest.mark.parametrize("can_apt", [False, True])
def test_with_no_browser_the_error_says_what_to_run(
    monkeypatch: pytest.MonkeyPatch, can_apt: bool
) -> None:
    # With apt allowed, the install is tried but still no Chromium is found afterwards.
    finder = Finder(monkeypatch, can_apt=can_apt)

    with pytest.raises(SettingsError) as info:
        find_browser()

    message = str(info.value)
    assert message == MISSING_BROWSER_HELP
    assert "python -m playwright install chromium" in message
    assert "apt-get install chromium" in message
    assert "TOMS_BROWSER_PATH" in message
    assert info.value.variable == "TOMS_BROWSER_PATH"
    assert ("apt install" in finder.asked) is can_apt


def test_system_chromium_is_found_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rpa.browser, "SYSTEM_CANDIDATES", ())
    chrome = executable(tmp_path / "bin" / "google-chrome")
    monkeypatch.setenv("PATH", str(chrome.parent))

    assert rpa.browser._system_chromium() == chrome


def test_system_chromium_prefers_the_usual_places_to_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usual = executable(tmp_path / "usr" / "bin" / "chromium")
    monkeypatch.setattr(rpa.browser, "SYSTEM_CANDIDATES", (str(tmp_path / "nope"), str(usual)))
    executable(tmp_path / "bin" / "chromium")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))

    assert rpa.browser._system_chromium() == usual


def test_no_system_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rpa.browser, "SYSTEM_CANDIDATES", ())
    monkeypatch.setenv("PATH", str(tmp_path))

    assert rpa.browser._system_chromium() is None


def test_system_search_passes_on_whether_the_run_is_headless(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    finder = Finder(monkeypatch, system=[Path("/usr/bin/chromium")])

    find_browser(headless=False)
    find_browser()

    assert finder.headless == [False, True]


@pytest.mark.parametrize(
    ("installed", "headless", "chosen"),
    [
        (["chromium", "shell"], True, "shell"),
        (["chromium", "shell"], False, "chromium"),
        (["chromium"], True, "chromium"),
        (["shell"], False, None),
    ],
)
def test_headless_runs_prefer_the_systems_headless_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, installed: list[str], headless: bool,
    chosen: str | None,
) -> None:
    paths = {
        "chromium": tmp_path / "usr" / "bin" / "chromium",
        "shell": tmp_path / "usr" / "lib" / "chromium" / "chromium-headless-shell",
    }
    for name in installed:
        executable(paths[name])
    monkeypatch.setattr(rpa.browser, "SYSTEM_CANDIDATES", (str(paths["chromium"]),))
    monkeypatch.setattr(rpa.browser, "SHELL_CANDIDATES", (str(paths["shell"]),))
    monkeypatch.setattr(rpa.browser, "PATH_NAMES", ())
    monkeypatch.setattr(rpa.browser, "SHELL_NAMES", ())
    monkeypatch.setattr(rpa.browser, "_playwright_chromium", lambda: None)

    if chosen is None:
        with pytest.raises(SettingsError, match="No Chromium was found"):
            find_browser(install=False, headless=headless)
        return
    choice = find_browser(install=False, headless=headless)

    assert choice.executable == paths[chosen]
    assert choice.source == (
        "system Chromium headless shell" if chosen == "shell" else "system Chromium"
    )


@pytest.mark.parametrize("per_row", [0.0, 0.25, 1.0, 1.81, 4.0])
def test_browser_floor_spreads_fractional_loads_exactly(per_row: float) -> None:
    from benchmarks.browser_floor import loads_for

    counts = [loads_for(row, per_row) for row in range(400)]
    assert sum(counts) == round(400 * per_row)
    assert max(counts) - min(counts) <= 1
