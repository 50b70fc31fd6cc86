"""``python -m rpa`` and the ``toms-rpa`` command."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """Run the toms-rpa command line."""
    # The command line is where the toolkit, the TOMS flows and the mock portal meet.
    from flows.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
