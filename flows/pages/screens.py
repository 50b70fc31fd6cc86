"""Each page the flows visit, and what a person finds on it: one definition for all.

The flows' page objects (:mod:`flows.pages`) and the pytest kit's (:mod:`flows.testing`) both
find every control through these :class:`~flows.pages.spec.Spec` definitions; they differ only
in calling Playwright's async or sync API. The words come from :mod:`flows.words`.
"""

from __future__ import annotations

from flows.pages.spec import Spec

__all__ = [
    "Approvals", "Assignments", "CodeDialog", "CodeStep", "Logon", "PortalHome",
    "PracticeSession", "PracticeTests", "Profile", "RoleStep", "Search", "SelectTests", "TaHome",
    "Toms",
]


class PortalHome:
    """The CAASPP portal home page (opt-out guide steps 1 and 2)."""

    toms = Spec.go('the "Test Operations Management System (TOMS)" tile', "portal.toms")
    practice = Spec.go('the "Practice and Training Tests" tile', "portal.practice")


class Logon:
    """The Single Sign-On logon page (step 3)."""

    username = Spec.field("the username field", "logon.username", roles=("textbox",))
    password = Spec.labelled("the password field", "logon.password")
    button = Spec.button('the "Secure Login" button', "logon.button")


class CodeStep:
    """The page asking for the code e-mailed to a new browser (no guide shows it)."""

    field = Spec.field("the field for the e-mailed code", "code.field",
                       roles=("textbox", "spinbutton"))
    submit = Spec.button("the button that sends the code", "code.submit")


class RoleStep:
    """The role choice after the logon (no guide shows it)."""

    prompt = Spec.message("the request to choose a role", "role.prompt")
    field = Spec.choice("the list of roles", "role.field")
    submit = Spec.button("the button that confirms the role", "role.submit")


class Toms:
    """TOMS after logon: the top row of tabs (step 4)."""

    students = Spec.tab('the "Students" tab', "toms.students")


class Search:
    """Students > View & Edit Students (steps 5 and 6)."""

    heading = Spec.heading('the "Search for Students" heading', "search.heading")
    view_edit = Spec(
        'the "View & Edit Students" link', "search.view_edit", roles=("link", "button", "tab")
    )
    ssid = Spec.field('the "SSID" field', "search.ssid")
    last_name = Spec.field('the "Last Name" field', "search.last_name")
    grade = Spec('the "Grade" field', "search.grade",
                 roles=("combobox", "listbox", "textbox", "spinbutton"))
    search = Spec.button('the "SEARCH" button', "search.button")
    clear = Spec.button('the "CLEAR" button', "search.clear")
    results = Spec.table('the search results (a table with an "SSID" column)', "results.ssid")
    none = Spec.message("an empty search", "results.none")
    open = Spec.go("the magnifying glass", "results.open")


class Profile:
    """The Student Profile and its tabs (step 7)."""

    heading = Spec.heading('the "Student Profile" heading', "profile.heading")
    assignments = Spec.tab('the "Test Assignments" tab', "profile.assignments")


class Assignments:
    """Test Assignments: the table, COND. CODE and the bottom SAVE (steps 8, 9, 12, 13)."""

    table = Spec.table(
        'the "Current Active Test Assignments" table (a "Test Program" column)',
        "assignments.test",
    )
    cond_code = Spec.button('the "COND. CODE" button', "assignments.cond_code")
    save = Spec.button('the "SAVE" button at the bottom', "assignments.save",
                       outside_dialogs=True)


class CodeDialog:
    """The "Select Condition Code" dialog (steps 10 and 11)."""

    dialog = Spec.dialog('the "Select Condition Code" dialog', "dialog.title")
    code = Spec.choice('the "Select the condition code for this student." list',
                       "dialog.code", within=dialog)
    save = Spec.button('the dialog\'s "SAVE" button', "dialog.save", within=dialog)
    cancel = Spec.button('the dialog\'s "CANCEL" button', "dialog.cancel", within=dialog)
    key = Spec.message('the "Code Key"', "dialog.key", within=dialog)


class PracticeTests:
    """The Practice and Training Tests page (practice guide steps 2 and 3)."""

    start = Spec.go(
        'the "Start a Practice or Training Test Session" button', "practice.start"
    )


class TaHome:
    """The Test Administrator Training Site's home (step 5)."""

    in_person = Spec.go('the "Start an In-Person Session" button', "practice.in_person")
    remote = Spec.go('the "Start a Remote Session" button', "practice.remote")


class SelectTests:
    """The choice of practice or training tests (step 6)."""

    submit = Spec.button("the button that starts the session with the tests",
                         "practice.tests_submit")


class PracticeSession:
    """The session: its Practice Session ID, link and tabs; stopping it (step 7)."""

    session_id = Spec.labelled('the "Practice Session ID"', "practice.session_id")
    session_id_text = Spec.message('the "Practice Session ID"', "practice.session_id")
    link = Spec.go("the session link", "practice.link")
    approvals = Spec.tab('the "Approvals" tab', "practice.approvals")
    stop = Spec.button("the button that stops the session", "practice.stop",
                       outside_dialogs=True)
    ended = Spec.message("a session that has ended", "practice.ended")


class Approvals:
    """The Approvals tab: who is waiting, approve, deny with a reason (step 8)."""

    waiting = Spec.table("the students waiting for approval (a table with an SSID column)",
                         "practice.ssid")
    none = Spec.message("an empty list of students waiting", "practice.none_waiting")
    refresh = Spec.button("the button that refreshes the list", "practice.refresh")
    approve = Spec.button("the button that approves the student", "practice.approve")
    deny = Spec.button("the button that denies the student", "practice.deny")
