"""Deterministic seed data."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from mock_portal import PortalConfig, create_app
from mock_portal.catalog import GRADES
from mock_portal.seed import generate, load_accounts, load_schools


def test_same_seed_same_data_and_count() -> None:
    assert generate(2026, 300) == generate(2026, 300)
    assert generate(2026, 300) != generate(2027, 300)
    assert len(generate(11, 37).students) == 37


def test_two_apps_with_the_same_seed_serve_the_same_students(tmp_path: Path) -> None:
    def served(name: str) -> object:
        app = create_app(PortalConfig(db_path=tmp_path / name, students=120, seed=9))
        return app.test_client().get("/__mock__/students").get_json()

    first = served("a.sqlite3")
    assert len(first) == 120  # type: ignore[arg-type]
    assert first == served("b.sqlite3")


def test_students_look_real() -> None:
    data = generate(2026, 1000)
    students = data.students
    ssids = [s.ssid for s in students]
    assert len(set(ssids)) == 1000
    assert all(len(s) == 10 and s.isdigit() for s in ssids)
    zeros = sum(s.startswith("0") for s in ssids)
    assert 20 <= zeros <= 90  # about 5%: Excel drops these zeros
    schools = {s.cds: s for s in load_schools()}
    for student in students:
        assert student.grade in GRADES
        assert student.grade in schools[student.school_cds].grades
        assert schools[student.school_cds].kind == "school"
        expected = (
            {"ELA", "MATH"}
            if student.grade in ("03", "04", "05", "06", "07", "08", "11")
            else set()
        )
        if student.grade in ("05", "08", "12"):
            expected.add("CAST")
        tests = {a.test for a in student.assignments}
        assert tests - {"CSA"} == expected
        if "CSA" in tests:
            assert "ELA" in tests
    eligible = [s for s in students if s.grade in ("03", "04", "05", "06", "07", "08", "11")]
    csa = sum(any(a.test == "CSA" for a in s.assignments) for s in eligible)
    assert 0.05 < csa / len(eligible) < 0.15
    everything = [a for s in students for a in s.assignments]
    codes = Counter(a.condition_code for a in everything if a.condition_code)
    assert {"PGE", "NTE", "NEL", "INC0"} <= set(codes)
    coded = sum(codes.values()) / len(everything)
    submitted = sum(a.status == "Submitted" for a in everything) / len(everything)
    assert 0.02 < coded < 0.06
    assert 0.015 < submitted < 0.05
    assert not [a for a in everything if a.status == "Submitted" and a.condition_code]
    assert Counter(s.elas for s in students).keys() == {"EO", "IFEP", "EL", "RFEP", "TBD"}


def test_accounts_and_schools() -> None:
    accounts = {a.username: a for a in load_accounts()}
    assert accounts["lea.coordinator@example.org"].roles == (
        ("LEA CAASPP Coordinator", "30664640000000"),
        ("Site CAASPP Coordinator", "30664643038569"),
    )
    assert accounts["site.coordinator@example.org"].roles == (
        ("Site CAASPP Coordinator", "30664643036712"),
    )
    assert accounts["ta@example.org"].roles == (("Test Administrator", "30664643038569"),)
    assert {a.password for a in accounts.values()} == {"demo-password"}
    names = {s.name: s for s in load_schools()}
    assert names["Dana Hills High"].cds == "30664643038569"
    assert names["Capistrano Unified"].cds == "30664640000000"
    assert all(s.cds.startswith("3066464") for s in names.values())
