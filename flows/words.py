"""Every word the flows look for on the portal, with where it comes from.

This is the flows' one list of words, kept as a translator keeps a catalogue: each entry has
a key, the words as its source writes them, the source itself (``#: file:line`` of one of the
two quick guides in ``docs/portal-guides/``, or ``assumed`` when no guide shows the step) and
alternatives. A person's portal is never ours: wherever the guides are silent (the e-mailed
code, the role choice, empty results, error pages, the practice site's lists and dialogs), an
entry carries several plausible wordings, never one.

A user adds wordings for their own portal without touching code, in a TOML file named by
``TOMS_WORDS_FILE`` (or ``words.toml`` in the state directory)::

    # my portal's words, tried before toms-rpa's own
    "code.field" = ["Verification number"]
    "results.none" = ["Nothing matched your search"]

``toms-rpa words`` lists every entry; ``toms-rpa doctor`` prints which one matched at each step.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from rpa.errors import InputError

__all__ = [
    "CATALOGUE", "GUIDES", "USER_FILE", "Entry", "Match", "entry", "extend", "listing",
    "load_configured", "load_user_words", "matches", "pattern", "reset", "texts",
]

Match = Literal["exact", "start", "contains"]

OPT_OUT = "opt-out-quick-guide.txt"
PRACTICE = "practice-session-quick-guide.txt"
GUIDES = (OPT_OUT, PRACTICE)
ASSUMED = "assumed"
USER_FILE = "words.toml"


@dataclass(frozen=True)
class Entry:
    """One thing the flows look for, in every wording they know.

    Attributes:
        key: How the flows name it, e.g. ``"search.button"``.
        words: The words as the source writes them; the first is the preferred one.
        source: ``"<guide file>:<line>"`` where the words are written, or ``"assumed"``.
        also: Other wordings, assumed (the user's own come first).
        match: How a name is compared: the whole name, its start, or anywhere in it (case
            and spacing never matter).
        note: What it is, for the listing.
    """

    key: str
    words: tuple[str, ...]
    source: str
    also: tuple[str, ...] = ()
    match: Match = "exact"
    note: str = ""
    user: tuple[str, ...] = field(default=(), compare=False)

    @property
    def all(self) -> tuple[str, ...]:
        """Every wording, the user's first, then the source's, then the assumed ones."""
        seen: dict[str, None] = {}
        for text in (*self.user, *self.words, *self.also):
            seen.setdefault(text, None)
        return tuple(seen)

    @property
    def from_guide(self) -> bool:
        """Whether the words are written in one of the guides."""
        return self.source != ASSUMED


def _g(guide: str, line: int) -> str:
    return f"{guide}:{line}"


_ENTRIES: tuple[Entry, ...] = (
    # --- The CAASPP portal (opt-out guide steps 1 and 2; practice guide step 2) ----------------
    Entry("portal.toms", ("Test Operations Management System (TOMS)",), _g(OPT_OUT, 7),
          note="the TOMS tile on the portal home page"),
    Entry("portal.practice", ("Practice and Training Tests",), _g(PRACTICE, 10),
          also=("Practice & Training Tests",),
          note="the Practice and Training Tests tile"),
    # --- Single Sign-On (step 3) ---------------------------------------------------------------
    Entry("logon.button", ("Secure Login",), _g(OPT_OUT, 51),
          also=("Secure Logon", "Log On", "Logon", "Log In", "Login", "Sign In", "Sign On"),
          note="the button that sends username and password"),
    Entry("logon.username", ("Username", "User Name", "Email Address", "E-mail Address",
                             "Email", "E-mail", "User ID", "Login ID"), ASSUMED,
          note="the username field (the guide shows an e-mail address in it, not a label)"),
    Entry("logon.password", ("Password",), ASSUMED, note="the password field"),
    Entry("code.field", ("Email Code", "E-mail Code", "Verification Code", "Security Code",
                         "One-time code", "One time code", "Passcode", "Authentication Code",
                         "Access Code", "Code"), ASSUMED, match="contains",
          note="the field for the code the portal e-mails to a new browser"),
    Entry("code.submit", ("Submit", "Verify", "Continue", "Next", "Confirm", "Sign In", "Log On",
                          "Log In", "OK", "Send", "Enter"), ASSUMED,
          note="the button that sends the e-mailed code (else Enter is pressed in the field)"),
    Entry("role.prompt", ("Please select a role", "Select a role", "Select Role",
                          "Choose a role", "Select your role", "Choose your role"), ASSUMED,
          match="contains", note="what asks for a role after the logon"),
    Entry("role.field", ("Role", "Select Role", "Select a role", "Role and Organization",
                         "Roles"), ASSUMED, match="contains",
          note="the list of the user's roles"),
    Entry("role.submit", ("Continue", "OK", "Go", "Submit", "Select", "Next", "Enter",
                          "Log On", "Confirm"), ASSUMED,
          note="the button that confirms the role (else Enter is pressed)"),
    # --- Pages that come instead of the expected one --------------------------------------------
    Entry("page.expired", ("session has expired", "session expired", "session has timed out",
                           "session timed out", "logged out due to inactivity",
                           "logged off due to inactivity", "because of inactivity",
                           "please log on again", "please log in again",
                           "please sign in again"), ASSUMED, match="contains",
          note="a message that the session ended"),
    Entry("page.error", ("internal server error", "service unavailable",
                         "temporarily unavailable", "an error has occurred",
                         "an error occurred", "something went wrong", "unexpected error",
                         "we're sorry", "we are sorry", "bad gateway", "gateway timeout",
                         "system error", "server error", "error 500", "error 502",
                         "error 503", "error 504", "try again later",
                         "be right back", "site is busy", "could not be completed",
                         "down for maintenance", "not available right now",
                         "site can't be reached",
                         "refused to connect"), ASSUMED, match="contains",
          note="an error page, or an error shown where the content should be"),
    # --- TOMS (step 4) --------------------------------------------------------------------------
    Entry("toms.students", ("Students",), _g(OPT_OUT, 72),
          note="the Students tab in the top row of tabs"),
    # --- Students > View & Edit Students (steps 5 and 6) ----------------------------------------
    Entry("search.heading", ("Search for Students",), _g(OPT_OUT, 82), match="start",
          note="the search form's heading"),
    Entry("search.view_edit", ("View & Edit Students",), _g(OPT_OUT, 80),
          also=("View and Edit Students",),
          note="the way back to the search form (Students > View & Edit Students)"),
    Entry("search.ssid", ("SSID",), _g(OPT_OUT, 84), note="the SSID search field"),
    Entry("search.last_name", ("Last Name",), _g(OPT_OUT, 84),
          note="a search field (doctor finds a few students with it)"),
    Entry("search.grade", ("Grade",), _g(OPT_OUT, 86),
          note="a search field (doctor finds a few students with it)"),
    Entry("search.button", ("SEARCH",), _g(OPT_OUT, 90), note="the SEARCH button"),
    Entry("search.clear", ("CLEAR",), _g(OPT_OUT, 90), note="the CLEAR button"),
    Entry("results.name", ("Name",), _g(OPT_OUT, 94), note="a results column"),
    Entry("results.ssid", ("SSID",), _g(OPT_OUT, 94), note="a results column"),
    Entry("results.school", ("School",), _g(OPT_OUT, 94), note="a results column"),
    Entry("results.grade", ("Grade",), _g(OPT_OUT, 94), note="a results column"),
    Entry("results.actions", ("Actions",), _g(OPT_OUT, 94), match="start",
          note="the results column with the magnifying glass"),
    Entry("results.open", ("View Student", "View", "Open", "Open Student", "Student Details",
                           "Details", "View Details", "Magnifying glass", "View/Edit",
                           "View & Edit", "Edit", "Select"), ASSUMED, match="start",
          note="the magnifying glass, when the Actions column cannot be told"),
    Entry("results.none", ("No students found", "No students were found",
                           "No student was found", "No records found", "No records match",
                           "No matching students", "No matching records", "No results",
                           "0 records", "0 students", "0 results", "returned no results",
                           "did not return any", "No data", "Nothing found",
                           "no student matches", "no students match", "did not match any"),
          ASSUMED, match="contains", note="an empty search, however the portal says it"),
    # --- Student Profile (step 7) ---------------------------------------------------------------
    Entry("profile.heading", ("Student Profile",), _g(OPT_OUT, 102), match="start",
          note="the student profile's heading"),
    Entry("profile.assignments", ("Test Assignments",), _g(OPT_OUT, 104),
          note="the Test Assignments tab"),
    # --- Test Assignments (steps 8 to 13) -------------------------------------------------------
    Entry("assignments.table", ("Current Active Test Assignments",), _g(OPT_OUT, 110),
          match="start", note="the assignments box (a label, when there is one)"),
    Entry("assignments.test", ("Test Program",), _g(OPT_OUT, 112), note="a column"),
    Entry("assignments.status", ("Test Assignment Status",), _g(OPT_OUT, 112), note="a column"),
    Entry("assignments.code", ("Condition Code",), _g(OPT_OUT, 112), note="a column"),
    Entry("assignments.action", ("Action",), _g(OPT_OUT, 112), match="start",
          note='a column (the guide\'s header reads "Action ?")'),
    Entry("assignments.cond_code", ("COND. CODE",), _g(OPT_OUT, 113),
          also=("COND CODE", "Condition Code"), note="the button that opens the code dialog"),
    Entry("dialog.title", ("Select Condition Code",), _g(OPT_OUT, 120),
          note="the condition code dialog"),
    Entry("dialog.code", ("Select the condition code for this student.",), _g(OPT_OUT, 122),
          also=("Condition Code", "Select condition code", "Code"), match="start",
          note="the drop-down of codes"),
    Entry("dialog.cancel", ("CANCEL",), _g(OPT_OUT, 128), also=("Close", "Cancel"),
          note="closes the dialog without staging"),
    Entry("dialog.save", ("SAVE",), _g(OPT_OUT, 128), note="stages the code in the table"),
    Entry("dialog.key", ("Code Key",), _g(OPT_OUT, 124), note="the dialog's list of codes"),
    Entry("code.PGE", ("PGE: Parent/Guardian exemption",), _g(OPT_OUT, 126), match="start",
          note="the code key's PGE"),
    Entry("code.NTE", ("NTE: Not tested medical emergency",), _g(OPT_OUT, 125), match="start",
          note="the code key's NTE"),
    Entry("assignments.save", ("SAVE",), _g(OPT_OUT, 155),
          note="the SAVE at the very bottom, which stores the staged codes"),
    # --- Practice and training test sessions (the second guide) --------------------------------
    Entry("practice.start", ("Start a Practice or Training Test Session",), _g(PRACTICE, 11),
          note="the button on the Practice and Training Tests page"),
    Entry("practice.in_person", ("Start an In-Person Session",), _g(PRACTICE, 13),
          note="starts an in-person session"),
    Entry("practice.remote", ("Start a Remote Session",), _g(PRACTICE, 13),
          note="starts a remote session"),
    Entry("practice.tests_submit", ("Start Session", "Start the Session", "Start",
                                    "Create Session", "Begin Session", "Continue", "Next",
                                    "Done", "Submit", "OK", "Start Practice Session"),
          ASSUMED, note="confirms the tests chosen (step 6)"),
    Entry("practice.session_id", ("Practice Session ID",), _g(PRACTICE, 15), match="start",
          also=("Session ID",), note="the ID students sign in with"),
    Entry("practice.link", ("Session Link", "session link", "Link", "Student Link",
                            "Remote Link", "Share link"), ASSUMED, match="contains",
          note="the link of a remote session (the guide says to share it, not its name)"),
    Entry("practice.approvals", ("Approvals",), _g(PRACTICE, 17), match="start",
          note="the Approvals tab"),
    Entry("practice.first_name", ("First Name", "Student First Name", "First", "Student Name",
                                  "Student", "Name"), ASSUMED,
          note="the waiting list's first-name column"),
    Entry("practice.ssid", ("SSID", "Student SSID", "Statewide Student Identifier",
                            "Student ID", "ID"), ASSUMED,
          note="the waiting list's SSID column"),
    Entry("practice.test", ("Test", "Assessment", "Practice Test", "Requested Test"), ASSUMED,
          match="start",
          note="the waiting list's test column"),
    Entry("practice.guest", ("Guest", "Guest User", "GUEST"), ASSUMED, match="start",
          note="how a guest shows in the SSID column"),
    Entry("practice.approve", ("Approve", "Approve Student", "Admit", "Accept", "Allow"),
          ASSUMED, note="approves one waiting student"),
    Entry("practice.deny", ("Deny", "Deny Student", "Reject", "Decline", "Refuse",
                            "Do Not Approve", "Turn away", "Turn Student Away", "Not Admit",
                            "Remove"), ASSUMED, note="denies one waiting student"),
    Entry("practice.reason", ("Reason", "Reason (optional)", "Reason for denial",
                              "Denial reason", "Comment", "Comments", "Message", "Note"),
          ASSUMED, match="start", note="the deny dialog's reason field"),
    Entry("practice.cancel", ("Cancel", "Close", "No", "Back", "Keep Session",
                              "Keep it running", "Keep running", "Keep it open", "Don't Stop",
                              "Do not stop", "Go Back", "Never mind", "Dismiss"), ASSUMED,
          note="the button of a dialog that changes nothing"),
    Entry("practice.refresh", ("Refresh", "Reload", "Refresh List", "Update", "Check Again",
                               "Refresh Approvals"), ASSUMED, match="start",
          note="asks the Approvals tab again (else the page is reloaded)"),
    Entry("practice.none_waiting", ("No students are waiting", "No students waiting",
                                    "No students to approve", "No pending",
                                    "Nobody is waiting", "No students have requested",
                                    "no students awaiting", "No requests", "0 students",
                                    "no students require approval", "No one is waiting",
                                    "Queue is empty", "No one in the queue",
                                    "nobody in the queue", "list is empty"),
          ASSUMED, match="contains", note="an empty Approvals list"),
    Entry("practice.stop", ("Stop Session", "Stop", "End Session", "End", "Close Session",
                            "Stop this Session", "End this Session", "Stop the Session"),
          ASSUMED, note="stops the session"),
    Entry("practice.confirm_stop", ("Yes, Stop Session", "Yes, stop", "Yes", "Stop Session",
                                    "Stop", "Stop now", "End Session", "End now",
                                    "Yes, End Session", "OK", "Confirm"), ASSUMED,
          note="confirms stopping (a dialog's non-cancel button)"),
    Entry("practice.ended", ("session has ended", "session ended", "session is closed",
                             "session closed",
                             "session has been closed", "session has been stopped",
                             "session stopped", "session was stopped", "no longer active",
                             "session is not active", "session has expired",
                             "session is inactive"), ASSUMED, match="contains",
          note="a session that is over"),
)

CATALOGUE: dict[str, Entry] = {e.key: e for e in _ENTRIES}
"""Every entry by key, with the user's wordings merged in by :func:`extend`."""

_PATTERNS: dict[str, re.Pattern[str]] = {}


def entry(key: str) -> Entry:
    """The entry ``key``; a key no entry has is a bug in the flows."""
    try:
        return CATALOGUE[key]
    except KeyError:
        raise KeyError(f"the word list has no entry {key!r}") from None


def texts(key: str) -> tuple[str, ...]:
    """Every wording of ``key``, preferred first."""
    return entry(key).all


def _escape(text: str) -> str:
    # Patterns are used by Python and, through Playwright, by JavaScript: escape only what both
    # treat as special, and let any run of spaces match any whitespace.
    parts = [re.sub(r"([\\^$.|?*+()\[\]{}/])", r"\\\1", p) for p in text.split()]
    # A typed apostrophe and a typographic one are the same to a reader.
    return r"\s+".join(parts).replace("'", "['\u2019]")


def _source(entry_: Entry) -> str:
    body = "|".join(_escape(t) for t in entry_.all)
    if entry_.match == "exact":
        return rf"^\s*(?:{body})\s*$"
    if entry_.match == "start":
        return rf"^\s*(?:{body})"
    return rf"(?:{body})"


def pattern(key: str) -> re.Pattern[str]:
    """A case-insensitive pattern matching any wording of ``key`` (for names and texts)."""
    found = _PATTERNS.get(key)
    if found is None:
        found = _PATTERNS[key] = re.compile(_source(entry(key)), re.IGNORECASE)
    return found


def matches(key: str, text: str) -> bool:
    """Whether ``text`` (a header, a cell, a message) is one of ``key``'s wordings."""
    cleaned = " ".join(text.split())
    if entry(key).match != "contains":
        # A help icon next to a header ("Action ?") is not part of its words.
        cleaned = cleaned.rstrip(" ?*:")
    return pattern(key).search(cleaned) is not None


def extend(words: Mapping[str, Iterable[str]], *, origin: str = "") -> None:
    """Add wordings (tried first) to entries; an unknown key or an empty word is refused."""
    problems = []
    for key, given in words.items():
        if key not in CATALOGUE:
            close = difflib.get_close_matches(key, CATALOGUE, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"no entry {key!r}{hint}")
            continue
        if isinstance(given, str):
            given = [given]
        added = tuple(str(w).strip() for w in given)
        if not added or not all(added):
            problems.append(f"{key!r} needs a list of non-empty words")
            continue
        current = CATALOGUE[key]
        CATALOGUE[key] = replace(current, user=(*added, *current.user))
        _PATTERNS.pop(key, None)
    if problems:
        where = f" in {origin}" if origin else ""
        raise InputError(
            f"The word list{where} has problems: " + "; ".join(problems)
            + ". `toms-rpa words` lists the entries."
        )


def load_user_words(path: Path) -> int:
    """Add the wordings of the TOML file at ``path``; return how many entries it extends."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(f"Cannot read the word list {path}: {err.strerror}") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"The word list {path} is not valid TOML: {err}") from None
    words = data.get("words", data)
    if not isinstance(words, dict):
        raise InputError(f"The word list {path} must map entry keys to lists of words")
    extend(words, origin=str(path))
    return len(words)


def load_configured(words_file: Path | None, state_dir: Path) -> Path | None:
    """The user's word list: ``words_file`` when set (it must be there), else ``words.toml``
    in the state directory when there is one. Returns the file read, if any."""
    path = words_file if words_file is not None else state_dir / USER_FILE
    if words_file is None and not path.is_file():
        return None
    load_user_words(path)
    return path


def listing() -> list[str]:
    """Every entry, for ``toms-rpa words``: key, source, and its wordings."""
    lines = []
    for found in CATALOGUE.values():
        lines.append(f"{found.key}  ({found.source}; {found.match})  {found.note}")
        for text in found.user:
            lines.append(f"    {text!r}  (yours)")
        for text in found.words:
            lines.append(f"    {text!r}" + ("  (the guide's)" if found.from_guide else ""))
        for text in found.also:
            lines.append(f"    {text!r}  (assumed)")
    return lines


def reset() -> None:
    """Forget every user wording (for tests)."""
    for key, current in list(CATALOGUE.items()):
        if current.user:
            CATALOGUE[key] = replace(current, user=())
    _PATTERNS.clear()
