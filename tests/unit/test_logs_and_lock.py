"""rpa.logs, rpa.lock and rpa.files: secrets masked, one run at a time, private files."""

from __future__ import annotations

import logging
import logging.handlers
import os
import stat
from collections.abc import Generator
from pathlib import Path

import pytest

from rpa.errors import InputError
from rpa.files import private_dir, write_private_bytes, write_private_text
from rpa.lock import RunLocked, run_lock
from rpa.logs import SecretFilter, setup_logging

SECRET = "s3cret-value"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("t", logging.INFO, __file__, 1, msg, args, None)


# SecretFilter ---------------------------------------------------------------------------


def test_a_secret_in_the_message_is_masked() -> None:
    rec = record(f"logging on with {SECRET} now")

    assert SecretFilter([SECRET]).filter(rec) is True
    assert rec.getMessage() == "logging on with *** now"


def test_a_secret_in_the_arguments_is_masked() -> None:
    rec = record("user %s password %s (%d tries)", "lea", SECRET, 2)

    SecretFilter([SECRET]).filter(rec)

    assert rec.getMessage() == "user lea password *** (2 tries)"
    assert rec.args is None


def test_every_secret_and_every_occurrence_is_masked() -> None:
    rec = record(f"{SECRET} and 123456 and {SECRET}")

    SecretFilter([SECRET, "123456"]).filter(rec)

    assert rec.getMessage() == "*** and *** and ***"


def test_a_record_without_secrets_is_left_as_it_was() -> None:
    rec = record("row %d done", 7)

    SecretFilter([SECRET]).filter(rec)

    assert (rec.msg, rec.args) == ("row %d done", (7,))


def test_empty_secrets_mask_nothing() -> None:
    # An unset password is "": masking "" would put *** between every character.
    rec = record("hello")

    SecretFilter(["", ""]).filter(rec)

    assert rec.getMessage() == "hello"


def test_a_secret_containing_another_is_masked_whole() -> None:
    rec = record("token abcdef")

    SecretFilter(["abc", "abcdef"]).filter(rec)

    assert "def" not in rec.getMessage()


# setup_logging --------------------------------------------------------------------------


