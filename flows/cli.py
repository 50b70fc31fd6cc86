"""The ``toms-rpa`` command line: the one place where toolkit, flows and mock portal meet."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from flows import words
from flows.optout.run import EXIT_STOPPED, RunResult, report_run, run_optout
from flows.optout.shard import parse_shard
from rpa.errors import InputError, JournalUnavailable, RunStopped, SystemFailure
from rpa.journal import url_password
from rpa.logs import setup_logging
from rpa.settings import Settings, load_settings

__all__ = ["main", "mock_portal_process"]

log = logging.getLogger("toms-rpa")

RETRY_ADVICE = (
    "Nothing more was done. Run the same command again in a few minutes; if it happens again, "
    "run `toms-rpa doctor`, which names the page and what it showed."
)

EXIT_INPUT = 2
SAMPLE_ROSTER = Path(__file__).resolve().parent.parent / "fixtures" / "rosters" / "sample.csv"
DEMO_USER = "lea.coordinator@example.org"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - the bundled mock portal's published demo logon
DEMO_ROLE = "LEA CAASPP Coordinator"
REDACT_HELP = "write reports with names as initials and SSIDs masked, for sharing"
SHARD_HELP = "do only part K of N of the roster (split by SSID), so N machines can share it"
JSON_HELP = "print one JSON summary object at the end instead of the text summary"
JOURNAL_ADVICE = (
    "Nothing is lost: run the same command again when the database answers (TOMS_JOURNAL_URL)."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="toms-rpa",
        description="Apply parent/guardian opt-outs in TOMS from a roster, verified.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="more log lines")
    parser.add_argument("--state-dir", type=Path, help="overrides TOMS_STATE_DIR")
    sub = parser.add_subparsers(dest="command", required=True)

    # Takes the options of `python -m mock_portal`: what follows "portal" is left for _portal.
    sub.add_parser("portal", help="run the bundled mock TOMS portal", add_help=False)

    demo = sub.add_parser(
        "demo", help="start the bundled portal and apply the sample roster to it"
    )
    demo.add_argument("--roster", type=Path, default=SAMPLE_ROSTER)
    demo.add_argument("--workers", type=int)
    demo.add_argument(
        "--keep-open", action="store_true", help="keep the portal running after the run"
    )

    optout = sub.add_parser("optout", help="bulk parent/guardian opt-outs")
    osub = optout.add_subparsers(dest="action", required=True)
    plan = osub.add_parser("plan", help="read each student's state and write the plan")
    plan.add_argument("roster", type=Path)
    plan.add_argument("--workers", type=int)
    plan.add_argument("--redact", action="store_true", help=REDACT_HELP)
    plan.add_argument("--shard", metavar="K/N", help=SHARD_HELP)
    plan.add_argument("--json", action="store_true", help=JSON_HELP)
    apply = osub.add_parser("apply", help="set the condition codes and read them back")
    apply.add_argument("roster", type=Path)
    apply.add_argument("--workers", type=int)
    apply.add_argument("--resume", metavar="RUN", help="continue this earlier run")
    apply.add_argument("--redact", action="store_true", help=REDACT_HELP)
    apply.add_argument("--shard", metavar="K/N", help=SHARD_HELP)
    apply.add_argument("--json", action="store_true", help=JSON_HELP)
    report = osub.add_parser(
        "report",
        help="write a run's combined results.csv, summary.json and report.html from the "
        "journal (any machine, any time; with TOMS_JOURNAL_URL, every machine's rows)",
    )
    report.add_argument("run", metavar="RUN", help="the run id (apply-... or plan-...)")
    report.add_argument("--redact", action="store_true", help=REDACT_HELP)
    report.add_argument("--json", action="store_true", help=JSON_HELP)
    watch_inbox = osub.add_parser(
        "watch", help="apply each new roster dropped in a folder, once (safe to run from cron)"
    )
    watch_inbox.add_argument("inbox", type=Path)
    watch_inbox.add_argument("--workers", type=int)
    watch_inbox.add_argument("--json", action="store_true", help=JSON_HELP)
    sub.add_parser(
        "words",
        help="list every word the flows look for on the portal, with its source, and where "
        "to add your portal's own",
    )
    doctor = sub.add_parser(
        "doctor",
        help="check settings, browser, logon and every TOMS page the flows need; changes nothing",
    )
    doctor.add_argument("--ssid", help="a student to check with (default: one found by searching)")

    practice = sub.add_parser("practice", help="practice and training test sessions")
    psub = practice.add_subparsers(dest="action", required=True)
    start = psub.add_parser("start", help="start a session and print its Practice Session ID")
    start.add_argument(
        "--tests", required=True,
        help='the tests, as the training site names them, separated by ";" or ","',
    )
    start.add_argument("--remote", action="store_true", help="a remote session (with a link)")
    watch = psub.add_parser("approve", help="approve the class as it signs in; deny others")
    watch.add_argument("--session", required=True, metavar="ID")
    watch.add_argument("--class", dest="class_list", required=True, type=Path,
                       metavar="CLASS.csv", help="first_name and ssid of each student")
    watch.add_argument("--until", metavar="HH:MM", help="watch until this time today")
    watch.add_argument("--for", dest="minutes", type=float, metavar="MINUTES",
                       help="watch for this many minutes")
    watch.add_argument("--allow-guests", action="store_true", help="approve guests too")
    watch.add_argument("--poll-seconds", type=float, default=2.0,
                       help="how often to refresh the Approvals tab (default 2)")
    stop = psub.add_parser("stop", help="stop a session")
    stop.add_argument("--session", required=True, metavar="ID")
    return parser


def _doctor(args: argparse.Namespace) -> int:
    from flows.doctor import run_doctor
    from flows.session import email_code_provider

    settings = _settings(args)
    _logging(args, settings)
    return asyncio.run(
        run_doctor(settings, code_provider=email_code_provider(settings), ssid=args.ssid)
    )


def _practice(args: argparse.Namespace) -> int:
    from flows import practice
    from flows.session import email_code_provider

    settings = _settings(args)
    _logging(args, settings)
    codes = email_code_provider(settings)
    if args.action == "start":
        tests = [t.strip() for t in re.split(r"[;,]", args.tests) if t.strip()]
        info = asyncio.run(
            practice.start_session(settings, tests, remote=args.remote, code_provider=codes)
        )
        print(f"Practice Session ID: {info['session_id']}")
        if info["link"]:
            print(f"Session Link: {info['link']}")
        folder = (settings.state_dir / "practice" / str(info["session_id"])).resolve()
        print(f"Saved in {folder / 'session.json'}")
        return 0
    if args.action == "stop":
        asyncio.run(practice.stop_session(settings, args.session, code_provider=codes))
        print(f"Session {args.session} stopped.")
        return 0
    roster = practice.load_class(args.class_list)
    until = practice.parse_until(args.until, args.minutes)
    end = datetime.fromtimestamp(until).astimezone().strftime("%H:%M")
    print(f"Watching session {args.session} until {end}: {len(roster.students)} students on "
          f"the class list{', guests allowed' if args.allow_guests else ''}. Ctrl+C stops.")
    counts = asyncio.run(practice.approve_session(
        settings, args.session, roster, until=until, allow_guests=args.allow_guests,
        code_provider=codes, poll_s=args.poll_seconds,
    ))
    print(f"Approved {counts['approved']}, denied {counts['denied']}. Decisions: "
          f"{(settings.state_dir / 'practice' / args.session / 'decisions.csv').resolve()}")
    return 0


def _settings(args: argparse.Namespace, **overrides: Any) -> Settings:
    if args.state_dir is not None:
        overrides["state_dir"] = args.state_dir
    if getattr(args, "workers", None):
        overrides["workers"] = args.workers
    settings = load_settings(**overrides)
    used = words.load_configured(settings.words_file, settings.state_dir)
    if used is not None:
        log.info("Your portal's words: %s", used)
    return settings


def _words(args: argparse.Namespace) -> int:
    settings = _settings(args)
    print("Every word toms-rpa looks for on the portal: an entry's key, where its words come "
          "from (a quick guide's file and line, or assumed), and its wordings, tried in order.")
    print()
    for line in words.listing():
        print(line)
    where = settings.words_file or settings.state_dir / words.USER_FILE
    print()
    print(f"To add your portal's wordings, write them in {where} (or the file named by "
          "TOMS_WORDS_FILE), for example:")
    print('    "results.none" = ["Nothing matched your search"]')
    return 0


def _print_result(result: RunResult, *, kind: str) -> None:
    print()
    print(f"Run {result.run_id}: {sum(result.counts.values())} rows in {result.elapsed_s:.1f} s")
    if result.summary.get("headline"):
        print(result.summary["headline"])
    for status, count in sorted(result.counts.items()):
        print(f"  {status:<12} {count}")
    if result.shared:
        own = ", ".join(f"{n} {status}" for status, n in sorted(result.own.items()))
        print(f"This machine: {sum(result.own.values())} rows{f' ({own})' if own else ''}; "
              "the figures above are the whole run's, every machine's rows together.")
        if result.machines:
            print("Rows by machine: "
                  + "; ".join(f"{m} {n}" for m, n in result.machines.items()))
    if result.stopped:
        print(f"The run stopped: {result.stopped}")
        print(f"Fix the cause, then resume with: toms-rpa optout {kind} ROSTER --resume "
              f"{result.run_id}")
    print(f"Report:  {(result.run_dir / 'report.html').resolve()}")
    print(f"Results: {(result.run_dir / 'results.csv').resolve()}")


def _optout(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _logging(args, settings)
    if args.action == "watch":
        from flows.optout.inbox import watch_inbox

        outcome = watch_inbox(settings, args.inbox)
        if args.json:
            print(json.dumps(outcome, sort_keys=True))
        return 0
    if args.action == "report":
        result = report_run(settings, args.run, redact=args.redact)
        if args.json:
            print(json.dumps(result.summary, sort_keys=True))
            return result.exit_code
        _print_result(result, kind="report")
        left = result.counts.get("pending", 0) + result.counts.get("in progress", 0)
        if left:
            print(f"The run is not finished: {left} rows are not done yet (other machines may "
                  "be working on them). Write the report again later, or run the same apply "
                  "command to continue the run.")
        return result.exit_code
    result = run_optout(
        settings, args.roster, kind=args.action, resume=getattr(args, "resume", None),
        redact=args.redact, shard=parse_shard(args.shard) if args.shard else None,
    )
    if args.json:
        print(json.dumps(result.summary, sort_keys=True))
    else:
        _print_result(result, kind=args.action)
    return result.exit_code


def _logging(args: argparse.Namespace, settings: Settings) -> None:
    secrets = [settings.password.get_secret_value()]
    if settings.journal_url is not None:
        url = settings.journal_url.get_secret_value()
        secrets += [url, url_password(url)]
    setup_logging(verbose=args.verbose, log_dir=settings.state_dir / "logs", secrets=secrets)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def mock_portal_process(extra: Sequence[str] = ()) -> Iterator[str]:
    """The bundled portal in a process of its own (it would compete for our CPU otherwise)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_portal", "--port", str(port), *extra],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RunStopped(f"the bundled portal exited with status {proc.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise RunStopped("the bundled portal did not start within 30 s") from None
                time.sleep(0.1)  # polling a process that is starting: nothing to wait on
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _demo(args: argparse.Namespace) -> int:
    base = _settings(args)
    with mock_portal_process() as url:
        settings = _settings(
            args,
            portal_url=url,
            username=DEMO_USER,
            password=DEMO_PASSWORD,
            role=DEMO_ROLE,
            email_code_command=f"{sys.executable} -m mock_portal.outbox {url} {DEMO_USER}",
            state_dir=base.state_dir / "demo",
        )
        _logging(args, settings)
        print(f"The bundled TOMS portal is running at {url}")
        print(f"Demo logon: {DEMO_USER} / {DEMO_PASSWORD} (role: {DEMO_ROLE})")
        print(f"Applying the sample roster {args.roster} with {settings.workers} workers...")
        result = run_optout(settings, args.roster, kind="apply", new_run=True)
        _print_result(result, kind="apply")
        blocked = result.counts.get("blocked", 0)
        if blocked:
            print(f"{blocked} rows were blocked on purpose: the sample roster holds a few rows "
                  "of each kind a coordinator must look at. The report says why for each.")
        if args.keep_open:
            print(f"The portal stays open at {url}; press Ctrl+C to stop it.")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    return EXIT_STOPPED if result.stopped else 0


def _portal(argv: list[str]) -> int:
    """``toms-rpa portal``: ``python -m mock_portal`` under this name, with all its options."""
    from mock_portal.cli import build_parser
    from mock_portal.cli import main as portal_main

    # The portal's own parser, so that an option added there is here too; parsed here first
    # so that --help and mistakes speak of "toms-rpa portal".
    parser = build_parser()
    parser.prog = "toms-rpa portal"
    parser.parse_args(argv)
    return portal_main(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if args.command == "portal":
        return _portal(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        if args.command == "words":
            return _words(args)
        if args.command == "demo":
            return _demo(args)
        if args.command == "practice":
            return _practice(args)
        if args.command == "doctor":
            return _doctor(args)
        return _optout(args)
    except InputError as err:
        print(f"toms-rpa: {err}", file=sys.stderr)
        if getattr(args, "json", False):
            print(json.dumps({"error": str(err), "exit_code": EXIT_INPUT}))
        return EXIT_INPUT
    except JournalUnavailable as err:
        log.debug("The journal could not be reached", exc_info=True)
        print(f"toms-rpa: {err}. {JOURNAL_ADVICE}", file=sys.stderr)
        if getattr(args, "json", False):
            print(json.dumps({"error": str(err), "exit_code": EXIT_STOPPED}))
        return EXIT_STOPPED
    except RunStopped as err:
        print(f"toms-rpa: stopped: {err}", file=sys.stderr)
        return EXIT_STOPPED
    except SystemFailure as err:
        # The portal did something the flows did not expect: say what, and what to do.
        log.debug("The portal behaved unexpectedly", exc_info=True)
        print(f"toms-rpa: {err}", file=sys.stderr)
        print(f"toms-rpa: {RETRY_ADVICE}", file=sys.stderr)
        return EXIT_STOPPED
    except Exception as err:
        log.debug("Unexpected error", exc_info=True)
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        print(f"toms-rpa: unexpected error: {first}", file=sys.stderr)
        print(f"toms-rpa: {RETRY_ADVICE} The details are in the log (logs/toms-rpa.log in the "
              "state directory).", file=sys.stderr)
        return EXIT_STOPPED
    except KeyboardInterrupt:
        print("toms-rpa: interrupted; run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
