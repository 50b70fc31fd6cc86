"""``/__mock__/``: inspect and steer the mock from tests (loopback only, no CSRF, no faults)."""

from __future__ import annotations

import ipaddress
import sqlite3
from typing import Any

from flask import Blueprint, Response, abort, jsonify, make_response, request

from . import messages
from . import practice_state as ps
from .builds import KINDS
from .catalog import TEST_BY_KEY, TESTS
from .db import get_db
from .practice import session_link
from .seed import generate, write_dataset
from .state import get_state

__all__ = ["bp", "reseed"]

bp = Blueprint("testapi", __name__, url_prefix="/__mock__")


@bp.before_request
def loopback_only() -> None:
    """Refuse anyone but this machine."""
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        abort(403)
    if not address.is_loopback:
        abort(403)


def _students_json(
    db: sqlite3.Connection, where: str = "", params: tuple[Any, ...] = ()
) -> list[dict[str, Any]]:
    rows = db.execute(
        "SELECT s.id, s.ssid, s.first_name, s.last_name, s.grade, o.name AS school"
        f" FROM students s JOIN orgs o ON o.cds = s.school_cds {where} ORDER BY s.id",
        params,
    ).fetchall()
    by_id: dict[int, dict[str, Any]] = {
        r["id"]: {
            "ssid": r["ssid"],
            "first_name": r["first_name"],
            "last_name": r["last_name"],
            "school": r["school"],
            "grade": r["grade"],
            "assignments": [],
        }
        for r in rows
    }
    order = {t.key: i for i, t in enumerate(TESTS)}
    found = db.execute(
        "SELECT student_id, test, status, condition_code FROM assignments"
    ).fetchall()
    for a in sorted(found, key=lambda a: (a["student_id"], order[a["test"]])):
        student = by_id.get(a["student_id"])
        if student is not None:
            student["assignments"].append(
                {
                    "test": TEST_BY_KEY[a["test"]].name,
                    "status": a["status"],
                    "condition_code": a["condition_code"],
                }
            )
    return list(by_id.values())


@bp.get("/students")
def students() -> Response:
    """Every student, optionally filtered by ``school`` (name or CDS) and ``grade``."""
    where, params = [], []
    if school := request.args.get("school"):
        where.append("(o.name = ? OR o.cds = ?)")
        params += [school, school]
    if grade := request.args.get("grade"):
        where.append("s.grade = ?")
        params.append(grade)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    return jsonify(_students_json(get_db(), clause, tuple(params)))


@bp.get("/students/<ssid>")
def student(ssid: str) -> Response:
    """One student by SSID; 404 if unknown."""
    found = _students_json(get_db(), "WHERE s.ssid = ?", (ssid,))
    if not found:
        return make_response(jsonify({"error": "not found"}), 404)
    return jsonify(found[0])


@bp.get("/audit")
def audit() -> Response:
    """Every condition code stored through the bottom SAVE, oldest first."""
    rows = (
        get_db()
        .execute("SELECT ssid, test, old_code, new_code, user, at FROM audit ORDER BY id")
        .fetchall()
    )
    return jsonify([dict(r) for r in rows])


@bp.get("/outbox")
def outbox() -> Response:
    """The latest code e-mailed to ``to``, as bare text; 404 if none."""
    row = (
        get_db()
        .execute(
            "SELECT code FROM email_codes WHERE lower(recipient) = lower(?)"
            " ORDER BY id DESC LIMIT 1",
            (request.args.get("to", ""),),
        )
        .fetchone()
    )
    if row is None:
        return make_response("no code\n", 404, {"Content-Type": "text/plain; charset=utf-8"})
    return make_response(row["code"], 200, {"Content-Type": "text/plain; charset=utf-8"})


def reseed(students: int, seed: int) -> None:
    """Replace all data, sessions, devices, codes, audit and practice sessions."""
    db = get_db()
    write_dataset(db, generate(seed, students))
    ps.clear(db)


@bp.post("/reset")
def reset() -> Response:
    """Reseed from scratch (body may give ``students`` and ``seed``); faults back to start-up."""
    state = get_state()
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        return make_response(jsonify({"error": "body must be a JSON object"}), 400)
    students = body.get("students", state.config.students)
    seed = body.get("seed", state.config.seed)
    if not isinstance(students, int) or not isinstance(seed, int) or students < 0:
        return make_response(jsonify({"error": "students and seed must be integers"}), 400)
    reseed(students, seed)
    state.reset_faults()
    return jsonify({"students": students, "seed": seed, "faults": state.faults.to_json()})


