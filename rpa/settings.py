"""Settings, read from the environment (prefix ``TOMS_``) and an optional ``.env`` file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rpa.errors import SettingsError

__all__ = ["ArtifactMode", "Settings", "load_settings"]

ArtifactMode = Literal["on", "off", "only-on-failure"]

ENV_PREFIX = "TOMS_"


class Settings(BaseSettings):
    """Everything toms-rpa needs to know to reach the portal and where to keep its files."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        # .env may hold other tools' keys; only TOMS_ ones are read, the rest are ignored.
        extra="ignore",
        hide_input_in_errors=True,
        validate_default=True,
    )

    portal_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("https://www.caaspp.org/"),
        description="The CAASPP portal home page, where every flow starts.",
    )
    username: str = Field(default="", description="Single Sign-On username (an e-mail address).")
    password: SecretStr = Field(default=SecretStr(""), description="Single Sign-On password.")
    role: str = Field(default="", description="Text of the role to choose after logon.")
    email_code_command: str = Field(
        default="", description="Shell command that prints the e-mailed logon code."
    )
    # Eight: on two cores with a slow (300 ms) portal, 8 workers do 5.1 rows/s and 16 only 8%
    # more, for 52% more memory (README, Speed); at 0 ms the CPU is the limit anyway.
    workers: int = Field(default=8, ge=1, le=32, description="Browser contexts working at once.")
    headless: bool = True
    browser_path: Path | None = Field(default=None, description="Chromium executable to launch.")
    browser_endpoint: str | None = Field(
        default=None, description="ws:// address of a remote Playwright browser server."
    )
    state_dir: Path = Field(
        default=Path(".state"), description="Runs, journals, saved browser state, artifacts."
    )
    timeout_ms: int = Field(default=30_000, ge=1_000, description="How long to wait for a page.")
    words_file: Path | None = Field(
        default=None,
        description="A TOML file of the portal's own wordings (default: words.toml in the "
        "state directory, when there is one).",
    )
    remember_browser: bool = Field(
        default=True,
        description="Keep the logged-on browser (and the cookie that skips the e-mailed code) "
        "in the state directory between runs; false keeps it in memory for the run only.",
    )
    journal_url: SecretStr | None = Field(
        default=None,
        description="A PostgreSQL database (postgresql://USER@HOST/DATABASE) that keeps the "
        "journal, so that several machines share a run; by default the journal is "
        "journal.sqlite3 in the state directory.",
    )
    # A minute: long beside a student's few seconds and a page's 30 s timeout, so a claim
    # never runs out under a worker that is alive; short enough that a dead machine's rows
    # move on soon.
    journal_lease_s: float = Field(
        default=60.0, ge=2.0, le=3600.0,
        description="Seconds a claim on a student's rows lasts unrenewed (a shared journal): "
        "after that, another machine may take them over.",
    )
    trace: ArtifactMode = Field(default="only-on-failure", description="Playwright traces.")
    screenshot: ArtifactMode = Field(default="only-on-failure", description="Screenshots.")

    @field_validator(
        "browser_path", "browser_endpoint", "words_file", "journal_url", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `TOMS_BROWSER_PATH=` in .env means "not set", not "the current directory".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("journal_url")
    @classmethod
    def _postgres_only(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(
            ("postgresql://", "postgres://")
        ):
            raise ValueError("must be a PostgreSQL address: postgresql://USER@HOST/DATABASE")
        return value

    @field_validator("state_dir", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        return Path(".state") if isinstance(value, str) and not value.strip() else value

    def require_credentials(self) -> None:
        """Raise :class:`SettingsError` naming the first missing credential."""
        if not self.username:
            raise SettingsError(
                "TOMS_USERNAME is not set: put your Single Sign-On username in the environment "
                "or in .env",
                variable="TOMS_USERNAME",
            )
        if not self.password.get_secret_value():
            raise SettingsError(
                "TOMS_PASSWORD is not set: put your Single Sign-On password in the environment "
                "or in .env",
                variable="TOMS_PASSWORD",
            )


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a missing or invalid one raises :class:`SettingsError`.

    The error names the variable and never repeats its value, so a mistyped password is not
    printed.
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as err:
        first = err.errors(include_input=False, include_url=False)[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        variable = f"{ENV_PREFIX}{field.upper()}"
        raise SettingsError(f"{variable} is invalid: {first['msg']}", variable=variable) from None
