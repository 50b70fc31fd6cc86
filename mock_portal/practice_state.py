"""Practice and training test sessions: sessions, their students and the approval log.

Pure logic over the SQLite tables ``practice_sessions``, ``practice_students`` and
``practice_log``; the TA Training Site (``practice.py``), the student interface
(``student_site.py``) and the test API all go through these functions.

A student moves through these states::

    signing-in -> waiting -> approved -> paused (an SSID student may sign in again: waiting)
                         \\-> denied (may sign in again)
    any active state -> logged-out (answered "No", idle, or the session ended)
"""

from __future__ import annotations

import secrets
import sqlite3
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

from . import messages
from .practice_catalog import (
    PRACTICE_TEST_BY_KEY,
    PRACTICE_TESTS,
    PracticeTest,
    practice_test,
)

__all__ = [
    "ACTIVE_STATES",
    "PracticeSession",
    "PracticeStudent",
    "Rejected",
    "answer_is_this_you",
    "approve",
    "approve_all",
    "choose_test",
    "clear",
    "create_session",
    "deny",
    "expire_idle",
    "find_session",
    "get_student",
    "list_sessions",
    "pause",
    "practice_test",
    "random_session_id",
    "return_student",
    "session_json",
    "session_of",
    "sign_in",
    "stop_session",
    "student_json",
    "students_of",
    "touch_session",
    "touch_student",
]

StudentState = Literal["signing-in", "waiting", "approved", "denied", "paused", "logged-out"]
# States in which the student is signed in (and can be logged out by idleness or a stop).
ACTIVE_STATES: Final = ("signing-in", "waiting", "approved")
_ACTIVE_SQL: Final = "('signing-in', 'waiting', 'approved')"
STATE_LABELS: Final = {
    "signing-in": "Signing In",
    "waiting": "Waiting for Approval",
    "approved": "Approved",
    "denied": "Denied",
    "paused": "Paused",
    "logged-out": "Logged Out",
}
REASON_MAX: Final = 200


class Rejected(Exception):
    """A request broke a rule; nothing was changed."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class PracticeSession:
    """One practice session of one test administrator."""

    pk: int
    code: str
    ta_user_id: int
    ta: str
    remote: bool
    tests: tuple[PracticeTest, ...]
    active: bool
    end_reason: str | None

    @property
    def status(self) -> Literal["active", "ended"]:
        """``active`` or ``ended``."""
        return "active" if self.active else "ended"


@dataclass(frozen=True)
class PracticeStudent:
    """One student signed in to a practice session (one row per SSID, one per guest sign-in)."""

    token: str
    session_pk: int
    first_name: str
    ssid: str | None
    guest: bool
    test: PracticeTest | None
    state: StudentState
    reason: str | None
    resume: bool
    logout_reason: str | None

    @property
    def shown_ssid(self) -> str:
        """What the TA and the "Is This You?" page show as the SSID."""
        return self.ssid if self.ssid is not None else "Guest"

    @property
    def state_label(self) -> str:
        """The state as the Students tab shows it."""
        return STATE_LABELS[self.state]


def iso(at: float) -> str:
    """A clock value as ``2026-05-28T10:00:00Z``."""
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# --- sessions --------------------------------------------------------------------------------


def random_session_id() -> str:
    """A fresh Practice Session ID, ``CA-XXX-NNN`` (3 capital letters, 3 digits)."""
    letters = "".join(secrets.choice(string.ascii_uppercase) for _ in range(3))
    return f"CA-{letters}-{secrets.randbelow(1000):03d}"


_SESSION_COLUMNS = "pk, code, ta_user_id, ta_username, remote, tests, ended_at, end_reason"


def _session(row: sqlite3.Row) -> PracticeSession:
    keys = [k for k in row["tests"].split(",") if k in PRACTICE_TEST_BY_KEY]
    return PracticeSession(
        pk=row["pk"],
        code=row["code"],
        ta_user_id=row["ta_user_id"],
        ta=row["ta_username"],
        remote=bool(row["remote"]),
        tests=tuple(PRACTICE_TEST_BY_KEY[k] for k in keys),
        active=row["ended_at"] is None,
        end_reason=row["end_reason"],
    )


def create_session(
    db: sqlite3.Connection,
    *,
    user_id: int,
    username: str,
    remote: bool,
    test_keys: list[str],
    now: float,
) -> PracticeSession:
    """Start a session offering ``test_keys``; its ID is unique among active sessions.

    Raises:
        Rejected: no known test chosen.
    """
    chosen = [t.key for t in PRACTICE_TESTS if t.key in set(test_keys)]
    if not chosen:
        raise Rejected(messages.SELECT_TEST_REQUIRED)
    # The partial unique index on active codes settles races between threads.
    for _ in range(1000):
        code = random_session_id()
        try:
            cursor = db.execute(
                "INSERT INTO practice_sessions (code, ta_user_id, ta_username, remote, tests,"
                " created_at, ta_last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (code, user_id, username, int(remote), ",".join(chosen), now, now),
            )
        except sqlite3.IntegrityError:
            continue
        found = _session_by_pk(db, int(cursor.lastrowid or 0))
        assert found is not None
        return found
    raise RuntimeError("no free Practice Session ID")


def _session_by_pk(db: sqlite3.Connection, pk: int) -> PracticeSession | None:
    row = db.execute(
        f"SELECT {_SESSION_COLUMNS} FROM practice_sessions WHERE pk = ?", (pk,)
    ).fetchone()
    return _session(row) if row else None


def session_of(db: sqlite3.Connection, student: PracticeStudent) -> PracticeSession:
    """The session a student signed in to."""
    found = _session_by_pk(db, student.session_pk)
    assert found is not None
    return found


def find_session(db: sqlite3.Connection, code: str) -> PracticeSession | None:
    """The active session with this ID, else the newest ended one (IDs are reused only later)."""
    row = db.execute(
        f"SELECT {_SESSION_COLUMNS} FROM practice_sessions WHERE code = ?"
        " ORDER BY ended_at IS NULL DESC, pk DESC LIMIT 1",
        (code.strip().upper(),),
    ).fetchone()
    return _session(row) if row else None


def list_sessions(db: sqlite3.Connection, *, user_id: int | None = None) -> list[PracticeSession]:
    """Every session, oldest first; only the TA's own with ``user_id``."""
    where, params = ("WHERE ta_user_id = ?", (user_id,)) if user_id is not None else ("", ())
    rows = db.execute(
        f"SELECT {_SESSION_COLUMNS} FROM practice_sessions {where} ORDER BY pk", params
    ).fetchall()
    return [_session(r) for r in rows]


