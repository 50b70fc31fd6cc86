"""The builds of the pages: ``default``, ``alt``, and ``mixed``, a seeded mix of the two.

Both builds show a person the same thing where the quick guides show it: the guides' words, in
controls of the roles the guides give them. Everything else differs in ``alt``: markup, element
kinds, labelling, frame name, wording of every step the guides do not show (``messages_alt``),
and some views are filled by script (``views``). The server behind them is one and the same.

Every page template belongs to one kind of page below; ``alt`` renders ``alt/<template>``
instead of ``<template>`` for every kind, ``default`` for none. ``mixed`` takes half of the
kinds from ``alt``: ``random.Random(build_seed).sample(KINDS, len(KINDS) // 2)``, so the same
seed always gives the same mix.
"""

from __future__ import annotations

import random
from typing import Final

__all__ = ["BUILDS", "KINDS", "TEMPLATE_KINDS", "alt_kinds", "template_for"]

BUILDS: Final = ("default", "alt", "mixed")

# kind of page -> its templates. A kind is what must come from one build as a whole: a page
# and the views its scripts fetch, or pages that share a base.
_KIND_TEMPLATES: Final = {
    "portal": ("home.html", "placeholder.html"),
    "logon": ("sso/logon.html", "sso/simple.html"),
    "email_code": ("sso/code.html", "sso/code_unknown.html"),
    "role": ("toms/select_role.html",),
    "toms": ("toms/main.html", "frame/to_top.html"),
    "mytoms": ("frame/home.html", "frame/placeholder.html"),
    "search": ("frame/students.html",),
    "profile": ("frame/student.html", "frame/profile_placeholder.html"),
    "errors": ("error.html", "message.html", "frame/message.html"),
    "practice_start": ("practice/index.html", "practice/home.html", "practice/select.html"),
    "practice_session": ("practice/students.html", "practice/approvals.html"),
    "student": (
        "student/sign_in.html",
        "student/confirm.html",
        "student/choose.html",
        "student/waiting.html",
        "student/approved.html",
        "student/test.html",
    ),
}
KINDS: Final = tuple(_KIND_TEMPLATES)
TEMPLATE_KINDS: Final = {t: kind for kind, names in _KIND_TEMPLATES.items() for t in names}


def alt_kinds(build: str, seed: int) -> frozenset[str]:
    """The kinds of page rendered from the alt templates in ``build``.

    Raises:
        ValueError: an unknown build.
    """
    if build == "default":
        return frozenset()
    if build == "alt":
        return frozenset(KINDS)
    if build == "mixed":
        return frozenset(random.Random(seed).sample(KINDS, len(KINDS) // 2))
    raise ValueError(f"unknown build {build!r}: choose one of {', '.join(BUILDS)}")


def template_for(template: str, alt: frozenset[str]) -> str:
    """The template to render for ``template`` when the kinds in ``alt`` are alt."""
    return f"alt/{template}" if TEMPLATE_KINDS[template] in alt else template
