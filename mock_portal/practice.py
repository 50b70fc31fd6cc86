"""The Test Administrator Training Site: start practice sessions, approve students, stop."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    g,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from . import messages
from . import practice_state as ps
from .auth import Logon, resolve_session
from .db import get_db
from .faults import apply_faults, finish_faults
from .pages import render
from .practice_catalog import PRACTICE_GROUPS, PRACTICE_TESTS
from .sso import logon_url
from .state import get_state

__all__ = ["bp", "session_link"]

bp = Blueprint("practice", __name__, url_prefix="/ta-training")

MODES = {"in-person": False, "remote": True}


def _return_path() -> str:
    """Where to come back after logging on again: the page, or for a POST its session page."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    code = (request.view_args or {}).get("code")
    return url_for("practice.session_page", code=code) if code else url_for("practice.home")


def require_logon() -> Response | None:
    """``before_request``: the same Single Sign-On logon as TOMS; any TOMS role will do."""
    sid = session.get("sid")
    logon = resolve_session(get_db(), sid if isinstance(sid, str) else None, get_state())
    if logon is None:
        return redirect(logon_url(_return_path(), expired=sid is not None))
    if not logon.roles:
        body = render("message.html", title="Forbidden", message=messages.NO_PERMISSION)
        return make_response(body, 403)
    g.logon = logon
    return None


bp.before_request(apply_faults)
bp.before_request(require_logon)
bp.after_request(finish_faults)


def current_logon() -> Logon:
    """The logon session checked by ``require_logon``."""
    logon = g.logon
    assert isinstance(logon, Logon)
    return logon


def session_link(code: str) -> str:
    """The student interface with the session ID filled in (absolute, to share)."""
    return url_for("student.sign_in", session=code, _external=True)


def _now() -> float:
    return get_state().clock()


def _own_session(code: str) -> ps.PracticeSession:
    """The current TA's session with this ID, after idle expiry and touched; else 404."""
    db = get_db()
    state = get_state()
    ps.expire_idle(db, state.clock(), state.config.practice_idle_timeout_s)
    found = ps.find_session(db, code)
    if found is None or found.ta_user_id != current_logon().user.id:
        abort(404)
    ps.touch_session(db, found, state.clock())
    return found


@bp.get("/")
def home() -> str:
    """Start an in-person or a remote session; links to the TA's active sessions."""
    db = get_db()
    state = get_state()
    ps.expire_idle(db, state.clock(), state.config.practice_idle_timeout_s)
    mine = [s for s in ps.list_sessions(db, user_id=current_logon().user.id) if s.active]
    return render("practice/home.html", logon=current_logon(), sessions=mine)


@bp.post("/start")
def start() -> Response:
    """The two start buttons: go on to choose the tests."""
    mode = request.form.get("mode", "")
    if mode not in MODES:
        abort(400)
    return redirect(url_for("practice.select_tests", mode=mode), code=303)


def _select_page(mode: str, *, chosen: set[str], error: str | None = None) -> str:
    return render(
        "practice/select.html",
        logon=current_logon(),
        mode=mode,
        remote=MODES[mode],
        groups=[(name, [t for t in PRACTICE_TESTS if t.group == name]) for name in PRACTICE_GROUPS],
        chosen=chosen,
        error=error,
    )


@bp.get("/tests")
def select_tests() -> str | Response:
    """Select Tests: checkboxes grouped by program."""
    mode = request.args.get("mode", "")
    if mode not in MODES:
        return redirect(url_for("practice.home"))
    return _select_page(mode, chosen=set())


@bp.post("/tests")
def select_tests_post() -> Response:
    """Start Session with the chosen tests."""
    mode = request.form.get("mode", "")
    if mode not in MODES:
        abort(400)
    keys = request.form.getlist("test")
    logon = current_logon()
    try:
        created = ps.create_session(
            get_db(),
            user_id=logon.user.id,
            username=logon.user.username,
            remote=MODES[mode],
            test_keys=keys,
            now=_now(),
        )
    except ps.Rejected as err:
        return make_response(_select_page(mode, chosen=set(keys), error=err.message), err.status)
    return redirect(url_for("practice.session_page", code=created.code), code=303)


def _session_page(found: ps.PracticeSession, tab: str) -> str:
    db = get_db()
    students = ps.students_of(db, found)
    return render(
        f"practice/{tab}.html",
        logon=current_logon(),
        practice=found,
        link=session_link(found.code) if found.remote else None,
        students=students,
        waiting=[s for s in students if s.state == "waiting"],
        tab=tab,
    )


@bp.get("/session/<code>")
def session_page(code: str) -> str:
    """The session: its ID, link, tests and the Students tab."""
    return _session_page(_own_session(code), "students")


@bp.get("/session/<code>/approvals")
def approvals(code: str) -> str:
    """The Approvals tab: students waiting for approval."""
    return _session_page(_own_session(code), "approvals")


def _back_to_approvals(code: str) -> Response:
    return redirect(url_for("practice.approvals", code=code), code=303)


def _decide(code: str, action: str) -> Response:
    found = _own_session(code)
    if not found.active:
        return _back_to_approvals(found.code)
    db = get_db()
    by = current_logon().user.username
    token = request.form.get("student", "")
    try:
        if action == "approve":
            ps.approve(db, found, token, by=by, now=_now())
        elif action == "deny":
            ps.deny(db, found, token, request.form.get("reason", ""), by=by, now=_now())
        else:
            ps.approve_all(db, found, by=by, now=_now())
    except ps.Rejected:
        pass  # the student left or was decided on meanwhile: the reloaded list shows it
    return _back_to_approvals(found.code)


@bp.post("/session/<code>/approve")
def approve(code: str) -> Response:
    """Approve one student."""
    return _decide(code, "approve")


@bp.post("/session/<code>/approve-all")
def approve_all(code: str) -> Response:
    """Approve All Students."""
    return _decide(code, "approve-all")


@bp.post("/session/<code>/deny")
def deny(code: str) -> Response:
    """Deny one student, with an optional reason."""
    return _decide(code, "deny")


@bp.post("/session/<code>/stop")
def stop(code: str) -> Response:
    """Stop Session: end it and log its students out."""
    found = _own_session(code)
    ps.stop_session(get_db(), found, _now())
    return redirect(url_for("practice.session_page", code=found.code), code=303)
