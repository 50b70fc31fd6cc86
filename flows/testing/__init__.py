"""End-to-end testing against the mock TOMS: a pytest plugin and small sync page objects.

The plugin (:mod:`flows.testing.plugin`) loads itself when toms-rpa is installed and gives
tests the fixtures ``toms_portal``, ``toms_accounts`` and ``toms``; import the types from here
to annotate them::

    from flows.testing import Toms, TomsPortal
"""

from __future__ import annotations

from .pages import (
    Logon,
    PortalHome,
    SearchResults,
    StudentProfile,
    StudentSearch,
    TestAssignments,
    Toms,
)
from .plugin import TomsPortal

__all__ = [
    "Logon",
    "PortalHome",
    "SearchResults",
    "StudentProfile",
    "StudentSearch",
    "TestAssignments",
    "Toms",
    "TomsPortal",
]
