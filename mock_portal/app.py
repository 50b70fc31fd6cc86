"""The application factory."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path

from flask import Flask, Response, make_response, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2.bccache import Bucket, BytecodeCache
from werkzeug.exceptions import HTTPException

from . import caaspp, messages, messages_alt, practice, sso, student_site, testapi, toms, views
from .builds import alt_kinds
from .catalog import TEST_GROUPS, TESTS
from .config import PortalConfig
from .db import close_db, connect, init_db
from .faults import is_fragment_request, is_frame_request
from .pages import render
from .seed import generate, seeded_with, write_dataset
from .state import EXTENSION_KEY, PortalState, get_state

__all__ = ["create_app"]

csrf = CSRFProtect()


class _MemoryBytecodeCache(BytecodeCache):
    """Compiled templates shared by every app in the process (keyed by source checksum).

    Tests build many apps; compiling the templates again for each was most of their time.
    """

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            data = self._store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: Bucket) -> None:
        data = bucket.bytecode_to_string()
        with self._lock:
            self._store[bucket.key] = data


_BYTECODE_CACHE = _MemoryBytecodeCache()


def _temp_db() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="mock-portal-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder / "portal.sqlite3"


def _prepare_db(path: Path, config: PortalConfig) -> None:
    """Create the schema; seed unless the file already holds this seed and student count."""
    init_db(path)
    conn = connect(path)
    try:
        if seeded_with(conn) != (config.seed, config.students):
            write_dataset(conn, generate(config.seed, config.students))
    finally:
        conn.close()


def _count(response: Response) -> None:
    """Count the request, and the document it answered with, for benchmarks."""
    if request.path.startswith("/__mock__/"):
        return
    state = get_state()
    state.count("requests")
    if is_fragment_request():
        state.count("fragments")
        return
    if response.mimetype == "text/html" and not 300 <= response.status_code < 400:
        state.count("documents")
        if is_frame_request():
            state.count("frame_documents")


def create_app(config: PortalConfig | None = None) -> Flask:
    """Build the mock portal.

    Args:
        config: start-up configuration; defaults to 1,000 students, seed 2026, no faults.
    """
    config = config if config is not None else PortalConfig()
    alt_kinds(config.build, config.build_seed)  # an unknown build fails here, not at a request
    db_path = Path(config.db_path) if config.db_path is not None else _temp_db()
    _prepare_db(db_path, config)

    app = Flask(__name__)
    app.jinja_options = {**app.jinja_options, "bytecode_cache": _BYTECODE_CACHE}
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_NAME="caaspp_session",
        SESSION_COOKIE_SAMESITE="Lax",
        # The token is bound to the Flask session, not to time: several browser contexts
        # sharing one copied cookie jar can all post.
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,
        MAX_CONTENT_LENGTH=1024 * 1024,
        # Style sheets and scripts are cached for an hour, as a production portal's are;
        # pages themselves are never cached (see ``headers``).
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    app.extensions[EXTENSION_KEY] = PortalState(config, db_path)
    csrf.init_app(app)
    csrf.exempt(testapi.bp)
    blueprints = (caaspp.bp, sso.bp, toms.bp, views.bp, practice.bp, student_site.bp, testapi.bp)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    app.teardown_appcontext(close_db)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals.update(M=messages, TESTS=TESTS, TEST_GROUPS=TEST_GROUPS)
    # The alt build's words (``M`` stays the default build's); ``say`` turns a message the
    # server chose (always from ``messages``) into the alt build's wording.
    app.jinja_env.globals.update(MA=messages_alt)
    app.jinja_env.filters["say"] = messages_alt.say

    @app.errorhandler(CSRFError)
    def csrf_failed(_err: CSRFError) -> Response:
        body = render("message.html", title="Bad Request", message=messages.CSRF_FAILED)
        return make_response(body, 400)

    @app.errorhandler(404)
    def not_found(err: HTTPException) -> Response:
        body = render("message.html", title="Not Found", message=messages.PAGE_NOT_FOUND)
        return make_response(body, err.code or 404)

    @app.after_request
    def headers(response: Response) -> Response:
        _count(response)
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app