@bp.route("/faults", methods=["GET", "POST"])
def faults() -> Response:
    """Read or change the injected faults."""
    state = get_state()
    if request.method == "POST":
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return make_response(jsonify({"error": "body must be a JSON object"}), 400)
        try:
            state.set_faults(state.faults.updated(body))
        except ValueError as err:
            return make_response(jsonify({"error": str(err)}), 400)
    return jsonify(state.faults.to_json())


@bp.post("/sessions/expire")
def expire_sessions() -> Response:
    """End every logon session now (for browser tests of expiry)."""
    state = get_state()
    cursor = get_db().execute(
        "UPDATE logon_sessions SET ended_at = ?, end_reason = 'forced' WHERE ended_at IS NULL",
        (state.clock(),),
    )
    return jsonify({"ended": cursor.rowcount})


@bp.get("/build")
def build() -> Response:
    """The build the pages come from, and which kinds of page are alt in it."""
    state = get_state()
    return jsonify(
        {
            "build": state.config.build,
            "build_seed": state.config.build_seed,
            "kinds": list(KINDS),
            "alt": [kind for kind in KINDS if kind in state.alt_kinds],
        }
    )


@bp.get("/stats")
def stats() -> Response:
    """Request counters since start-up or the last reset."""
    state = get_state()
    with state.lock:
        counts = dict(vars(state.stats))
    return jsonify(counts)


# --- practice and training test sessions ------------------------------------------------------


def _error(message: str, status: int) -> Response:
    return make_response(jsonify({"error": message}), status)


def _practice_db() -> sqlite3.Connection:
    """The connection, after ending idle practice sessions and logging out idle students."""
    db = get_db()
    state = get_state()
    ps.expire_idle(db, state.clock(), state.config.practice_idle_timeout_s)
    return db


def _session_json(db: sqlite3.Connection, found: ps.PracticeSession) -> dict[str, Any]:
    return ps.session_json(db, found, session_link(found.code))


@bp.get("/practice/sessions")
def practice_sessions() -> Response:
    """Every practice session, oldest first."""
    db = _practice_db()
    return jsonify([_session_json(db, s) for s in ps.list_sessions(db)])


@bp.get("/practice/sessions/<code>")
def practice_session(code: str) -> Response:
    """One practice session by its ID (the active one, else the newest); 404 if unknown."""
    db = _practice_db()
    found = ps.find_session(db, code)
    if found is None:
        return _error("not found", 404)
    return jsonify(_session_json(db, found))


@bp.post("/practice/sessions/<code>/students")
def practice_sign_in(code: str) -> Response:
    """Sign a student in straight to waiting: ``{"first_name", "ssid", "guest", "test"}``.

    ``test`` is a test's visible name (or key); omitted, the session's first test. A student
    who signs in again with the same SSID gets the same row (and token) back.
    """
    db = _practice_db()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error("body must be a JSON object", 400)
    found = ps.find_session(db, code)
    if found is None:
        return _error("not found", 404)
    first_name, ssid = body.get("first_name") or "", body.get("ssid") or ""
    guest, test = bool(body.get("guest", False)), body.get("test")
    if not isinstance(first_name, str) or not isinstance(ssid, str):
        return _error("first_name and ssid must be strings", 400)
    if test is not None and not isinstance(test, str):
        return _error("test must be a string", 400)
    chosen = ps.practice_test(test) if test is not None else found.tests[0]
    if chosen is None or chosen not in found.tests:
        return _error(messages.SELECT_ONE_TEST, 400)
    now = get_state().clock()
    try:
        student = ps.sign_in(db, code, first_name=first_name, ssid=ssid, guest=guest, now=now)
    except ps.Rejected as err:
        return _error(err.message, err.status)
    student = ps.choose_test(db, student, found, chosen.key, now)
    return make_response(jsonify(ps.student_json(student)), 201)


def _change_student(token: str, change: str) -> Response:
    db = _practice_db()
    student = ps.get_student(db, token)
    if student is None:
        return _error("not found", 404)
    now = get_state().clock()
    try:
        if change == "pause":
            student = ps.pause(db, student, now)
        else:
            student = ps.return_student(db, student, now)
    except ps.Rejected as err:
        return _error(err.message, err.status)
    return jsonify(ps.student_json(student))


@bp.post("/practice/students/<token>/pause")
def practice_pause(token: str) -> Response:
    """Pause the student's test (as the Pause Test button): logged out of the session."""
    return _change_student(token, "pause")


@bp.post("/practice/students/<token>/return")
def practice_return(token: str) -> Response:
    """Sign a paused SSID student in again: waiting for a new approval."""
    return _change_student(token, "return")
