"""Render a page in the build chosen for its kind (see ``builds``)."""

from __future__ import annotations

from typing import Any

from flask import render_template

from .builds import template_for
from .state import get_state

__all__ = ["is_alt", "render"]


def render(template: str, **context: Any) -> str:
    """Render ``template``, or its alt twin when its kind of page is alt in this build."""
    return render_template(template_for(template, get_state().alt_kinds), **context)


def is_alt(kind: str) -> bool:
    """Whether this kind of page is rendered from the alt templates."""
    return kind in get_state().alt_kinds
