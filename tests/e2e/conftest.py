"""The end-to-end tests' portals: the bundled portal in each of its builds.

A flow that passes on one build and fails on another is worth nothing on a portal we have never
seen: the runs that matter most are made on the default build and on the alt build, whose
markup and un-guided wording differ (``mock_portal --build alt``).
"""

from __future__ import annotations

from collections.abc import Generator

import httpx
import pytest

from mock_portal import PortalConfig
from mock_portal.server import PortalServer
from tests.conftest import TEST_STUDENTS, Portal

BUILDS = ("default", "alt")


@pytest.fixture(scope="session")
def alt_portal_server() -> Generator[PortalServer, None, None]:
    with PortalServer(PortalConfig(students=TEST_STUDENTS, build="alt")) as server:
        yield server


@pytest.fixture(scope="session")
def mixed_portal_server() -> Generator[PortalServer, None, None]:
    config = PortalConfig(students=TEST_STUDENTS, build="mixed", build_seed=1)
    with PortalServer(config) as server:
        yield server


@pytest.fixture(params=BUILDS)
def built_portal(request: pytest.FixtureRequest) -> Generator[Portal, None, None]:
    """The mock portal in each build (default, alt), freshly reseeded for this test."""
    name = {"default": "portal_server", "alt": "alt_portal_server"}[request.param]
    server: PortalServer = request.getfixturevalue(name)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        client.post("/__mock__/reset").raise_for_status()
        yield Portal(url=server.url.rstrip("/") + "/", client=client)


@pytest.fixture()
def mixed_portal(mixed_portal_server: PortalServer) -> Generator[Portal, None, None]:
    """The mock portal whose pages come from either build, as its seed chose them."""
    with httpx.Client(base_url=mixed_portal_server.url, timeout=30) as client:
        client.post("/__mock__/reset").raise_for_status()
        yield Portal(url=mixed_portal_server.url.rstrip("/") + "/", client=client)
