"""Accounts, logon sessions, remembered devices and e-mailed codes (server-side state)."""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from typing import Final

from werkzeug.security import check_password_hash

from .catalog import ROLE_LEA, ROLE_SITE
from .state import PortalState

__all__ = [
    "CODE_TTL_S",
    "DEVICE_COOKIE",
    "Logon",
    "Role",
    "User",
    "check_password",
    "end_session",
    "issue_code",
    "new_device",
    "open_session",
    "resolve_session",
]

CODE_TTL_S: Final = 15 * 60
DEVICE_COOKIE: Final = "toms_device"
DEVICE_MAX_AGE_S: Final = 400 * 24 * 3600


@dataclass(frozen=True)
class User:
    """A portal account."""

    id: int
    username: str
    display_name: str


@dataclass(frozen=True)
class Role:
    """One role a user holds, at one organization."""

    id: int
    role: str
    org_cds: str
    org_name: str

    @property
    def label(self) -> str:
        """The text TOMS shows for the role, e.g. ``LEA CAASPP Coordinator - X (CDS)``."""
        return f"{self.role} - {self.org_name} ({self.org_cds})"

    @property
    def can_view_students(self) -> bool:
        """Only coordinators may view and edit students."""
        return self.role in (ROLE_LEA, ROLE_SITE)


@dataclass(frozen=True)
class Logon:
    """The logon session of the current request."""

    sid: str
    user: User
    roles: tuple[Role, ...]
    role: Role | None


def find_user(db: sqlite3.Connection, username: str) -> User | None:
    """The account with this username (case-insensitive), if any."""
    row = db.execute(
        "SELECT id, username, display_name FROM users WHERE lower(username) = lower(?)",
        (username,),
    ).fetchone()
    return User(row["id"], row["username"], row["display_name"]) if row else None


def check_password(db: sqlite3.Connection, username: str, password: str) -> User | None:
    """The account if the username and password match, else None."""
    row = db.execute(
        "SELECT id, username, display_name, password_hash FROM users"
        " WHERE lower(username) = lower(?)",
        (username,),
    ).fetchone()
    if row is None or not check_password_hash(row["password_hash"], password):
        return None
    return User(row["id"], row["username"], row["display_name"])


def roles_of(db: sqlite3.Connection, user_id: int) -> tuple[Role, ...]:
    """The user's roles in a stable order."""
    rows = db.execute(
        "SELECT r.id, r.role, r.org_cds, o.name FROM roles r JOIN orgs o ON o.cds = r.org_cds"
        " WHERE r.user_id = ? ORDER BY r.id",
        (user_id,),
    ).fetchall()
    return tuple(Role(r["id"], r["role"], r["org_cds"], r["name"]) for r in rows)


def device_known(db: sqlite3.Connection, token: str | None, user_id: int) -> bool:
    """Whether this browser passed the e-mail code step for this user before."""
    if not token:
        return False
    row = db.execute(
        "SELECT 1 FROM devices WHERE token = ? AND user_id = ?", (token, user_id)
    ).fetchone()
    return row is not None


def new_device(db: sqlite3.Connection, user_id: int, now: float) -> str:
    """Remember a browser for this user; return the token for its cookie."""
    token = secrets.token_urlsafe(32)
    db.execute("INSERT INTO devices VALUES (?, ?, ?)", (token, user_id, now))
    return token


def issue_code(db: sqlite3.Connection, user: User, now: float) -> str:
    """Create and 'e-mail' a 6-digit code (readable through the outbox endpoint)."""
    code = f"{secrets.randbelow(10**6):06d}"
    db.execute(
        "INSERT INTO email_codes (user_id, recipient, code, created_at) VALUES (?, ?, ?, ?)",
        (user.id, user.username, code, now),
    )
    return code


def latest_code(db: sqlite3.Connection, user_id: int) -> sqlite3.Row | None:
    """The newest unused code sent to the user."""
    row: sqlite3.Row | None = db.execute(
        "SELECT id, code, created_at FROM email_codes WHERE user_id = ? AND used_at IS NULL"
        " ORDER BY id DESC LIMIT 1",
        (user_id,),
    ).fetchone()
    return row


def open_session(db: sqlite3.Connection, user_id: int, now: float) -> str:
    """Start a logon session; a user with a single role has it chosen at once."""
    sid = secrets.token_urlsafe(32)
    roles = roles_of(db, user_id)
    role_id = roles[0].id if len(roles) == 1 else None
    db.execute(
        "INSERT INTO logon_sessions (sid, user_id, role_id, created_at, last_seen)"
        " VALUES (?, ?, ?, ?, ?)",
        (sid, user_id, role_id, now, now),
    )
    return sid


def end_session(db: sqlite3.Connection, sid: str, now: float, reason: str) -> None:
    """End a logon session (idempotent)."""
    db.execute(
        "UPDATE logon_sessions SET ended_at = ?, end_reason = ? WHERE sid = ? AND ended_at IS NULL",
        (now, reason, sid),
    )


def choose_role(db: sqlite3.Connection, sid: str, role_id: int) -> None:
    """Record the role the user works in for this logon session."""
    db.execute("UPDATE logon_sessions SET role_id = ? WHERE sid = ?", (role_id, sid))


def resolve_session(db: sqlite3.Connection, sid: str | None, state: PortalState) -> Logon | None:
    """The live logon session for ``sid``, touched; None if absent or ended (it is then ended).

    A session ends after ``idle_timeout_s`` without a request, ``session_lifetime_s`` after
    logon, or at random with probability ``session_expiry_rate`` per request; under the
    ``end_new_sessions`` fault, a session ends at its first request after the logon.
    """
    if not sid:
        return None
    row = db.execute(
        "SELECT sid, user_id, role_id, created_at, last_seen, ended_at FROM logon_sessions"
        " WHERE sid = ?",
        (sid,),
    ).fetchone()
    if row is None or row["ended_at"] is not None:
        return None
    now = state.clock()
    faults = state.faults
    reason = None
    if now - row["last_seen"] > faults.idle_timeout_s:
        reason = "idle"
    elif (
        faults.session_lifetime_s is not None
        and now - row["created_at"] > faults.session_lifetime_s
    ):
        reason = "lifetime"
    elif faults.session_expiry_rate > 0 and state.draw() < faults.session_expiry_rate:
        reason = "random"
    elif (
        faults.end_new_sessions > 0
        and row["last_seen"] == row["created_at"]
        and state.take("end_new_sessions")
    ):
        reason = "at once"
    if reason is not None:
        end_session(db, sid, now, reason)
        state.count("sessions_expired")
        return None
    db.execute("UPDATE logon_sessions SET last_seen = ? WHERE sid = ?", (now, sid))
    user_row = db.execute(
        "SELECT id, username, display_name FROM users WHERE id = ?", (row["user_id"],)
    ).fetchone()
    user = User(user_row["id"], user_row["username"], user_row["display_name"])
    roles = roles_of(db, user.id)
    role = next((r for r in roles if r.id == row["role_id"]), None)
    return Logon(sid, user, roles, role)