def touch_session(db: sqlite3.Connection, session: PracticeSession, now: float) -> None:
    """Record activity of the TA on the session's pages."""
    db.execute(
        "UPDATE practice_sessions SET ta_last_seen = ? WHERE pk = ? AND ended_at IS NULL",
        (now, session.pk),
    )


def _end_sessions(
    db: sqlite3.Connection, where: str, params: tuple[Any, ...], now: float, reason: str
) -> None:
    pks = [
        r["pk"]
        for r in db.execute(
            f"SELECT pk FROM practice_sessions WHERE ended_at IS NULL AND {where}", params
        ).fetchall()
    ]
    for pk in pks:
        db.execute(
            "UPDATE practice_sessions SET ended_at = ?, end_reason = ? WHERE pk = ?",
            (now, reason, pk),
        )
        db.execute(
            "UPDATE practice_students SET state = 'logged-out', logout_reason = 'session-ended'"
            f" WHERE session_pk = ? AND state IN {_ACTIVE_SQL}",
            (pk,),
        )


def stop_session(db: sqlite3.Connection, session: PracticeSession, now: float) -> None:
    """End the session and log out its students (idempotent)."""
    _end_sessions(db, "pk = ?", (session.pk,), now, "stopped")


def expire_idle(db: sqlite3.Connection, now: float, timeout_s: float) -> None:
    """End sessions whose TA and log out students who made no request for ``timeout_s``."""
    limit = now - timeout_s
    _end_sessions(db, "ta_last_seen < ?", (limit,), now, "idle")
    db.execute(
        "UPDATE practice_students SET state = 'logged-out', logout_reason = 'idle'"
        f" WHERE last_seen < ? AND state IN {_ACTIVE_SQL}",
        (limit,),
    )


def clear(db: sqlite3.Connection) -> None:
    """Forget every practice session, student and decision."""
    for table in ("practice_log", "practice_students", "practice_sessions"):
        db.execute(f"DELETE FROM {table}")


# --- students --------------------------------------------------------------------------------

_STUDENT_COLUMNS = (
    "token, session_pk, first_name, ssid, guest, test, state, reason, resume, logout_reason"
)


def _student(row: sqlite3.Row) -> PracticeStudent:
    return PracticeStudent(
        token=row["token"],
        session_pk=row["session_pk"],
        first_name=row["first_name"],
        ssid=row["ssid"],
        guest=bool(row["guest"]),
        test=PRACTICE_TEST_BY_KEY.get(row["test"] or ""),
        state=row["state"],
        reason=row["reason"],
        resume=bool(row["resume"]),
        logout_reason=row["logout_reason"],
    )


