"""One roster, several machines: three ``toms-rpa optout apply`` processes share a run through
the journal in PostgreSQL (the session's private server), each with its own state directory,
its own logon and 2 workers, against one mock portal.

What must hold, whatever happens to one machine or to the database: the portal's codes are
exactly the roster's, the audit has one change per row, and no group of rows was held by two
processes at once; the journal's log of claims (who held which student's rows, from when to
when, by the database's clock) shows that.

Sized for a 2-core machine, where three browsers share the cores: the run on 300 rows takes
about two minutes; the kill and the outage share one run of a smaller roster, with a 6 s lease
so that a dead machine's rows move on in seconds.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from rpa.journal import Claim, Journal, Standing
from rpa.postgres import PrivatePostgres
from tests.conftest import Portal
from tests.e2e.helpers import Roster, build_roster, results, toms, toms_env

pytestmark = pytest.mark.browser

LEASE_S = "6"
WORKERS = "2"


@dataclass
class Machine:
    """One ``optout apply`` process, as one machine would run it."""

    name: str
    state: Path
    proc: subprocess.Popen[str]
    out: Path
    err: Path

    def stdout(self) -> str:
        return self.out.read_text(encoding="utf-8")

    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8")


class Fleet:
    """Machines started one after another on one roster, sharing the journal at ``url``."""

    def __init__(self, portal: Portal, url: str, roster: Roster, folder: Path) -> None:
        self.portal = portal
        self.url = url
        self.roster = roster
        self.folder = folder
        self.machines: list[Machine] = []

    def env(self, state: Path) -> dict[str, str]:
        return toms_env(
            self.portal, state, TOMS_JOURNAL_URL=self.url, TOMS_JOURNAL_LEASE_S=LEASE_S,
            TOMS_WORKERS=WORKERS,
        )

    def start(self, count: int) -> None:
        """Start ``count`` more machines, each once the one before has logged on.

        They log on as the same TOMS user, and the mock e-mails every code to one outbox:
        one at a time, each reads its own code (as people with their own mailboxes would).
        """
        for _ in range(count):
            name = f"machine{len(self.machines) + 1}"
            state = self.folder / name
            out, err = self.folder / f"{name}.out", self.folder / f"{name}.err"
            with out.open("w") as stdout, err.open("w") as stderr:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "rpa", "optout", "apply", str(self.roster.path)],
                    env=self.env(state), cwd=self.folder, stdout=stdout, stderr=stderr,
                    stdin=subprocess.DEVNULL, text=True,
                )
            machine = Machine(name, state, proc, out, err)
            self.machines.append(machine)
            logged_on = (state / "browser-state.json").exists
            wait_for(logged_on, f"{name} to log on", machine)

    def finish(self, timeout: float = 420) -> None:
        """Wait for every machine that is still running."""
        for machine in self.machines:
            if machine.proc.returncode is None:
                try:
                    machine.proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired as err:
                    machine.proc.kill()
                    machine.proc.wait()
                    raise AssertionError(
                        f"{machine.name} did not finish:\n{machine.stderr()}"
                    ) from err

    def stop_all(self) -> None:
        for machine in self.machines:
            if machine.proc.poll() is None:
                machine.proc.kill()
                machine.proc.wait()


def wait_for(ready: Callable[[], bool], what: str, *watched: Machine, timeout: float = 240
             ) -> None:
    """Poll ``ready`` (the state of other processes: nothing to wait on) until it holds."""
    deadline = time.monotonic() + timeout
    while not ready():
        for machine in watched:
            assert machine.proc.poll() is None, (
                f"{machine.name} exited ({machine.proc.returncode}) before {what}:\n"
                f"{machine.stderr()[-3000:]}"
            )
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@contextmanager
def fleet_of(portal: Portal, url: str, roster: Roster, folder: Path) -> Iterator[Fleet]:
    fleet = Fleet(portal, url, roster, folder)
    try:
        yield fleet
    finally:
        fleet.stop_all()


def run_id_of(machine: Machine) -> str:
    found = re.search(r"^Run (apply-\S+): ", machine.stdout(), re.MULTILINE)
    assert found, machine.stdout() + machine.stderr()
    return found.group(1)


def standing(url: str, run_id: str) -> Standing:
    journal = Journal(url, holder="test")
    try:
        return journal.standing(run_id)
    finally:
        journal.close()


def claims(url: str, run_id: str) -> list[Claim]:
    journal = Journal(url, holder="test")
    try:
        return journal.claims(run_id)
    finally:
        journal.close()


def current_run(machine: Machine) -> str:
    """The run a machine works on, as it logs it when it starts."""
    wait_for(lambda: "Run apply-" in machine.stderr(), f"{machine.name} to open its run",
             machine)
    found = re.search(r"Run (apply-\S+): \d+ rows", machine.stderr())
    assert found, machine.stderr()
    return found.group(1)


# --- what every test checks ---------------------------------------------------------------


def assert_exact(portal: Portal, roster: Roster) -> None:
    """The portal holds exactly the roster's codes, each changed once."""
    for (ssid, test), code in roster.expected_code.items():
        assert portal.code(ssid, test) == code, (ssid, test)
    audit = Counter((a["ssid"], a["test"]) for a in portal.audit())
    assert set(audit) == set(roster.expected_code)
    assert [k for k, n in audit.items() if n > 1] == []


