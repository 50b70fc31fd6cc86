"""What an opt-out run leaves for the coordinator: results.csv, summary.json and report.html.

The report is the record a coordinator files: which exemptions were entered in TOMS, on what
written request, when and by whom; what needs a person and what to do about it. Every file is
private to the user (0600); with ``redact`` names are initials and SSIDs masked, reasons too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from flows.optout.roster import TESTS
from flows.optout.worker import ALREADY_SET, APPLIED, BLOCKED, PLANNED, row_of
from rpa.journal import Item
from rpa.report import (
    AttentionGroup,
    duration_text,
    local_span,
    mask_ssid,
    redact_name,
    write_report_html,
    write_results_csv,
    write_summary_json,
)
from rpa.runner import FAILED
from rpa.settings import Settings

if TYPE_CHECKING:
    from flows.optout.run import RunResult

__all__ = ["RESULT_COLUMNS", "result_rows", "write_outputs"]

Kind = Literal["apply", "plan"]

RESULT_COLUMNS = (
    "row", "ssid", "name", "test", "code", "status", "reason", "code_before", "code_after",
    "exemption_on_file", "user", "role", "time", "evidence",
)  # fmt: skip
"""The columns of results.csv, in order."""

PENDING, RUNNING = "pending", "in progress"
ATTENTION = (BLOCKED, FAILED, PENDING, RUNNING)
"""Statuses that need a person."""

# The report's columns: every row, and the rows of each group that needs a person.
ROW_COLUMNS = (
    "row", "ssid", "student", "test_short", "code", "outcome", "exemption_on_file", "time", "by",
)  # fmt: skip
GROUP_COLUMNS = (
    "row", "ssid", "student", "test_short", "code", "exemption_on_file", "detail", "evidence",
)  # fmt: skip
WIDTHS = {
    "row": 5, "ssid": 10.5, "student": 16, "test_short": 5.5, "code": 6, "outcome": 10,
    "exemption_on_file": 11, "time": 12, "by": 24, "detail": 34, "evidence": 12,
}  # fmt: skip
"""Widths of the report's columns, in percent: a printed page holds each row on two lines."""
LABELS = {
    "row": "Row", "ssid": "SSID", "student": "Student", "test_short": "Test", "code": "Code",
    "outcome": "Result", "exemption_on_file": "Request on file", "time": "When",
    "by": "TOMS user (role)", "detail": "What TOMS shows", "evidence": "Evidence",
}  # fmt: skip

_SHORT_TEST = {full: short for short, full in TESTS.items()}
_SSID_IN_TEXT = re.compile(r"\b[0-9]{10}\b")


@dataclass(frozen=True)
class _Trouble:
    """A kind of row that needs a person: how the worker's reason starts, what to do."""

    prefix: str
    title: str
    advice: str


# The reasons the worker (flows/optout/worker.py) gives a blocked row start with these.
_BLOCKED_KINDS = (
    _Trouble(
        "not found:", "Not found",
        "TOMS has no student with these SSIDs in your organizations. Check each SSID in your "
        "student information system (a mistyped digit and a lost leading zero are the usual "
        "causes); if it is right, the student may not be enrolled in your organization in TOMS "
        "yet. Correct the roster and run it again.",
    ),
    _Trouble(
        "name mismatch:", "Name mismatch",
        "TOMS has a student with the SSID, but not the one the roster names, so nothing was "
        "set. Check the SSID first; if it is right, correct the name in the roster and run it "
        "again.",
    ),
    _Trouble(
        "test not assigned:", "Test not assigned",
        "TOMS has no such test assigned to the student. Check the student's grade and test "
        "assignments in TOMS; if the test is assigned later, run the roster again.",
    ),
    _Trouble(
        "test submitted:", "Test submitted",
        "The student has submitted the test, so a condition code can no longer be set for it. "
        "Keep the parent's request on file with this report.",
    ),
    _Trouble(
        "another code already set:", "Another code already set",
        "TOMS already has a different condition code for the test, and toms-rpa never "
        "replaces one. Find out which code is right; to change it, remove the other one in "
        "TOMS by hand, then run the roster again.",
    ),
)
_OTHER_BLOCKED = _Trouble(
    "", "Blocked", "Read the reason of each row, fix the cause in TOMS or in the roster, then run "
    "the roster again.",
)
_FAILED = _Trouble(
    "", "Failed",
    "The portal kept failing for these rows. Run the same command again: it reads each of "
    "these students in TOMS before anything else and sets only what is still missing. If a "
    "row fails again, its screenshot and trace (Evidence) show where.",
)
_NOT_DONE = _Trouble(
    "", "Not done",
    "The run stopped before these rows. Run the same command again to continue where it "
    "stopped.",
)


