"""SQLite storage: one file, one connection per request, WAL for the threaded server."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flask import g

from .state import get_state

__all__ = ["SCHEMA", "close_db", "connect", "get_db"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orgs (
    cds TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, parent_cds TEXT,
    low_grade TEXT NOT NULL, high_grade TEXT NOT NULL, sort INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS roles (
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
    role TEXT NOT NULL, org_cds TEXT NOT NULL REFERENCES orgs(cds));
CREATE TABLE IF NOT EXISTS students (
    id INTEGER PRIMARY KEY, ssid TEXT NOT NULL UNIQUE, first_name TEXT NOT NULL,
    last_name TEXT NOT NULL, first_fold TEXT NOT NULL, last_fold TEXT NOT NULL,
    grade TEXT NOT NULL, school_cds TEXT NOT NULL REFERENCES orgs(cds), elas TEXT NOT NULL,
    unlisted_resources INTEGER NOT NULL, ur_submitted_date TEXT);
CREATE INDEX IF NOT EXISTS students_last ON students(last_fold);
CREATE INDEX IF NOT EXISTS students_school ON students(school_cds, grade);
CREATE TABLE IF NOT EXISTS assignments (
    student_id INTEGER NOT NULL REFERENCES students(id), test TEXT NOT NULL,
    status TEXT NOT NULL, condition_code TEXT, PRIMARY KEY (student_id, test));
CREATE TABLE IF NOT EXISTS logon_sessions (
    sid TEXT PRIMARY KEY, user_id INTEGER NOT NULL, role_id INTEGER,
    created_at REAL NOT NULL, last_seen REAL NOT NULL, ended_at REAL, end_reason TEXT);
CREATE TABLE IF NOT EXISTS devices (
    token TEXT PRIMARY KEY, user_id INTEGER NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS email_codes (
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, recipient TEXT NOT NULL,
    code TEXT NOT NULL, created_at REAL NOT NULL, used_at REAL);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, user TEXT NOT NULL, ssid TEXT NOT NULL,
    test TEXT NOT NULL, old_code TEXT, new_code TEXT);
CREATE TABLE IF NOT EXISTS practice_sessions (
    pk INTEGER PRIMARY KEY, code TEXT NOT NULL, ta_user_id INTEGER NOT NULL,
    ta_username TEXT NOT NULL, remote INTEGER NOT NULL, tests TEXT NOT NULL,
    created_at REAL NOT NULL, ta_last_seen REAL NOT NULL, ended_at REAL, end_reason TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS practice_active_code
    ON practice_sessions(code) WHERE ended_at IS NULL;
CREATE TABLE IF NOT EXISTS practice_students (
    token TEXT PRIMARY KEY, session_pk INTEGER NOT NULL REFERENCES practice_sessions(pk),
    first_name TEXT NOT NULL, ssid TEXT, guest INTEGER NOT NULL, test TEXT,
    state TEXT NOT NULL, reason TEXT, resume INTEGER NOT NULL DEFAULT 0, logout_reason TEXT,
    signed_in_at REAL NOT NULL, last_seen REAL NOT NULL);
CREATE INDEX IF NOT EXISTS practice_students_session ON practice_students(session_pk, ssid);
CREATE TABLE IF NOT EXISTS practice_log (
    id INTEGER PRIMARY KEY, session_pk INTEGER NOT NULL, token TEXT NOT NULL,
    action TEXT NOT NULL, reason TEXT, by_user TEXT NOT NULL, at REAL NOT NULL);
"""


def connect(path: Path) -> sqlite3.Connection:
    """Open ``path`` in autocommit mode; callers open transactions with ``BEGIN IMMEDIATE``."""
    conn = sqlite3.connect(path, timeout=5.0, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def init_db(path: Path) -> None:
    """Create the schema and switch the file to WAL (a persistent setting)."""
    conn = connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(SCHEMA)
    finally:
        conn.close()


def get_db() -> sqlite3.Connection:
    """The connection of the current request, opened on first use."""
    conn = g.get("db")
    if conn is None:
        conn = connect(get_state().db_path)
        g.db = conn
    assert isinstance(conn, sqlite3.Connection)
    return conn


def close_db(_exc: BaseException | None = None) -> None:
    """Close the request's connection, if one was opened."""
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()