@pytest.fixture()
def root_logger() -> Generator[logging.Logger, None, None]:
    """The root logger, put back as it was (setup_logging replaces its handlers)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if handler not in handlers:
            handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def file_handler(root: logging.Logger) -> logging.handlers.RotatingFileHandler:
    (handler,) = [
        h for h in root.handlers if isinstance(h, logging.handlers.RotatingFileHandler)
    ]
    return handler


def test_setup_logging_writes_a_private_log_file_with_secrets_masked(
    tmp_path: Path, root_logger: logging.Logger
) -> None:
    log_dir = tmp_path / "state" / "logs"

    setup_logging(log_dir=log_dir, secrets=[SECRET])
    logging.getLogger("rpa.test").info("password is %s", SECRET)
    logging.getLogger("rpa.test").debug("not shown unless verbose")
    file_handler(root_logger).flush()

    path = log_dir / "toms-rpa.log"
    text = path.read_text(encoding="utf-8")
    assert "INFO password is ***" in text
    assert SECRET not in text
    assert "not shown" not in text
    assert mode(path) == 0o600
    assert mode(log_dir) == 0o700
    assert mode(log_dir.parent) == 0o700


def test_setup_logging_replaces_earlier_handlers(
    tmp_path: Path, root_logger: logging.Logger
) -> None:
    setup_logging(log_dir=tmp_path / "logs")
    setup_logging(verbose=True, log_dir=tmp_path / "logs")

    assert len(root_logger.handlers) == 2
    assert root_logger.level == logging.DEBUG
    assert logging.getLogger("werkzeug").level == logging.WARNING


def test_setup_logging_without_a_folder_logs_to_stderr_only(
    root_logger: logging.Logger,
) -> None:
    setup_logging()

    assert [type(h) for h in root_logger.handlers] == [logging.StreamHandler]
    assert root_logger.level == logging.INFO


def test_the_log_file_stays_private_after_a_rollover(
    tmp_path: Path, root_logger: logging.Logger
) -> None:
    old_umask = os.umask(0o022)
    try:
        setup_logging(log_dir=tmp_path / "logs", secrets=[SECRET])
        logging.getLogger("rpa.test").info("before")
        file_handler(root_logger).doRollover()
        logging.getLogger("rpa.test").info("after")
    finally:
        os.umask(old_umask)

    assert mode(tmp_path / "logs" / "toms-rpa.log.1") == 0o600
    assert mode(tmp_path / "logs" / "toms-rpa.log") == 0o600


# run_lock -------------------------------------------------------------------------------


def test_a_second_holder_is_refused_with_the_first_holders_pid(tmp_path: Path) -> None:
    state = tmp_path / "state"

    with run_lock(state):
        with pytest.raises(RunLocked) as info, run_lock(state):
            pytest.fail("the second lock was granted")
        message = str(info.value)
        assert f"pid {os.getpid()}" in message
        assert str(state) in message
        assert "TOMS_STATE_DIR" in message
        assert isinstance(info.value, InputError)


def test_the_lock_is_released_when_the_block_ends(tmp_path: Path) -> None:
    with run_lock(tmp_path):
        pass
    with run_lock(tmp_path):
        pass


def test_the_lock_is_released_when_the_block_raises(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="boom"), run_lock(tmp_path):
        raise ValueError("boom")

    with run_lock(tmp_path):
        pass


def test_locks_of_other_names_or_folders_are_independent(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    with run_lock(a), run_lock(a, "report"), run_lock(b):
        assert sorted(p.name for p in a.iterdir()) == ["report.lock", "run.lock"]
        # All three are held at once, and each still refuses a second holder.
        with pytest.raises(RunLocked), run_lock(a, "report"):
            pass


def test_the_lock_file_is_private_and_holds_the_pid(tmp_path: Path) -> None:
    state = tmp_path / "new" / "state"

    with run_lock(state):
        path = state / "run.lock"
        assert path.read_text() == str(os.getpid())
        assert mode(path) == 0o600
        assert mode(state) == 0o700


# Private files --------------------------------------------------------------------------


def test_private_dir_makes_the_folder_and_the_folders_on_the_way_0700(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        folder = private_dir(tmp_path / "a" / "b" / "c")
    finally:
        os.umask(old_umask)

    assert folder == tmp_path / "a" / "b" / "c"
    for path in (tmp_path / "a", tmp_path / "a" / "b", folder):
        assert mode(path) == 0o700, path


def test_private_dir_tightens_an_existing_folder_but_not_its_parents(tmp_path: Path) -> None:
    parent = tmp_path / "shared"
    folder = parent / "mine"
    folder.mkdir(parents=True)
    parent.chmod(0o755)
    folder.chmod(0o755)

    private_dir(folder)

    assert mode(folder) == 0o700
    assert mode(parent) == 0o755


def test_write_private_text_writes_a_0600_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "results.csv"

    assert write_private_text(path, "ssid,status\n1234567890,applied\n") == path

    assert path.read_text(encoding="utf-8") == "ssid,status\n1234567890,applied\n"
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700


def test_write_private_text_replaces_a_readable_file_with_a_private_one(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text("old")
    path.chmod(0o644)

    write_private_text(path, "new é")

    assert path.read_bytes() == "new é".encode()
    assert mode(path) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_write_private_bytes_leaves_no_temporary_file_when_it_fails(tmp_path: Path) -> None:
    target = tmp_path / "folder-in-the-way"
    target.mkdir()
    (target / "child").write_text("x")

    # os.replace cannot put a file over a non-empty folder.
    with pytest.raises(OSError):
        write_private_bytes(target, b"data")

    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder-in-the-way"]