def _trouble(status: str, reason: str) -> _Trouble | None:
    if status == BLOCKED:
        return next((k for k in _BLOCKED_KINDS if reason.startswith(k.prefix)), _OTHER_BLOCKED)
    if status == FAILED:
        return _FAILED
    if status in (PENDING, RUNNING):
        return _NOT_DONE
    return None


def result_rows(
    items: Sequence[Item], *, user: str, role: str, tz: dt.tzinfo | None = None,
    redact: bool = False,
) -> list[dict[str, Any]]:
    """One row per roster line (repeated lines too), in roster order, for the CSV and report.

    Besides the CSV's columns (:data:`RESULT_COLUMNS`, ``time`` in ISO 8601 with the offset of
    ``tz``), each row has what the report shows: ``student``, ``test_short``, ``outcome``,
    ``detail``, ``by`` and ``when`` (a datetime).
    """
    out = []
    for item in items:
        roster = row_of(item)
        # Who entered it: the machine that did the row says so (machines may log on as
        # different users); else the user of this report.
        row_user = str(item.result.get("user") or user)
        row_role = str(item.result.get("role") or (role if not item.result.get("user") else ""))
        when = dt.datetime.fromtimestamp(item.updated, dt.UTC).astimezone(tz)
        toms_name = str(item.result.get("name", ""))
        roster_name = " ".join(p for p in (roster.first_name, roster.last_name) if p)
        if redact:
            toms_name = _initials(toms_name)
            roster_name = redact_name(roster.first_name, roster.last_name)
        trouble = _trouble(item.status, item.reason)
        detail = _detail(item, trouble, toms_name=toms_name, roster_name=roster_name)
        reason = item.reason
        if redact and trouble is not None and trouble.prefix:
            reason = f"{trouble.prefix} {detail}"
        elif redact:
            reason = _SSID_IN_TEXT.sub(lambda m: mask_ssid(m.group()), reason)
        base = {
            "ssid": mask_ssid(roster.ssid) if redact else roster.ssid,
            "name": toms_name,
            "test": roster.test,
            "code": roster.code,
            "status": item.status,
            "reason": reason,
            "code_before": item.result.get("code_before", ""),
            "code_after": item.result.get("code_after", ""),
            "exemption_on_file": roster.exemption_on_file,
            "user": row_user,
            "role": row_role,
            "time": when.isoformat(timespec="seconds"),
            "evidence": item.result.get("evidence", ""),
            # For the report only:
            "student": toms_name or roster_name,
            "test_short": _SHORT_TEST.get(roster.test, roster.test),
            "outcome": _outcome(item.status, trouble),
            "detail": detail,
            "by": f"{row_user}\n{row_role}" if row_role else row_user,
            "when": None if item.status in (PENDING, RUNNING) else when,  # not done: no time
            "trouble": trouble,
        }
        for number in (roster.row, *roster.duplicate_rows):
            out.append({**base, "row": number})
    return sorted(out, key=lambda r: int(r["row"]))


