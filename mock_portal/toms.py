"""TOMS: the top-level page with its tabs and ``theFrame``, and the frame pages inside it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import (
    Blueprint,
    g,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from markupsafe import Markup
from werkzeug.wrappers import Response

from . import messages
from .auth import Logon, choose_role, resolve_session
from .db import get_db
from .faults import apply_faults, finish_faults, is_frame_request
from .pages import render
from .sso import logon_url
from .state import get_state
from .students import (
    Organization,
    SaveRejected,
    SaveRequest,
    SearchCriteria,
    StudentRow,
    assignments_of,
    get_student,
    save_changes,
    scope_of,
    search,
)

__all__ = [
    "TABS",
    "bp",
    "current_logon",
    "frame_message",
    "require_logon",
    "role_scope",
    "silenced",
    "store",
    "student_or_404",
]

bp = Blueprint("toms", __name__, url_prefix="/toms")

TABS = {
    "organizations": "Organizations",
    "user": "User",
    "students": "Students",
    "admins": "Admins",
    "stairs": "STAIRS",
    "resources": "Resources",
    "links": "Links",
    "reports": "Reports",
}
PROFILE_TABS = (
    ("demographic", "Demographic"),
    ("assignments", "Test Assignments"),
    ("settings", "Test Settings"),
    ("unlisted-resources", "Unlisted Resources"),
    ("score-status", "Score Status"),
    ("reporting", "Reporting"),
)
PROFILE_PLACEHOLDERS = {key: label for key, label in PROFILE_TABS[2:]}
# Tabs whose panels come with the profile page: selecting one shows it without a request.
IN_PAGE_TABS = ("demographic", "assignments")


def _top_path() -> str:
    """The top-level TOMS page a frame request belongs to (to come back after logon)."""
    if not is_frame_request():
        return request.full_path.rstrip("?") if request.method == "GET" else "/toms/"
    tab = request.path.removeprefix("/toms/frame/").split("/", 1)[0]
    return f"/toms/?tab={tab}" if tab in TABS else "/toms/"


def _send_top(url: str, link_text: str) -> Response:
    """A frame page that moves the whole window (not just the frame) to ``url``."""
    # ``url`` is a local path with a percent-encoded query, so its JSON form is script-safe.
    script_url = Markup(json.dumps(url))  # noqa: S704 - see above
    page = render("frame/to_top.html", url=url, script_url=script_url, link_text=link_text)
    return make_response(page)


def require_logon() -> Response | None:
    """``before_request``: no live logon session, no TOMS.

    An ended session sends a top-level page to the logon page; a frame page answers 200 with
    a script that moves the top window there, as the real TOMS does.
    """
    sid = session.get("sid")
    logon = resolve_session(get_db(), sid if isinstance(sid, str) else None, get_state())
    if logon is None:
        url = logon_url(_top_path(), expired=sid is not None)
        if is_frame_request():
            return _send_top(url, messages.SESSION_EXPIRED)
        return redirect(url)
    g.logon = logon
    if logon.role is None and is_frame_request():
        return _send_top(url_for("toms.home"), messages.SELECT_ROLE)
    return None


bp.before_request(apply_faults)
bp.before_request(require_logon)
bp.after_request(finish_faults)


def current_logon() -> Logon:
    """The logon session checked by ``require_logon``."""
    logon = g.logon
    assert isinstance(logon, Logon)
    return logon


def frame_message(title: str, message: str, status: int) -> Response:
    """A message page in the frame (not found, no permission)."""
    body = render("frame/message.html", title=title, message=message)
    return make_response(body, status)


@bp.get("/")
def home() -> str:
    """MyTOMS with its tabs; asks for a role first when the user has several."""
    logon = current_logon()
    tab = request.args.get("tab", "")
    tab = tab if tab in TABS else ""
    if logon.role is None:
        return render("toms/select_role.html", logon=logon, tab=tab)
    return render("toms/main.html", logon=logon, tabs=TABS, tab=tab)


@bp.get("/role")
def role() -> str:
    """The role dialog, to change role."""
    return render("toms/select_role.html", logon=current_logon(), tab="")


@bp.post("/role")
def role_post() -> str | Response:
    """Work in the chosen role for the rest of this logon session."""
    logon = current_logon()
    chosen = request.form.get("role_id", "")
    role = next((r for r in logon.roles if str(r.id) == chosen), None)
    if role is None:
        page = render("toms/select_role.html", logon=logon, tab="")
        return make_response(page, 400)
    choose_role(get_db(), logon.sid, role.id)
    tab = request.form.get("tab", "")
    return redirect(url_for("toms.home", tab=tab) if tab in TABS else url_for("toms.home"))


@bp.get("/frame/home")
def frame_home() -> str:
    """MyTOMS Home."""
    return render("frame/home.html", logon=current_logon())


@bp.get("/frame/<tab>")
def frame_tab(tab: str) -> str | Response:
    """Tabs the mock does not model."""
    if tab not in TABS or tab == "students":
        return frame_message("Not Found", messages.PAGE_NOT_FOUND, 404)
    return render("frame/placeholder.html", title=TABS[tab])


def role_scope() -> list[Organization] | None:
    """The schools the current role may see; None when it may not view students."""
    role = current_logon().role
    assert role is not None
    return scope_of(get_db(), role)


@bp.get("/frame/students")
def students() -> str | Response:
    """Students > View & Edit Students: the search form and its results."""
    scope = role_scope()
    if scope is None:
        return frame_message("Students", messages.NO_PERMISSION, 403)
    searched = any(name in request.args for name in SearchCriteria.__dataclass_fields__)
    criteria = SearchCriteria.from_args(request.args)
    error = criteria.problem() if searched else None
    results: list[StudentRow] = []
    total = 0
    if searched and error is None:
        results, total = search(get_db(), scope, criteria)
    return render(
        "frame/students.html",
        scope=scope,
        criteria=criteria,
        searched=searched,
        error=error,
        results=results,
        total=total,
    )


def student_or_404(student_id: int) -> StudentRow | Response:
    """The student if the current role may see them, else the frame's message page."""
    scope = role_scope()
    if scope is None:
        return frame_message("Students", messages.NO_PERMISSION, 403)
    student = get_student(get_db(), scope, student_id)
    if student is None:
        return frame_message("Student Not Found", messages.STUDENT_NOT_FOUND, 404)
    return student


