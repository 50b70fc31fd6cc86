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
