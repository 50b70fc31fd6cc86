"""Views without an address of their own: HTML fragments the alt build's pages fetch by script.

The alt search page fills its results from ``GET /toms/frame/students/results``; the alt
Student Profile fills its Test Assignments from ``GET /toms/frame/students/ID/assignments/view``
and its bottom SAVE posts there, getting the view back as stored. They are frame requests like
the pages around them (logon, role, faults and delays alike): an error page lands in the view,
and an ended session answers with the page that sends the window to the logon page.
"""

from __future__ import annotations

from flask import Blueprint, make_response, render_template, request
from werkzeug.wrappers import Response

from . import messages
from .db import get_db
from .faults import apply_faults, finish_faults
from .messages_alt import CODE_OPTION_CODES
from .students import SaveRejected, SaveRequest, SearchCriteria, StudentRow, assignments_of, search
from .toms import frame_message, require_logon, role_scope, silenced, store, student_or_404

__all__ = ["bp"]

bp = Blueprint("views", __name__, url_prefix="/toms/frame")
bp.before_request(apply_faults)
bp.before_request(require_logon)
bp.after_request(finish_faults)


@bp.get("/students/results")
def results() -> str | Response:
    """The search results of the alt search page, for the criteria in the query string."""
    scope = role_scope()
    if scope is None:
        return frame_message("Students", messages.NO_PERMISSION, 403)
    criteria = SearchCriteria.from_args(request.args)
    error = criteria.problem()
    found, total = search(get_db(), scope, criteria) if error is None else ([], 0)
    return render_template("alt/frame/_results.html", error=error, results=found, total=total)


def _view(student: StudentRow, *, error: str | None = None, saved: bool = False) -> str:
    return render_template(
        "alt/frame/_assignments_view.html",
        student=student,
        assignments=assignments_of(get_db(), student.id),
        error=error,
        saved=saved,
    )


def _code(value: str) -> str:
    """The code behind one of the list's opaque values; any other value is no code at all."""
    value = value.strip()
    return CODE_OPTION_CODES.get(value, f"not-a-code:{value}") if value else ""


def _save_request() -> SaveRequest:
    """The posted save, with the condition code list's opaque values turned back into codes."""
    form = {
        key: _code(value) if key.startswith("code-") else value
        for key, value in request.form.items()
    }
    return SaveRequest.from_form(form, request.form.getlist("assign"))


@bp.route("/students/<int:student_id>/assignments/view", methods=["GET", "POST"])
def assignments_view(student_id: int) -> str | Response:
    """Test Assignments of the alt Student Profile; a POST is its bottom SAVE."""
    found = student_or_404(student_id)
    if isinstance(found, Response):
        return found
    if request.method == "GET":
        return _view(found)
    if (quiet := silenced()) is not None:
        return quiet
    try:
        store(found, _save_request())
    except SaveRejected as err:
        return make_response(_view(found, error=err.message), err.status)
    return _view(found, saved=True)
