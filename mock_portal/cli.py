"""``python -m mock_portal``: serve the mock portal in the foreground."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .builds import BUILDS
from .config import PortalConfig
from .seed import load_accounts
from .server import serve_forever

__all__ = ["build_parser", "config_from_args", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m mock_portal", description="Serve the mock CAASPP portal and TOMS."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (0 picks a free one)")
    parser.add_argument("--students", type=int, default=1000, help="students to seed")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the data generator")
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (default: temporary)")
    parser.add_argument("--latency-ms", type=int, default=0, help="delay added to every request")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of error pages")
    parser.add_argument("--idle-timeout", type=float, default=1200, help="idle logoff, seconds")
    parser.add_argument("--session-lifetime", type=float, default=None, help="max session age, s")
    parser.add_argument("--session-expiry-rate", type=float, default=0.0, help="random expiry")
    parser.add_argument("--iframe-delay-ms", type=int, default=0, help="extra delay of frames")
    parser.add_argument("--slow-rate", type=float, default=0.0, help="share of slow requests")
    parser.add_argument("--slow-ms", type=int, default=0, help="delay of a slow request")
    parser.add_argument(
        "--practice-idle-timeout", type=float, default=1800,
        help="practice sessions and students logged off after this long idle, seconds",
    )
    parser.add_argument("--fault-seed", type=int, default=1, help="seed of injected faults")
    parser.add_argument("--profile-tab-pages", action="store_true",
                        help="each Student Profile tab a page of its own (the frame reloads)")
    parser.add_argument(
        "--build", choices=BUILDS, default="default",
        help="markup and wording of the pages: default; alt (a second build: the guides' words"
        " with other markup and other words elsewhere, some views filled by script); mixed"
        " (each kind of page from one or the other, chosen by --build-seed)",
    )
    parser.add_argument("--build-seed", type=int, default=0,
                        help="which kinds of page are alt in the mixed build")
    parser.add_argument("--silent-save", action="store_true",
                        help="test fault: the bottom SAVE stores nothing and the page stays")
    parser.add_argument("--code-page", choices=("default", "unknown"), default="default",
                        help="test fault: 'unknown' words the e-mail code step as nobody would"
                        " guess (it still works)")
    parser.add_argument("--log-requests", action="store_true", help="log each request")
    return parser


def config_from_args(args: argparse.Namespace) -> PortalConfig:
    """Turn parsed options into a PortalConfig."""
    return PortalConfig(
        db_path=args.db,
        students=args.students,
        seed=args.seed,
        latency_ms=args.latency_ms,
        error_rate=args.error_rate,
        idle_timeout_s=args.idle_timeout,
        session_lifetime_s=args.session_lifetime,
        session_expiry_rate=args.session_expiry_rate,
        iframe_delay_ms=args.iframe_delay_ms,
        slow_rate=args.slow_rate,
        slow_ms=args.slow_ms,
        practice_idle_timeout_s=args.practice_idle_timeout,
        fault_seed=args.fault_seed,
        profile_tab_pages=args.profile_tab_pages,
        build=args.build,
        build_seed=args.build_seed,
        silent_save=args.silent_save,
        code_page=args.code_page,
    )


def _announce(url: str) -> None:
    print(f"Mock CAASPP portal: {url}/")
    print(f"TOMS:               {url}/toms/")
    print("Demo logons (password: demo-password):")
    for account in load_accounts():
        roles = "; ".join(f"{role} {cds}" for role, cds in account.roles)
        print(f"  {account.username:32} {roles}")
    print(f"E-mailed codes:     python -m mock_portal.outbox {url} USERNAME")
    print("Press Ctrl+C to stop.", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, print the URL and demo logons, serve until Ctrl+C."""
    args = build_parser().parse_args(argv)
    try:
        serve_forever(
            config_from_args(args),
            args.host,
            args.port,
            on_ready=_announce,
            log_requests=args.log_requests,
        )
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
    return 0
