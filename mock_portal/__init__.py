"""A Flask copy of California's CAASPP portal, Single Sign-On and TOMS, for tests and demos.

Usage::

    from mock_portal import PortalConfig, PortalServer, create_app

    with PortalServer(PortalConfig(students=200)) as server:
        print(server.url)
"""

from __future__ import annotations

from .app import create_app
from .config import PortalConfig
from .server import PortalServer, serve_forever
from .state import Faults, PortalState, get_state

__all__ = [
    "Faults",
    "PortalConfig",
    "PortalServer",
    "PortalState",
    "create_app",
    "get_state",
    "serve_forever",
]
