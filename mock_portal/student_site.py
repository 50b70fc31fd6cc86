"""The student interface of the practice site: sign in, confirm, choose a test, wait, test.

No logon: the student's row is found through a token kept in the Flask session cookie.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    jsonify,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from . import messages
from . import practice_state as ps
from .db import get_db
from .faults import apply_faults, finish_faults
from .pages import render
from .state import get_state

__all__ = ["bp"]

bp = Blueprint("student", __name__, url_prefix="/student")
bp.before_request(apply_faults)
bp.after_request(finish_faults)

STUDENT_KEY = "practice_student"
NOTICE_KEY = "practice_notice"
# The page each signed-in state belongs on.
STEP_PAGES = {
    "signing-in": "student.confirm",
    "waiting": "student.waiting",
    "approved": "student.approved",
}
LOGOUT_NOTICES = {
    "session-ended": messages.STUDENT_SESSION_ENDED,
    "idle": messages.STUDENT_IDLE,
}


def _now() -> float:
    return get_state().clock()


def _notice(student: ps.PracticeStudent) -> dict[str, Any] | None:
    """What the sign-in page tells a student who is no longer signed in, and why."""
    if student.state == "denied":
        lines = [messages.STUDENT_DENIED]
        if student.reason:
            lines.append(f"Reason: {student.reason}")
        return {"role": "alert", "lines": lines}
    if student.state == "paused":
        text = messages.GUEST_TEST_PAUSED if student.guest else messages.TEST_PAUSED
        return {"role": "status", "lines": [text]}
    notice = LOGOUT_NOTICES.get(student.logout_reason or "")
    return {"role": "status", "lines": [notice]} if notice else None


def _sign_out(student: ps.PracticeStudent) -> None:
    session.pop(STUDENT_KEY, None)
    notice = _notice(student)
    if notice is not None:
        session[NOTICE_KEY] = notice


def _student(*, sign_out: bool = True) -> ps.PracticeStudent | None:
    """The signed-in student of this browser, after idle expiry, touched.

    A student no longer signed in (denied, paused, logged out) is signed out of this browser
    with a notice for the sign-in page, and None returned; with ``sign_out=False`` the row is
    returned as it is.
    """
    db = get_db()
    state = get_state()
    ps.expire_idle(db, state.clock(), state.config.practice_idle_timeout_s)
    token = session.get(STUDENT_KEY)
    student = ps.get_student(db, token if isinstance(token, str) else None)
    if student is None:
        session.pop(STUDENT_KEY, None)
        return None
    if student.state not in ps.ACTIVE_STATES:
        if not sign_out:
            return student
        _sign_out(student)
        return None
    ps.touch_student(db, student, state.clock())
    return student


def _at(*states: str) -> ps.PracticeStudent | Response:
    """The student if in one of ``states``; else a redirect to the page of their state."""
    student = _student()
    if student is None:
        return redirect(url_for("student.sign_in"))
    if student.state not in states:
        return redirect(url_for(STEP_PAGES[student.state]))
    return student


def _sign_in_page(form: dict[str, Any], *, error: str | None = None) -> str:
    return render(
        "student/sign_in.html", form=form, error=error, notice=session.pop(NOTICE_KEY, None)
    )


@bp.get("/")
def sign_in() -> str:
    """Student Sign In; ``?session=`` fills in the Session ID (the remote session link)."""
    _student()
    form = {
        "first_name": "",
        "ssid": "",
        "session_id": request.args.get("session", ""),
        "guest": False,
    }
    return _sign_in_page(form)


@bp.post("/")
def sign_in_post() -> str | Response:
    """Check the fields and the session; then "Is This You?"."""
    form = {
        "first_name": request.form.get("first_name", ""),
        "ssid": request.form.get("ssid", ""),
        "session_id": request.form.get("session_id", ""),
        "guest": bool(request.form.get("guest")),
    }
    session.pop(NOTICE_KEY, None)
    try:
        student = ps.sign_in(
            get_db(),
            str(form["session_id"]),
            first_name=str(form["first_name"]),
            ssid=str(form["ssid"]),
            guest=bool(form["guest"]),
            now=_now(),
        )
    except ps.Rejected as err:
        return make_response(_sign_in_page(form, error=err.message), err.status)
    session[STUDENT_KEY] = student.token
    return redirect(url_for("student.confirm"), code=303)


@bp.get("/confirm")
def confirm() -> str | Response:
    """Is This You?"""
    found = _at("signing-in")
    if isinstance(found, Response):
        return found
    code = ps.session_of(get_db(), found).code
    return render("student/confirm.html", student=found, code=code)


@bp.post("/confirm")
def confirm_post() -> Response:
    """Yes: choose a test (or, returning to a paused test, wait). No: back to sign in."""
    found = _at("signing-in")
    if isinstance(found, Response):
        return found
    db = get_db()
    yes = request.form.get("answer") == "yes"
    after = ps.answer_is_this_you(db, found, yes=yes, now=_now())
    if not yes:
        session.pop(STUDENT_KEY, None)
        return redirect(url_for("student.sign_in", session=ps.session_of(db, after).code))
    endpoint = "student.waiting" if after.state == "waiting" else "student.choose"
    return redirect(url_for(endpoint), code=303)


def _choose_page(student: ps.PracticeStudent, *, error: str | None = None) -> str:
    practice = ps.session_of(get_db(), student)
    return render("student/choose.html", tests=practice.tests, error=error)


@bp.get("/tests")
def choose() -> str | Response:
    """Choose a Test: the session's tests."""
    found = _at("signing-in")
    if isinstance(found, Response):
        return found
    return _choose_page(found)


@bp.post("/tests")
def choose_post() -> str | Response:
    """Select: wait for approval."""
    found = _at("signing-in")
    if isinstance(found, Response):
        return found
    db = get_db()
    try:
        ps.choose_test(db, found, ps.session_of(db, found), request.form.get("test", ""), _now())
    except ps.Rejected as err:
        return make_response(_choose_page(found, error=err.message), err.status)
    return redirect(url_for("student.waiting"), code=303)


@bp.get("/waiting")
def waiting() -> str | Response:
    """Waiting for Approval (the page polls ``status`` and reloads when it changes)."""
    found = _at("waiting")
    if isinstance(found, Response):
        return found
    return render("student/waiting.html", student=found)


@bp.get("/status")
def status() -> Response:
    """The student's state, for the waiting page's poll (``none`` when not signed in)."""
    found = _student(sign_out=False)
    return jsonify({"state": found.state if found is not None else "none"})


@bp.get("/approved")
def approved() -> str | Response:
    """You Are Approved."""
    found = _at("approved")
    if isinstance(found, Response):
        return found
    return render("student/approved.html", student=found)


@bp.get("/test")
def test_page() -> str | Response:
    """The test itself (a placeholder with Pause Test)."""
    found = _at("approved")
    if isinstance(found, Response):
        return found
    return render("student/test.html", student=found)


@bp.post("/pause")
def pause() -> Response:
    """Pause Test: the student is logged out of the session."""
    found = _at("approved")
    if isinstance(found, Response):
        return found
    _sign_out(ps.pause(get_db(), found, _now()))
    return redirect(url_for("student.sign_in"), code=303)
