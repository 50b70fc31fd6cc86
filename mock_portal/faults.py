"""Injected faults: latency, error pages, and the save that went through before the error."""

from __future__ import annotations

import time

from flask import Response, g, make_response, request

from .pages import render
from .state import get_state

__all__ = [
    "apply_faults",
    "error_page",
    "finish_faults",
    "is_fragment_request",
    "is_frame_request",
]

ERROR_TITLES = {500: "Internal Server Error", 503: "Service Unavailable"}


def is_frame_request() -> bool:
    """Whether the request is for content shown inside TOMS's ``theFrame``."""
    return request.path.startswith("/toms/frame/")


def is_fragment_request() -> bool:
    """Whether the request is for a view that a page's script fetches (see ``views``)."""
    return request.blueprint == "views"


def error_page(status: int) -> Response:
    """The portal's error page for a 500 or 503."""
    body = render("error.html", title=ERROR_TITLES[status], status=status)
    return make_response(body, status)


def apply_faults() -> Response | None:
    """``before_request`` hook of the portal blueprints: delay, then maybe fail.

    A POST chosen to fail is, half of the time, let through and its response replaced by the
    error page afterwards: the change is stored but the client never hears of it.
    """
    state = get_state()
    faults = state.faults
    frame = is_frame_request()
    state.count("total")
    if frame:
        state.count("frame")
    delay_ms = faults.latency_ms + (faults.iframe_delay_ms if frame else 0)
    if frame and faults.iframe_delay_ms > 0:
        state.count("frames_delayed")
    if faults.slow_rate > 0 and state.draw() < faults.slow_rate:
        delay_ms += faults.slow_ms
        state.count("slow_injected")
    if delay_ms > 0:
        time.sleep(delay_ms / 1000)  # the point of the mock: a slow portal
    if faults.error_rate <= 0:
        return None
    with state.lock:
        if state.rng.random() >= faults.error_rate:
            return None
        status = 500 if state.rng.random() < 0.5 else 503
        after = request.method == "POST" and state.rng.random() < 0.5
    if after:
        g.fault_after_status = status
        return None
    state.count("errors_injected")
    return error_page(status)


def finish_faults(response: Response) -> Response:
    """``after_request`` hook: replace the response of a stored-then-failed POST."""
    status = g.pop("fault_after_status", None)
    if status is None:
        return response
    state = get_state()
    state.count("errors_injected")
    state.count("errors_after_store")
    return error_page(int(status))