def write_outputs(
    journal_items: Sequence[Item], run_id: str, run_dir: Path, *, kind: Kind, roster: Path,
    settings: Settings, started: float, result: RunResult, redact: bool = False,
    tz: dt.tzinfo | None = None, finished: float | None = None, alert: str | None = None,
) -> None:
    """results.csv, summary.json and report.html in ``run_dir``, all private to the user.

    Args:
        journal_items: the run's items, as the journal holds them.
        run_id: the run.
        run_dir: its folder.
        kind: ``"apply"`` or ``"plan"``.
        roster: the roster file.
        settings: the settings of the run (its user, role, portal and workers are shown).
        started: when the run started (a POSIX timestamp).
        result: what the run did; its ``summary`` is filled in.
        redact: names as initials and SSIDs masked, for sharing.
        tz: the time zone to show times in; by default this machine's (``TZ`` is respected).
        finished: when the run ended (default: now).
        alert: what to say at the top instead of the default (a run stopped, or not done).
    """
    finished = dt.datetime.now(dt.UTC).timestamp() if finished is None else finished
    rows = result_rows(
        journal_items, user=settings.username, role=settings.role, tz=tz, redact=redact
    )
    counts = Counter(str(r["status"]) for r in rows)
    report, results = run_dir / "report.html", run_dir / "results.csv"
    headline = _headline(kind, counts)
    who = _who(journal_items, settings)
    summary: dict[str, Any] = {
        "run_id": run_id,
        "kind": kind,
        "headline": headline,
        "roster": str(roster),
        "portal": str(settings.portal_url),
        "user": settings.username,
        "role": settings.role,
        "started": dt.datetime.fromtimestamp(started, dt.UTC).isoformat(timespec="seconds"),
        "finished": dt.datetime.fromtimestamp(finished, dt.UTC).isoformat(timespec="seconds"),
        "duration_s": round(result.elapsed_s, 2),
        "rows": len(rows),
        "counts": dict(counts),
        "exit_code": result.exit_code,
        "stopped": result.stopped,
        "rows_per_s": round(result.rows_per_s, 3),
        "p50_s": round(result.p50_s, 3),
        "p95_s": round(result.p95_s, 3),
        "workers": settings.workers,
        "machines": result.machines,
        "redacted": redact,
        "report": str(report.resolve()),
        "results": str(results.resolve()),
    }
    result.summary = summary
    write_results_csv(results, rows, RESULT_COLUMNS)
    write_summary_json(run_dir / "summary.json", summary)
    write_report_html(
        report,
        title="TOMS opt-out plan" if kind == "plan" else "TOMS opt-out run",
        headline=headline,
        alert=alert or _alert(kind, result.stopped),
        notes=_notes(kind, who, roster, started, finished, len(rows), redact, tz),
        counts=_counts(kind, counts),
        attention=_groups(rows),
        attention_columns=GROUP_COLUMNS,
        rows=[dict(row, time=row["when"]) for row in rows],
        columns=ROW_COLUMNS,
        flagged_statuses=ATTENTION,
        column_labels=LABELS,
        column_widths=WIDTHS,
        link_column="evidence",
        details=_details(summary, started, finished, result, run_dir),
        tz=tz,
        generated=dt.datetime.fromtimestamp(finished, dt.UTC),
    )


# --- words --------------------------------------------------------------------------------


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _headline(kind: Kind, counts: Mapping[str, int]) -> str:
    """The run in one sentence: what was entered, what was there, what needs the coordinator."""
    need = sum(counts.get(s, 0) for s in ATTENTION)
    already = counts.get(ALREADY_SET, 0)
    if kind == "plan":
        would = counts.get(PLANNED, 0)
        parts = [f"{_plural(would, 'opt-out', 'opt-outs')} would be set in TOMS"]
        if already:
            parts.append(f"{already} {'is' if already == 1 else 'are'} already there")
        parts.append(f"{need} need{'s' if need == 1 else ''} you first" if need
                     else "nothing needs you")
        return "; ".join(parts) + ". Nothing was changed in TOMS."
    entered = counts.get(APPLIED, 0)
    parts = [
        f"{_plural(entered, 'opt-out', 'opt-outs')} entered and read back from TOMS"
        if entered else "No opt-out entered"
    ]
    if already:
        parts.append(f"{already} {'was' if already == 1 else 'were'} already there")
    parts.append(f"{need} need{'s' if need == 1 else ''} you" if need else "nothing needs you")
    return "; ".join(parts) + "."


def _alert(kind: Kind, stopped: str | None) -> str | None:
    if not stopped:
        return None
    return (f"The {'plan' if kind == 'plan' else 'run'} stopped before the end: {stopped}. "
            "Fix the cause, then run the same command again to continue.")


def _who(items: Sequence[Item], settings: Settings) -> str:
    """Who entered the run's rows: each TOMS user (role), as the machines recorded them."""
    seen = sorted({
        (str(i.result["user"]), str(i.result.get("role", "")))
        for i in items if i.result.get("user")
    })
    if not seen:
        seen = [(settings.username, settings.role)]
    names = [user + (f" ({role})" if role else "") for user, role in seen]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _notes(
    kind: Kind, who: str, roster: Path, started: float, finished: float, rows: int,
    redact: bool, tz: dt.tzinfo | None,
) -> list[str]:
    did = "Read from TOMS" if kind == "plan" else "Entered in TOMS"
    notes = [
        f"{did} by {who}, {local_span(started, finished, tz)}, from the roster {roster.name} "
        f"({_plural(rows, 'row', 'rows')})."
    ]
    if redact:
        notes.append("Names are shown as initials and SSIDs masked, for sharing.")
    return notes


