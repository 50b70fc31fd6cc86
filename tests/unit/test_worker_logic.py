"""flows.optout.worker: the pure parts of the opt-out worker (no browser)."""

from __future__ import annotations

import dataclasses
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from flows.optout.roster import TESTS, RosterRow
from flows.optout.worker import name_matches, row_of
from flows.optout.worker import normalize_name as _norm
from rpa.journal import PENDING, Item, Journal


def roster_row(first: str = "", last: str = "", **changes: Any) -> RosterRow:
    row = RosterRow(
        row=2, ssid="1234567890", first_name=first, last_name=last, test=TESTS["Math"],
        code="PGE", exemption_on_file="letter 2024-09-01",
    )
    return dataclasses.replace(row, **changes)


# _norm ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("García", "garcia"),
        ("  MARÍA   JOSÉ ", "maria jose"),
        ("Nguyễn", "nguyen"),
        ("Ångström", "angstrom"),
        ("STRAßE", "strasse"),
        ("de la Cruz,  Ana", "de la cruz ana"),
        ("Zoë\tO'Neil", "zoe o'neil"),
        ("", ""),
        ("\uff21\uff22\uff23", "abc"),  # full-width letters, as a pasted name may have
    ],
)
def test_norm_ignores_case_accents_commas_and_spacing(text: str, normal: str) -> None:
    assert _norm(text) == normal


def test_norm_keeps_letters_that_differ() -> None:
    assert _norm("Ana") != _norm("Anna")
    assert _norm("Smith-Jones") != _norm("Smith Jones")


# name_matches ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "shown"),
    [
        ("Maria", "Garcia", "GARCIA, MARIA"),
        ("María José", "García López", "GARCIA LOPEZ, MARIA JOSE"),
        ("maria", "garcia", "  Garcia ,   Maria  "),
        ("Ana", "de la Cruz", "DE LA CRUZ, ANA"),
        ("", "Garcia", "GARCIA, MARIA"),  # no first name in the roster: only the last is checked
        ("Maria", "", "GARCIA, MARIA"),  # and the other way round
        ("", "", "ANYONE, AT ALL"),  # no names given: the SSID alone decides
        ("", "", ""),
    ],
)
def test_names_that_match(first: str, last: str, shown: str) -> None:
    assert name_matches(roster_row(first, last), shown)


@pytest.mark.parametrize(
    ("first", "last", "shown"),
    [
        ("Maria", "Garcia", "GARCIA, MARTA"),
        ("Maria", "Garcia", "GARCIAS, MARIA"),
        ("Maria", "Garcia", "MARIA, GARCIA"),  # first and last swapped
        ("", "Garcia", "LOPEZ, GARCIA"),
        ("Maria", "", "GARCIA, ANA"),
        ("Maria", "Garcia", "GARCIA"),  # TOMS shows no first name, the roster has one
        ("Maria", "Garcia", ""),
    ],
)
def test_names_that_do_not_match(first: str, last: str, shown: str) -> None:
    assert not name_matches(roster_row(first, last), shown)


def test_only_the_first_comma_separates_last_from_first() -> None:
    # A suffix written after a second comma stays part of the first names.
    assert name_matches(roster_row("Jr, John", "Smith"), "SMITH, JR, JOHN")
    assert not name_matches(roster_row("John", "Smith"), "SMITH, JR, JOHN")


# row_of ---------------------------------------------------------------------------------


@pytest.fixture()
def journal(tmp_path: Path) -> Generator[Journal, None, None]:
    j = Journal(tmp_path / "journal.sqlite3")
    yield j
    j.close()


def test_row_of_gives_back_the_row_an_item_was_made_from(journal: Journal) -> None:
    # As flows.optout.run stores rows: dataclasses.asdict, through JSON in the journal.
    rows = [
        roster_row("María", "García", duplicate_rows=(5, 9)),
        roster_row("", "", row=3, ssid="0000000001", test=TESTS["ELA"], code="NTE"),
    ]
    journal.create_run(
        "r1", kind="apply", fingerprint="fp", source="roster.csv",
        items=[(r.ssid, dataclasses.asdict(r)) for r in rows],
    )

    items = journal.items("r1")

    assert [row_of(i) for i in items] == rows
    assert row_of(items[0]).duplicate_rows == (5, 9)
    assert isinstance(row_of(items[0]).duplicate_rows, tuple)


def test_row_of_accepts_a_payload_without_duplicate_rows() -> None:
    payload = dataclasses.asdict(roster_row("Ana", "Lee"))
    del payload["duplicate_rows"]
    item = Item(run_id="r1", item_id=1, group="1234567890", payload=payload, status=PENDING)

    row = row_of(item)

    assert row == roster_row("Ana", "Lee")
    assert row.duplicate_rows == ()
    assert "duplicate_rows" not in item.payload  # the item's payload is not changed


def test_row_of_refuses_a_payload_that_is_not_a_roster_row() -> None:
    item = Item(
        run_id="r1", item_id=1, group="g", payload={"row": 1, "unexpected": True},
        status=PENDING,
    )

    with pytest.raises(TypeError):
        row_of(item)