def _profile(student: StudentRow, current: str, template: str, **context: object) -> str:
    in_page = () if get_state().faults.profile_tab_pages else IN_PAGE_TABS
    return render(
        template, student=student, tabs=PROFILE_TABS, current=current, in_page=in_page,
        **context,
    )


def _student_page(student: StudentRow, current: str, *, error: str | None = None) -> str:
    """The profile with its Demographic and Test Assignments panels, ``current`` shown."""
    return _profile(
        student,
        current,
        "frame/student.html",
        assignments=assignments_of(get_db(), student.id),
        error=error,
        saved=request.args.get("saved") == "1" and error is None,
    )


@bp.get("/frame/students/<int:student_id>")
def student(student_id: int) -> str | Response:
    """Student Profile > Demographic (Test Assignments is in the page too, hidden)."""
    found = student_or_404(student_id)
    if isinstance(found, Response):
        return found
    return _student_page(found, "demographic")


def _assignments_page(student: StudentRow, *, error: str | None = None) -> str:
    return _student_page(student, "assignments", error=error)


@bp.get("/frame/students/<int:student_id>/assignments")
def assignments(student_id: int) -> str | Response:
    """Student Profile > Test Assignments."""
    found = student_or_404(student_id)
    if isinstance(found, Response):
        return found
    return _assignments_page(found)


def silenced() -> Response | None:
    """Under the ``silent_save`` fault, the bottom SAVE's answer: 204, nothing stored.

    A form posted in a frame that answers 204 No Content leaves the page as it was.
    """
    state = get_state()
    if not state.faults.silent_save:
        return None
    state.count("saves_silenced")
    return make_response("", 204)


def store(student: StudentRow, save: SaveRequest) -> None:
    """Store a bottom SAVE for the current user, audited.

    Raises:
        SaveRejected: a rule was broken; nothing was stored.
    """
    at = datetime.fromtimestamp(get_state().clock(), UTC).isoformat(timespec="seconds")
    user = current_logon().user.username
    save_changes(get_db(), student, save, user=user, at=at.replace("+00:00", "Z"))


@bp.post("/frame/students/<int:student_id>/assignments")
def assignments_post(student_id: int) -> Response:
    """The bottom SAVE: store staged codes and assignment changes, or nothing."""
    found = student_or_404(student_id)
    if isinstance(found, Response):
        return found
    if (quiet := silenced()) is not None:
        return quiet
    try:
        store(found, SaveRequest.from_form(request.form, request.form.getlist("assign")))
    except SaveRejected as err:
        return make_response(_assignments_page(found, error=err.message), err.status)
    return redirect(url_for("toms.assignments", student_id=student_id, saved=1), code=303)


@bp.get("/frame/students/<int:student_id>/<section>")
def student_section(student_id: int, section: str) -> str | Response:
    """Profile tabs the mock does not model."""
    found = student_or_404(student_id)
    if isinstance(found, Response):
        return found
    if section not in PROFILE_PLACEHOLDERS:
        return frame_message("Not Found", messages.PAGE_NOT_FOUND, 404)
    title = PROFILE_PLACEHOLDERS[section]
    return _profile(found, section, "frame/profile_placeholder.html", title=title)