def _counts(kind: Kind, counts: Mapping[str, int]) -> list[tuple[str, int, bool]]:
    done = (
        [("would be set", counts.get(PLANNED, 0), False)] if kind == "plan"
        else [("entered", counts.get(APPLIED, 0), False)]
    )
    return [
        *done,
        ("already in TOMS", counts.get(ALREADY_SET, 0), False),
        ("need you", counts.get(BLOCKED, 0), True),
        ("failed", counts.get(FAILED, 0), True),
        *(
            [("not done", counts.get(PENDING, 0) + counts.get(RUNNING, 0), True)]
            if counts.get(PENDING, 0) + counts.get(RUNNING, 0) else []
        ),
    ]


def _outcome(status: str, trouble: _Trouble | None) -> str:
    if status == APPLIED:
        return "Entered, read back"
    if status == ALREADY_SET:
        return "Already in TOMS"
    if status == PLANNED:
        return "Would be set"
    if trouble is not None and status == BLOCKED:
        return f"Needs you: {trouble.title.lower()}"
    if trouble is not None:
        return trouble.title
    return status


def _detail(item: Item, trouble: _Trouble | None, *, toms_name: str, roster_name: str) -> str:
    """What TOMS showed for a row that needs a person, in words (no SSID: it has a column)."""
    if trouble is None:
        return ""
    reason = item.reason
    if trouble.prefix == "not found:":
        return "no student with this SSID"
    if trouble.prefix == "name mismatch:":
        return f"TOMS shows {toms_name or 'another name'}, the roster says {roster_name}"
    if trouble.prefix == "test not assigned:":
        return "the test is not assigned to this student"
    if trouble.prefix == "test submitted:":
        status = re.search(r"\(([^()]*)\)\s*$", reason)
        return f"the test is {status.group(1)}" if status else "the test is submitted"
    if trouble.prefix == "another code already set:":
        code = str(item.result.get("code_before") or reason.removeprefix(trouble.prefix).strip())
        return f"TOMS has {code} for this test"
    return _SSID_IN_TEXT.sub(lambda m: mask_ssid(m.group()), reason) if reason else ""


def _initials(toms_name: str) -> str:
    last, _, first = toms_name.partition(",")
    return redact_name(first, last)


def _groups(rows: Sequence[Mapping[str, Any]]) -> list[AttentionGroup]:
    order = [*_BLOCKED_KINDS, _OTHER_BLOCKED, _FAILED, _NOT_DONE]
    by_kind: dict[_Trouble, list[Mapping[str, Any]]] = {}
    for row in rows:
        trouble = row["trouble"]
        if trouble is not None:
            by_kind.setdefault(trouble, []).append(row)
    return [
        AttentionGroup(kind.title, kind.advice, by_kind[kind]) for kind in order if kind in by_kind
    ]


def _details(
    summary: Mapping[str, Any], started: float, finished: float, result: RunResult, run_dir: Path,
) -> dict[str, object]:
    return {
        "Run": summary["run_id"],
        "Kind": summary["kind"],
        "Roster": summary["roster"],
        "Portal": summary["portal"],
        "Started": dt.datetime.fromtimestamp(started, dt.UTC),
        "Finished": dt.datetime.fromtimestamp(finished, dt.UTC),
        "Duration": duration_text(result.elapsed_s),
        "Workers": summary["workers"],
        **({"Machines": "; ".join(f"{m}: {n} rows" for m, n in result.machines.items())}
           if result.machines else {}),
        "Rows per second": f"{result.rows_per_s:.2f}",
        "Time per student, median (p50)": f"{result.p50_s:.2f} s",
        "Time per student, p95": f"{result.p95_s:.2f} s",
        "Exit status": summary["exit_code"],
        "Results (CSV)": summary["results"],
        "This report": summary["report"],
        "Evidence of rows": str((run_dir / "rows").resolve()),
        "Redacted": "yes" if summary["redacted"] else "no",
    }