def assert_never_held_twice(log: list[Claim]) -> dict[str, int]:
    """No group was claimed while another claim on it was open; returns groups per holder.

    A claim ends when its holder finished or released the group, or, for a claim that ran
    out (its machine died or lost the database), when its lease did: the next claim on the
    group starts no earlier.
    """
    by_group: dict[str, list[Claim]] = defaultdict(list)
    for claim in log:
        by_group[claim.group].append(claim)
    for group, group_claims in by_group.items():
        ordered = sorted(group_claims, key=lambda c: c.n)
        for claim in ordered:
            assert claim.ended is not None, f"group {group}: claim {claim} never ended"
            assert claim.claimed <= claim.ended, claim
        for before, after in itertools.pairwise(ordered):
            assert before.ended is not None
            assert before.ended <= after.claimed, (
                f"group {group} was claimed by {after.holder} at {after.claimed} while "
                f"{before.holder} held it until {before.ended}"
            )
    done = Counter(c.holder for c in log if c.outcome == "done")
    return dict(done)


def assert_results(run_dir: Path, roster: Roster) -> None:
    rows = results(run_dir)
    assert len(rows) == len(roster.rows)
    assert {r["status"] for r in rows} == {"applied"}


def run_dir(machine: Machine, run_id: str) -> Path:
    return machine.state / "runs" / run_id


# --- the tests ----------------------------------------------------------------------------


def test_three_machines_share_a_300_row_roster_exactly_once(
    portal: Portal, postgres_url: str, tmp_path: Path
) -> None:
    roster = build_roster(portal, tmp_path / "roster.csv", settable=300, blocked=False)
    with fleet_of(portal, postgres_url, roster, tmp_path) as fleet:
        fleet.start(3)
        fleet.finish()

    for machine in fleet.machines:
        assert machine.proc.returncode == 0, machine.stderr()[-3000:]
        assert "Traceback" not in machine.stderr()
    run_id = run_id_of(fleet.machines[0])
    assert {run_id_of(m) for m in fleet.machines} == {run_id}  # one run, joined by all
    assert_exact(portal, roster)
    log = claims(postgres_url, run_id)
    done = assert_never_held_twice(log)
    assert len(done) == 3 and all(n > 0 for n in done.values()), done
    assert not any(c.took_over for c in log)
    # Each machine says what it did and what the run did; each wrote the whole run's results.
    own = []
    for machine in fleet.machines:
        out = machine.stdout()
        found = re.search(r"^This machine: (\d+) rows", out, re.MULTILINE)
        assert found, out
        own.append(int(found.group(1)))
        assert "applied      300" in out
        assert out.count("Rows by machine: ") == 1
        assert "The run, all machines: " in machine.stderr()
        assert_results(run_dir(machine, run_id), roster)
    assert sum(own) == 300
    # Any machine, any time: the combined report, here from a machine that did no row.
    other = tmp_path / "office"
    env = toms_env(portal, other, TOMS_JOURNAL_URL=postgres_url)
    report = toms(["optout", "report", run_id], env, tmp_path)
    assert report.returncode == 0, report.stderr
    assert_results(other / "runs" / run_id, roster)
    summary = json.loads((other / "runs" / run_id / "summary.json").read_text())
    assert summary["counts"] == {"applied": 300}
    assert sorted(summary["machines"].values()) == sorted(own)