def get_student(db: sqlite3.Connection, token: str | None) -> PracticeStudent | None:
    """The student behind a token, if any."""
    if not token:
        return None
    row = db.execute(
        f"SELECT {_STUDENT_COLUMNS} FROM practice_students WHERE token = ?", (token,)
    ).fetchone()
    return _student(row) if row else None


def students_of(
    db: sqlite3.Connection, session: PracticeSession, state: StudentState | None = None
) -> list[PracticeStudent]:
    """The session's students in sign-in order, optionally only those in ``state``."""
    rows = db.execute(
        f"SELECT {_STUDENT_COLUMNS} FROM practice_students WHERE session_pk = ?"
        " AND (? IS NULL OR state = ?) ORDER BY signed_in_at, rowid",
        (session.pk, state, state),
    ).fetchall()
    return [_student(r) for r in rows]


def touch_student(db: sqlite3.Connection, student: PracticeStudent, now: float) -> None:
    """Record a request of the student."""
    db.execute("UPDATE practice_students SET last_seen = ? WHERE token = ?", (now, student.token))


def _set(db: sqlite3.Connection, token: str, now: float, **values: Any) -> None:
    columns = ", ".join(f"{name} = ?" for name in values)
    db.execute(
        f"UPDATE practice_students SET {columns}, last_seen = ? WHERE token = ?",
        (*values.values(), now, token),
    )


def _refetch(db: sqlite3.Connection, token: str) -> PracticeStudent:
    found = get_student(db, token)
    assert found is not None
    return found


def sign_in(
    db: sqlite3.Connection,
    code: str,
    *,
    first_name: str,
    ssid: str,
    guest: bool,
    now: float,
) -> PracticeStudent:
    """Sign a student in to the session with ID ``code`` (state ``signing-in``).

    The practice site does not check the student against TOMS. A student who signs in again
    with the same SSID gets the same row back; one who had paused (or was waiting or
    approved) keeps the test and returns to waiting once they confirm.

    Raises:
        Rejected: a field is missing or malformed, or the session is unknown or ended.
    """
    first_name, ssid = first_name.strip(), ssid.strip()
    if guest:
        first_name, ssid = first_name or "Guest", ""
    elif not first_name or not ssid:
        raise Rejected(messages.STUDENT_NAME_REQUIRED)
    elif not (len(ssid) == 10 and ssid.isascii() and ssid.isdigit()):
        raise Rejected(messages.SSID_FORMAT)
    session = find_session(db, code) if code.strip() else None
    if session is None or not session.active:
        raise Rejected(messages.PRACTICE_SESSION_INVALID, status=404)
    if not guest:
        row = db.execute(
            f"SELECT {_STUDENT_COLUMNS} FROM practice_students WHERE session_pk = ? AND ssid = ?",
            (session.pk, ssid),
        ).fetchone()
        if row is not None:
            before = _student(row)
            resume = before.test is not None and before.state in ("paused", *ACTIVE_STATES[1:])
            _set(
                db,
                before.token,
                now,
                first_name=first_name,
                state="signing-in",
                reason=None,
                resume=int(resume),
                logout_reason=None,
                test=before.test.key if resume and before.test else None,
            )
            return _refetch(db, before.token)
    token = secrets.token_urlsafe(16)
    db.execute(
        "INSERT INTO practice_students (token, session_pk, first_name, ssid, guest, state,"
        " signed_in_at, last_seen) VALUES (?, ?, ?, ?, ?, 'signing-in', ?, ?)",
        (token, session.pk, first_name, ssid or None, int(guest), now, now),
    )
    return _refetch(db, token)


def answer_is_this_you(
    db: sqlite3.Connection, student: PracticeStudent, *, yes: bool, now: float
) -> PracticeStudent:
    """Answer "Is This You?": yes, choose a test (a returning student waits); no, log out."""
    if not yes:
        _set(db, student.token, now, state="logged-out", logout_reason="not-me")
    elif student.resume and student.test is not None:
        _set(db, student.token, now, state="waiting", resume=0)
    return _refetch(db, student.token)


def choose_test(
    db: sqlite3.Connection,
    student: PracticeStudent,
    session: PracticeSession,
    value: str,
    now: float,
) -> PracticeStudent:
    """Pick one of the session's tests and wait for approval.

    Raises:
        Rejected: not a test of this session.
    """
    test = practice_test(value)
    if test is None or test not in session.tests:
        raise Rejected(messages.SELECT_ONE_TEST)
    _set(db, student.token, now, test=test.key, state="waiting", resume=0)
    return _refetch(db, student.token)


