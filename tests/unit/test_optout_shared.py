"""A run shared by several machines: the combined report any machine writes from the journal.

No browser: the journal is filled as two machines would fill it (each its own logon, user and
seat), then ``toms-rpa optout report RUN`` is called as a person would, in-process.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import pytest

from flows.cli import main
from flows.optout.roster import load_roster
from flows.optout.run import open_journal, report_run
from rpa.errors import InputError
from rpa.journal import Journal
from rpa.settings import Settings

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "rosters" / "sample.csv"
ROLE = "LEA CAASPP Coordinator"


def settings_for(state_dir: Path, journal_url: str | None = None) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, username="office@example.org", role=ROLE, state_dir=state_dir,
        journal_url=journal_url,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def office(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """The settings of a machine that did no row itself; its journal is the run's."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    return settings_for(tmp_path / "office", url)


def fill(journal: Journal, *, finish_all: bool) -> str:
    """The first 12 rows of the sample roster, worked by two machines as two users."""
    rows = load_roster(SAMPLE)[:12]
    run_id, created = journal.open_run(
        "apply-shared", kind="apply", fingerprint="fp", source="/machine-a/roster.csv",
        items=[(r.ssid, dataclasses.asdict(r)) for r in rows], meta={"workers": 2},
    )
    assert created
    seats = {"a": Journal(journal.address, holder="a#1", seat="host-a"),
             "b": Journal(journal.address, holder="b#1", seat="host-b")}
    try:
        turn = 0
        while True:
            name = "ab"[turn % 2]
            group = seats[name].claim_group(run_id, worker="w1")
            if not group:
                break
            turn += 1
            if not finish_all and turn > 4:
                continue  # claimed, still being worked on
            seats[name].finish_many([
                (i, "applied", "", {"code_after": "PGE", "machine": f"host-{name}",
                                    "user": f"{name}@example.org", "role": ROLE})
                for i in group
            ])
    finally:
        for seat in seats.values():
            seat.close()
    return run_id


def test_the_combined_report_names_every_machine_and_user(office: Settings) -> None:
    journal = open_journal(office, office.state_dir)
    try:
        run_id = fill(journal, finish_all=True)
    finally:
        journal.close()

    result = report_run(office, run_id)

    folder = office.state_dir / "runs" / run_id
    assert result.run_dir == folder and result.exit_code == 0
    assert result.counts == {"applied": 12}
    assert set(result.machines) == {"host-a", "host-b"}
    assert sum(result.machines.values()) == 12
    with (folder / "results.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["user"] for r in rows} == {"a@example.org", "b@example.org"}
    assert {r["status"] for r in rows} == {"applied"}
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["machines"] == result.machines
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert f"a@example.org ({ROLE}) and b@example.org ({ROLE})" in page
    assert "host-a: " in page and "host-b: " in page
    assert "not finished" not in page


def test_a_report_of_a_run_still_going_says_what_is_not_done(
    office: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = open_journal(office, office.state_dir)
    try:
        run_id = fill(journal, finish_all=False)
    finally:
        journal.close()

    argv = ["--state-dir", str(office.state_dir), "optout", "report", run_id]
    code = main(argv) if office.journal_url is None else _with_url(office, argv)

    out = capsys.readouterr().out
    assert code == 1
    assert "The run is not finished:" in out
    page = (office.state_dir / "runs" / run_id / "report.html").read_text(encoding="utf-8")
    assert "The run is not finished: " in page
    assert "machines are working on it now" in page


def _with_url(office: Settings, argv: list[str]) -> int:
    assert office.journal_url is not None
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TOMS_JOURNAL_URL", office.journal_url.get_secret_value())
        return main(argv)


def test_there_is_no_such_run(office: Settings) -> None:
    with pytest.raises(InputError, match="There is no run 'apply-nope' in the journal "):
        report_run(office, "apply-nope")
