"""The alt build's wording of everything the quick guides do not show, word for word.

The guides' own words are the same in both builds and are not here. The server always chooses
its messages from ``messages``; an alt template shows them through ``say``, which gives the
alt wording of the same message. Constants named as in ``messages`` are those alt twins; the
others name the alt build's own controls and texts (labels, buttons, headings).
"""

from __future__ import annotations

from typing import Final

from . import messages

__all__ = ["say"]

# --- twins of ``messages`` (same names) --------------------------------------------------------

# Single Sign-On
BAD_CREDENTIALS = "We couldn't sign you in. Check your e-mail address and password."
USERNAME_REQUIRED = "E-mail address is required."
PASSWORD_REQUIRED = "Password is required."  # noqa: S105 - a message, not a password
SESSION_EXPIRED = "You were signed out after a period of inactivity. Sign in to continue."
CODE_SENT = "We e-mailed you a one-time code. It works for 15 minutes."
CODE_INVALID = "That code didn't work. Check it and try again."
CODE_EXPIRED = "That code is too old. Sign in again to get a new one."
LOGGED_OFF = "You're signed out."

# Forms and errors
CSRF_FAILED = "This form was open too long. Reload the page and try once more."
SYSTEM_UNAVAILABLE = "We're sorry, your request could not be completed. Try again in a moment."
PAGE_NOT_FOUND = "There is nothing at this address."

# TOMS ("Please select a role" is the real portal's, see portal-reference.md: kept)
SELECT_ROLE = "Please select a role"
NO_PERMISSION = "Your role can't open this area."
SEARCH_CRITERION_REQUIRED = "Fill in at least one field before searching."
SSID_FORMAT = "An SSID has exactly 10 digits."
NO_STUDENTS_FOUND = "0 records match your criteria"
STUDENT_NOT_FOUND = "No such student in your organizations."

# Test assignments
SELECT_CODE_REQUIRED = "Choose a code first."
UNSAVED_CHANGES = "Staged, not stored yet: use SAVE at the end of the page."
CHANGES_SAVED = "Record updated."
CODE_NOT_ALLOWED = "That code can't be entered here."
CODE_ON_SUBMITTED = "This test is completed; it can't take a code now."
CODE_ALREADY_SET = "A code is already on this test. One code per test."
CODE_TEST_NOT_ASSIGNED = "That test isn't assigned to this student."
CANNOT_REMOVE_ASSIGNMENT = "Tests that are completed or carry a code stay assigned."

# Practice and training test sessions: TA Training Site
SELECT_TEST_REQUIRED = "Tick at least one test."
PRACTICE_SESSION_ENDED = "Session closed."
NO_STUDENTS_WAITING = "Queue is empty."
NO_STUDENTS_SIGNED_IN = "Nobody has joined yet."
STOP_SESSION_CONFIRM = "Ending the session signs every student out of it. Continue?"
STUDENT_NOT_WAITING = "Already handled."

# Practice and training test sessions: student interface
PRACTICE_SESSION_INVALID = "We can't find an open session with that ID."
STUDENT_NAME_REQUIRED = "Type your first name and SSID, or tick the guest box."
SELECT_ONE_TEST = "Pick a test."
WAITING_FOR_APPROVAL = "Hold on: your teacher lets you in from their screen."
STUDENT_DENIED = "Your teacher turned down this sign-in."
TEST_PAUSED = "Break started. Sign in again to pick up where you left off."
GUEST_TEST_PAUSED = "Break started. Guests start over next time."
STUDENT_SESSION_ENDED = "The session was closed and you were signed out."
STUDENT_IDLE = "Signed out: no activity for a while."

# Titles the server gives its message pages.
TITLES: Final = {
    "Not Found": "Nothing here",
    "Students": "Access denied",
    "Student Not Found": "Unknown student",
    "Bad Request": "Please try again",
    "Forbidden": "Access denied",
}
ERROR_TITLES: Final = {500: "Something went wrong", 503: "We'll be right back"}
ERROR_TEXTS: Final = {
    500: SYSTEM_UNAVAILABLE,
    503: "We're sorry, the site is busy. Please come back in a few minutes.",
}
ERROR_REFERENCE = "Reference: E{status}"
DENY_REASON_PREFIX = "Reason: "
DENY_REASON_ALT = "Your teacher wrote: "

# --- the alt build's own words ------------------------------------------------------------------

# Page chrome
FOOTER_NOTE = "Demo environment: every name and number here is invented."
SIGNED_IN_AS = "Signed in as"
WORKING_AS = "Working as:"
SWITCH_ROLE = "Switch role"
SIGN_OUT = "Sign out"
FRAME_TITLE = "Workspace"
TOP_TABS_LABEL = "TOMS sections"
NOT_MODELLED = "Coming later: this area is not part of the mock."
BACK_HOME = "Return to the start page"
HELP = "Help"
LOADING = "Loading…"
VIEW_FAILED = "The connection dropped before the answer came. Try again."

