"""Whom the approval watch admits, and how it reads its class list and its end time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from flows.pages.practice import Waiting, _pick
from flows.practice import (
    NAME_DIFFERS,
    NO_GUESTS,
    NOT_ON_LIST,
    ClassList,
    decide,
    load_class,
    parse_until,
)
from rpa.errors import InputError, SettingsError

CLASS = ClassList({"1234567890": "José", "2222222222": "Ana Maria"})


@pytest.mark.parametrize(
    ("student", "guests", "approve", "reason"),
    [
        (Waiting("José", "1234567890", "T"), False, True, ""),
        (Waiting("jose", "1234567890", "T"), False, True, ""),  # case and accents
        (Waiting("Ana  Maria", "2222222222", "T"), False, True, ""),
        (Waiting("Mallory", "1234567890", "T"), False, False, NAME_DIFFERS),
        (Waiting("José", "9999999999", "T"), False, False, NOT_ON_LIST),
        (Waiting("Guest", "Guest", "T"), False, False, NO_GUESTS),
        (Waiting("Guest", "Guest", "T"), True, True, ""),
    ],
)
def test_decide(student: Waiting, guests: bool, approve: bool, reason: str) -> None:
    decision = decide(student, CLASS, allow_guests=guests)
    assert decision.approve is approve
    assert decision.reason == reason


def test_class_list_is_read_and_bad_rows_named(tmp_path: Path) -> None:
    good = tmp_path / "class.csv"
    good.write_text("First_Name,SSID\nAna,1234567890\nBo,0123456789\n", encoding="utf-8")
    assert load_class(good).students == {"1234567890": "Ana", "0123456789": "Bo"}
    bad = tmp_path / "bad.csv"
    bad.write_text("first_name,ssid\nAna,12345\n,1234567890\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_class(bad)
    assert "row 2, column ssid" in str(err.value)
    assert "row 3, column first_name" in str(err.value)
    missing = tmp_path / "missing.csv"
    missing.write_text("name,ssid\nAna,1234567890\n", encoding="utf-8")
    with pytest.raises(InputError, match="first_name"):
        load_class(missing)


def test_end_time() -> None:
    assert abs(parse_until(None, 2) - (time.time() + 120)) < 2
    with pytest.raises(InputError):
        parse_until("14:30", 5)
    with pytest.raises(InputError):
        parse_until("half past two", None)
    with pytest.raises(SettingsError):
        parse_until(None, None)


def test_tests_are_picked_by_name_or_unique_part() -> None:
    offered = ["Grade 5 Math Practice Test", "Grade 5 ELA Practice Test",
               "Grades 3\u20135 ELA Training Test"]
    assert _pick("grade 5 math practice test", offered) == "Grade 5 Math Practice Test"
    assert _pick("Grade 5 ELA", offered) == "Grade 5 ELA Practice Test"
    assert _pick("Grades 3-5 ELA Training Test", offered) == "Grades 3\u20135 ELA Training Test"
    with pytest.raises(InputError, match="several"):
        _pick("Grade 5", offered)
    with pytest.raises(InputError, match="none"):
        _pick("Chemistry", offered)
