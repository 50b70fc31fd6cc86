"""Print the latest code the mock portal e-mailed to a user.

``python -m mock_portal.outbox BASE_URL USERNAME`` prints the bare code and exits 0, or exits
1 when there is none (2 when the portal cannot be reached). Meant as ``TOMS_EMAIL_CODE_COMMAND``
in demos against the mock.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.parse
import urllib.request

__all__ = ["fetch_code", "main"]


def fetch_code(base_url: str, username: str, *, timeout: float = 10.0) -> str | None:
    """The latest code sent to ``username``, or None if there is none."""
    query = urllib.parse.urlencode({"to": username})
    url = f"{base_url.rstrip('/')}/__mock__/outbox?{query}"
    if not url.startswith(("http://", "https://")):
        raise ValueError("BASE_URL must start with http:// or https://")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - checked above
            body: bytes = response.read()
    except urllib.error.HTTPError as err:
        if err.code == 404:
            return None
        raise
    return body.decode("utf-8").strip() or None


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m mock_portal.outbox BASE_URL USERNAME", file=sys.stderr)
        return 2
    try:
        code = fetch_code(args[0], args[1])
    except (OSError, ValueError) as err:
        print(f"cannot read the outbox: {err}", file=sys.stderr)
        return 2
    if code is None:
        print(f"no code for {args[1]}", file=sys.stderr)
        return 1
    print(code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