# Logon and the e-mail code step
LOGON_TITLE = "CAASPP Single Sign-On"
USERNAME_LABEL = "E-mail address"
PASSWORD_LABEL = "Password"  # noqa: S105 - a label, not a password
CODE_TITLE = "Verify it's you"
CODE_LABEL = "Verification code"
CODE_BUTTON = "Verify"
SIMPLE_PAGE = "This part of the sign-on service is not in the mock. Call 800-955-2954."
BACK_TO_LOGON = "Return to sign-on"

# Role choice
ROLE_GROUP = "Available roles"
ROLE_BUTTON = "OK"

# MyTOMS home
GLANCE_ROLE = "Current role"
GLANCE_WINDOW = "Summative window"
GLANCE_WINDOW_VALUE = "In progress"
NOTIFICATION_1 = "PGE codes go in before a student starts testing."
NOTIFICATION_2 = "File the parent's written request first, then enter the PGE."

# Search
BREADCRUMB_LABEL = "You are here"
ANY = "(any)"
RESULTS_LABEL = "Matching students"
MAGNIFIER = "Open student record"
MORE_RESULTS = "Results 1–{shown} of {total}. Refine the search to see the rest."  # noqa: RUF001
UR_YES = "Y"
UR_NO = "N"

# Student profile
PROFILE_SECTIONS = "Profile sections"
PROFILE_LINE = "Record of {name}, SSID {ssid}"
DEMOGRAPHIC_CAPTION = "Demographic details"
STATUS_SUBMITTED = "Completed"
CODE_PLACEHOLDER = "Choose…"
# Opaque values of the condition code list (the server maps them back).
CODE_OPTION_VALUES: Final = {"NTE": "4107", "PGE": "4112"}
CODE_OPTION_CODES: Final = {value: code for code, value in CODE_OPTION_VALUES.items()}

# Practice: CAASPP page and TA Training Site
PRACTICE_INTRO = (
    "Try the online tests the way students see them. Teachers who hold a TOMS role can open a "
    "session for their class, in the room or at a distance."
)
TRAINING_INTRO = "Open a session, pick the tests, then hand the session ID to your students."
OPEN_SESSIONS = "Open sessions"
IN_PERSON = "In person"
REMOTE = "At a distance"
SELECT_TITLE = "Choose tests for this session"
SESSION_MODE = "Mode:"
CREATE_SESSION = "Create session"
BACK = "Back"
SESSION_TITLE = "Session details"
SESSION_LINK = "Link for students"
SESSION_TESTS = "Tests offered"
ROSTER_TAB = "Roster"
WAITING_COUNT = "{count} waiting"
STOP_SESSION = "End session"
STOP_TITLE = "End this session?"
STOP_YES = "End now"
STOP_NO = "Keep it running"
REFRESH = "Reload list"
AUTO_REFRESH = "Updated automatically every half minute."
APPROVE = "Admit"
APPROVE_ALL = "Admit everyone"
DENY = "Turn away"
DENY_TITLE = "Turn this student away?"
DENY_REASON_LABEL = "Note for the student (optional)"
DENY_CANCEL = "Go back"
GRID_STUDENT = "Student"
GRID_SSID = "Student ID"
GRID_TEST = "Test chosen"
GRID_STATE = "State"
GRID_DECISION = "Decision"
GRID_WAITING = "Waiting students"
NO_TEST_YET = "(none yet)"
GUEST = "Guest"
STATE_LABELS: Final = {
    "signing-in": "Joining",
    "waiting": "In queue",
    "approved": "Admitted",
    "denied": "Turned away",
    "paused": "On a break",
    "logged-out": "Left",
}

# Student interface
STUDENT_SIGN_IN = "Join a practice test"
GUEST_LABEL = "I am a guest"
GUEST_HINT = "Guests may leave the name and SSID empty."
JOIN = "Join"
YES_ME = "That's me"
NOT_ME = "Not me"
CHOOSE_TITLE = "Pick your test"
CHOOSE_BUTTON = "Continue"
WAITING_TITLE = "Almost there"
CHECK_AGAIN = "Ask again"
APPROVED_TITLE = "You're in"
BEGIN = "Start"
PAUSE = "Take a break"
TEST_BODY = "The questions are not part of the mock."

_TWINS: Final = {
    value: globals()[name]
    for name, value in vars(messages).items()
    if name.isupper() and isinstance(value, str) and isinstance(globals().get(name), str)
}


def say(text: str) -> str:
    """The alt build's wording of a message or page title the server chose.

    Anything else (a student's own text, a name) comes back as it is.
    """
    if text.startswith(DENY_REASON_PREFIX):
        return DENY_REASON_ALT + text.removeprefix(DENY_REASON_PREFIX)
    return _TWINS.get(text) or TITLES.get(text, text)