def _log(
    db: sqlite3.Connection,
    student: PracticeStudent,
    action: str,
    reason: str | None,
    by: str,
    now: float,
) -> None:
    db.execute(
        "INSERT INTO practice_log (session_pk, token, action, reason, by_user, at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (student.session_pk, student.token, action, reason, by, now),
    )


def _waiting(db: sqlite3.Connection, session: PracticeSession, token: str) -> PracticeStudent:
    student = get_student(db, token)
    if student is None or student.session_pk != session.pk or student.state != "waiting":
        raise Rejected(messages.STUDENT_NOT_WAITING, status=409)
    return student


def approve(
    db: sqlite3.Connection, session: PracticeSession, token: str, *, by: str, now: float
) -> None:
    """Approve one waiting student.

    Raises:
        Rejected: the student is not waiting in this session.
    """
    student = _waiting(db, session, token)
    db.execute("UPDATE practice_students SET state = 'approved' WHERE token = ?", (token,))
    _log(db, student, "approved", None, by, now)


def approve_all(db: sqlite3.Connection, session: PracticeSession, *, by: str, now: float) -> int:
    """Approve every waiting student; return how many."""
    waiting = students_of(db, session, "waiting")
    for student in waiting:
        approve(db, session, student.token, by=by, now=now)
    return len(waiting)


def deny(
    db: sqlite3.Connection,
    session: PracticeSession,
    token: str,
    reason: str,
    *,
    by: str,
    now: float,
) -> None:
    """Deny one waiting student, with an optional reason they will see.

    Raises:
        Rejected: the student is not waiting in this session.
    """
    student = _waiting(db, session, token)
    text = " ".join(reason.split())[:REASON_MAX] or None
    db.execute(
        "UPDATE practice_students SET state = 'denied', reason = ? WHERE token = ?",
        (text, token),
    )
    _log(db, student, "denied", text, by, now)


def pause(db: sqlite3.Connection, student: PracticeStudent, now: float) -> PracticeStudent:
    """Pause the test: the student is logged out of the session.

    Raises:
        Rejected: the student is not signed in.
    """
    if student.state not in ACTIVE_STATES[1:]:
        raise Rejected(messages.STUDENT_NOT_TESTING, status=409)
    _set(db, student.token, now, state="paused")
    return _refetch(db, student.token)


def return_student(db: sqlite3.Connection, student: PracticeStudent, now: float) -> PracticeStudent:
    """Sign a student with an SSID in again to their test: waiting for a new approval.

    Raises:
        Rejected: a guest, no test chosen before, still signed in, or the session ended.
    """
    session = _session_by_pk(db, student.session_pk)
    if session is None or not session.active:
        raise Rejected(messages.PRACTICE_SESSION_INVALID, status=409)
    if student.guest or student.test is None or student.state in ACTIVE_STATES:
        raise Rejected(messages.STUDENT_CANNOT_RETURN, status=409)
    _set(db, student.token, now, state="waiting", reason=None, resume=0, logout_reason=None)
    return _refetch(db, student.token)


# --- JSON for the test API -------------------------------------------------------------------


def student_json(student: PracticeStudent) -> dict[str, Any]:
    """The student as ``/__mock__/practice`` shows it."""
    return {
        "token": student.token,
        "first_name": student.first_name,
        "ssid": student.ssid,
        "guest": student.guest,
        "test": student.test.name if student.test else None,
        "state": student.state,
        "reason": student.reason,
    }


def session_json(
    db: sqlite3.Connection, session: PracticeSession, link: str | None
) -> dict[str, Any]:
    """The session, its students and its approval log as ``/__mock__/practice`` shows it."""
    names = {s.token: s for s in students_of(db, session)}
    log = db.execute(
        "SELECT token, action, reason, by_user, at FROM practice_log WHERE session_pk = ?"
        " ORDER BY id",
        (session.pk,),
    ).fetchall()
    return {
        "id": session.code,
        "status": session.status,
        "remote": session.remote,
        "link": link if session.remote else None,
        "tests": [t.name for t in session.tests],
        "ta": session.ta,
        "students": [student_json(s) for s in names.values()],
        "log": [
            {
                "token": r["token"],
                "first_name": names[r["token"]].first_name,
                "ssid": names[r["token"]].ssid,
                "action": r["action"],
                "reason": r["reason"],
                "by": r["by_user"],
                "at": iso(r["at"]),
            }
            for r in log
        ],
    }
