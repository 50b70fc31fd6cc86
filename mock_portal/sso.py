"""Single Sign-On: logon, the e-mailed code for a new device, log off."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, redirect, request, session, url_for
from werkzeug.wrappers import Response

from . import messages
from .auth import (
    CODE_TTL_S,
    DEVICE_COOKIE,
    DEVICE_MAX_AGE_S,
    check_password,
    device_known,
    end_session,
    issue_code,
    latest_code,
    new_device,
    open_session,
)
from .db import get_db
from .faults import apply_faults, finish_faults
from .pages import render
from .state import get_state

__all__ = ["DEFAULT_NEXT", "bp", "logon_url", "safe_next"]

bp = Blueprint("sso", __name__, url_prefix="/sso")
bp.before_request(apply_faults)
bp.after_request(finish_faults)

DEFAULT_NEXT = "/toms/"
ERROR_NOTICES = {"code-expired": messages.CODE_EXPIRED}
INFO_NOTICES = {"logged-off": messages.LOGGED_OFF}


def safe_next(value: str | None) -> str:
    """Only a local path may be a redirect target (no open redirect)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return DEFAULT_NEXT


def logon_url(next_path: str, *, expired: bool = False, notice: str | None = None) -> str:
    """The logon page that returns to ``next_path`` afterwards."""
    params: dict[str, str] = {"next": next_path}
    if expired:
        params["expired"] = "1"
    if notice:
        params["notice"] = notice
    return f"{url_for('sso.logon')}?{urlencode(params)}"


def _logon_page(
    next_path: str, *, username: str = "", error: str | None = None, info: str | None = None
) -> str:
    return render("sso/logon.html", next=next_path, username=username, error=error, info=info)


@bp.get("/logon")
def logon() -> str:
    """The logon form; says why the user is here after an expiry or an expired code."""
    notice = request.args.get("notice", "")
    error = ERROR_NOTICES.get(notice)
    if request.args.get("expired") == "1":
        error = messages.SESSION_EXPIRED
    return _logon_page(
        safe_next(request.args.get("next")), error=error, info=INFO_NOTICES.get(notice)
    )


@bp.post("/logon")
def logon_post() -> str | Response:
    """Check the credentials; ask for an e-mailed code unless this browser is known."""
    next_path = safe_next(request.form.get("next") or request.args.get("next"))
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    if not username:
        return _logon_page(next_path, error=messages.USERNAME_REQUIRED)
    if not password:
        return _logon_page(next_path, username=username, error=messages.PASSWORD_REQUIRED)
    db = get_db()
    user = check_password(db, username, password)
    if user is None:
        return _logon_page(next_path, username=username, error=messages.BAD_CREDENTIALS)
    state = get_state()
    state.count("password_logons")
    now = state.clock()
    if device_known(db, request.cookies.get(DEVICE_COOKIE), user.id):
        session["sid"] = open_session(db, user.id, now)
        session.pop("pending", None)
        return redirect(next_path)
    issue_code(db, user, now)
    state.count("email_codes_sent")
    session["pending"] = {"user_id": user.id, "next": next_path}
    return redirect(url_for("sso.code"))


def _code_page(error: str | None) -> str:
    """The e-mail code form; in words nobody would guess under the ``code_page`` fault."""
    unknown = get_state().faults.code_page == "unknown"
    return render("sso/code_unknown.html" if unknown else "sso/code.html", error=error)


def _pending() -> tuple[int, str] | None:
    pending = session.get("pending")
    if not isinstance(pending, dict):
        return None
    user_id, next_path = pending.get("user_id"), pending.get("next")
    if not isinstance(user_id, int) or not isinstance(next_path, str):
        return None
    return user_id, safe_next(next_path)


@bp.get("/code")
def code() -> str | Response:
    """The e-mail code form."""
    if _pending() is None:
        return redirect(url_for("sso.logon"))
    return _code_page(None)


@bp.post("/code")
def code_post() -> str | Response:
    """Check the code; on success remember the browser and start the logon session."""
    pending = _pending()
    if pending is None:
        return redirect(url_for("sso.logon"))
    user_id, next_path = pending
    db = get_db()
    now = get_state().clock()
    row = latest_code(db, user_id)
    if row is None or now - row["created_at"] > CODE_TTL_S:
        session.pop("pending", None)
        return redirect(logon_url(next_path, notice="code-expired"))
    if request.form.get("code", "").strip() != row["code"]:
        return _code_page(messages.CODE_INVALID)
    db.execute("UPDATE email_codes SET used_at = ? WHERE id = ?", (now, row["id"]))
    token = new_device(db, user_id, now)
    session["sid"] = open_session(db, user_id, now)
    session.pop("pending", None)
    response = redirect(next_path)
    response.set_cookie(
        DEVICE_COOKIE, token, max_age=DEVICE_MAX_AGE_S, httponly=True, samesite="Lax"
    )
    return response


@bp.get("/logoff")
def logoff() -> Response:
    """End the logon session and go back to the logon page."""
    sid = session.pop("sid", None)
    if isinstance(sid, str):
        end_session(get_db(), sid, get_state().clock(), "logoff")
    return redirect(logon_url(DEFAULT_NEXT, notice="logged-off"))


@bp.get("/forgot-password")
def forgot_password() -> str:
    """Placeholder for the password reset page."""
    return render("sso/simple.html", title="Forgot Your Password?")


@bp.get("/new-password")
def new_password() -> str:
    """Placeholder for the temporary password request page."""
    return render("sso/simple.html", title="Request a New Temporary Password")