@pytest.mark.waits
def test_a_machine_killed_then_the_database_stopped_for_10_s_lose_and_double_nothing(
    portal: Portal, postgres_server: PrivatePostgres, postgres_url: str, tmp_path: Path
) -> None:
    """Both troubles in one run, one after the other, to keep the suite short.

    First the machine started first is killed (SIGKILL) while it holds rows and a second one
    works beside it; a third starts after the kill (started before it, on a busy machine, its
    logon may take as long as the small roster takes the first two). The others take the
    killed machine's rows over once its claims run out. Then the database is stopped for 10 s
    under the two: every claim runs out meanwhile, and they go on when it is back.
    """
    roster = build_roster(portal, tmp_path / "roster.csv", settable=60, blocked=False)
    with fleet_of(portal, postgres_url, roster, tmp_path) as fleet:
        fleet.start(2)
        victim = fleet.machines[0]
        run_id = current_run(victim)
        pid = f"#{victim.proc.pid}."

        def victim_holds_rows() -> bool:
            now = standing(postgres_url, run_id)
            return now.done >= 5 and any(pid in h for h in now.holders)

        wait_for(victim_holds_rows, "the first machine to hold rows", *fleet.machines)
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait()
        fleet.start(1)
        survivors = fleet.machines[1:]
        wait_for(
            lambda: any(pid in c.took_over for c in claims(postgres_url, run_id)),
            "the killed machine's rows to be taken over", *survivors,
        )
        assert standing(postgres_url, run_id).done < len(roster.rows), "the run ended early"
        postgres_server.stop()
        try:
            time.sleep(10)  # the outage itself: a time, nothing to wait on
        finally:
            postgres_server.start()
        fleet.finish()

    for machine in survivors:
        assert machine.proc.returncode == 0, machine.stderr()[-3000:]
        assert "Traceback" not in machine.stderr()
    assert victim.proc.returncode == -signal.SIGKILL
    assert_exact(portal, roster)
    log = claims(postgres_url, run_id)
    assert_never_held_twice(log)
    # The killed machine's claims ran out, and the others took each of its groups over.
    lost = {(c.group, c.n) for c in log if pid in c.holder and c.outcome == "expired"}
    taken_over = {(c.group, c.n - 1) for c in log if pid in c.took_over}
    assert lost and taken_over == lost, log
    said = " ".join(m.stderr() for m in survivors)
    assert "whose claim ran out; reading TOMS before anything else" in said
    # The database went away and came back; the survivors waited for it and went on.
    assert "cannot be reached" in said and "The journal answers again" in said
    assert_results(run_dir(survivors[0], run_id), roster)


def test_the_database_out_of_reach_at_the_start_is_one_line_and_exit_3(
    portal: Portal, tmp_path: Path
) -> None:
    roster = build_roster(portal, tmp_path / "roster.csv", settable=2, blocked=False)
    url = f"postgresql://toms:pw-{os.getpid()}@/toms?host={tmp_path}/nowhere"
    env = toms_env(portal, tmp_path / "state", TOMS_JOURNAL_URL=url)

    for args in (["optout", "apply", str(roster.path)], ["optout", "report", "apply-x"]):
        done = toms(args, env, tmp_path)
        assert done.returncode == 3, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith("toms-rpa: the journal database postgresql://toms@"), lines
        assert "run the same command again when the database answers" in lines[0]
        assert f"pw-{os.getpid()}" not in done.stderr + done.stdout
    assert portal.audit() == []
