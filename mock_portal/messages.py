"""Every user-facing message of the mock portal, word for word.

Tests and flows assert these texts exactly, so they live in one place.
"""

from __future__ import annotations

# Single Sign-On
LOGON_INSTRUCTIONS = (
    "Enter your Single Sign-on username and password to log on to California assessment "
    "systems. You will be directed to your selected system when you have logged on."
)
BAD_CREDENTIALS = "The username or password you entered is incorrect."
USERNAME_REQUIRED = "Please enter your username."
PASSWORD_REQUIRED = "Please enter your password."  # noqa: S105 - a message, not a password
SESSION_EXPIRED = "Your session has expired. Please log on again."
CODE_SENT = "A code has been sent to your email address. The code will expire after 15 minutes."
CODE_INVALID = "Invalid email code. Please try again"
CODE_EXPIRED = "The code has expired. Please log on again."
LOGGED_OFF = "You have logged off."

# Forms and errors
CSRF_FAILED = "Your form has expired. Please reload the page and try again."
SYSTEM_UNAVAILABLE = "The system is temporarily unavailable. Please try again later."
PAGE_NOT_FOUND = "The page you requested was not found."

# TOMS
SELECT_ROLE = "Please select a role"
NO_PERMISSION = "You do not have permission to view this page."
SEARCH_CRITERION_REQUIRED = "Please enter at least one search criterion."
SSID_FORMAT = "SSID must be 10 digits."
NO_STUDENTS_FOUND = "No students found."
STUDENT_NOT_FOUND = "Student not found."

# Test assignments
SELECT_CODE_REQUIRED = "Please select a condition code."
UNSAVED_CHANGES = "You have unsaved changes. Click SAVE at the bottom of the page to save them."
CHANGES_SAVED = "Your changes have been saved."
CODE_NOT_ALLOWED = "Only NTE and PGE can be entered by a coordinator."
CODE_ON_SUBMITTED = "A condition code cannot be set for a test the student has submitted."
CODE_ALREADY_SET = (
    "This test already has a condition code. Only one condition code can be entered per test."
)
CODE_TEST_NOT_ASSIGNED = "A condition code can only be set for a test assigned to the student."
CANNOT_REMOVE_ASSIGNMENT = (
    "A test assignment that has a condition code or has been submitted cannot be removed."
)

# Practice and training test sessions: TA Training Site
SELECT_TEST_REQUIRED = "Select at least one test."
PRACTICE_SESSION_ENDED = "This session has ended."
NO_STUDENTS_WAITING = "No students are waiting for approval."
NO_STUDENTS_SIGNED_IN = "No students have signed in to this session."
STOP_SESSION_CONFIRM = "Are you sure you want to stop this session?"
STUDENT_NOT_WAITING = "This student is no longer waiting for approval."

# Practice and training test sessions: student interface
PRACTICE_SESSION_INVALID = "The session ID you entered is not valid or the session has ended."
STUDENT_NAME_REQUIRED = "Enter your first name and SSID, or sign in as a guest."
SELECT_ONE_TEST = "Select a test."
WAITING_FOR_APPROVAL = "Your test administrator must approve you before you can begin."
STUDENT_DENIED = "Your test administrator did not approve you."
TEST_PAUSED = "Your test is paused. You can sign in again to return to it."
GUEST_TEST_PAUSED = "Your test is paused. Guest users cannot return to a paused test."
STUDENT_SESSION_ENDED = "Your test session has ended. You have been logged out."
STUDENT_IDLE = "You have been logged out because of inactivity."
STUDENT_NOT_TESTING = "The student is not signed in to a test."
STUDENT_CANNOT_RETURN = "Only a student who signed in with an SSID and paused can return."
