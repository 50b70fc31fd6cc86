"""Single Sign-On: the logon form, the e-mailed code, devices, log off."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_portal import messages

from .conftest import (
    LEA,
    PASSWORD,
    SITE,
    FakeClock,
    log_on,
    outbox,
    submit_code,
    submit_logon,
)
from .helpers import parse, title, visible_by_role


def test_logon_page_texts(client: FlaskClient) -> None:
    response = client.get("/sso/logon?next=/toms/")
    tree = parse(response.text)
    assert title(response.text) == "Logon"
    assert tree.find("h1").text == "Logon"
    assert "Logon Instructions" in [h.text for h in tree.find_all("h2")]
    assert messages.LOGON_INSTRUCTIONS in response.text
    labels = {lab.text: lab.get("for") for lab in tree.find_all("label")}
    assert tree.find("input", id=labels["Username"]).get("type") == "email"
    assert tree.find("input", id=labels["Password"]).get("type") == "password"
    assert [b.text for b in tree.find_all("button")] == ["Secure Logon"]
    links = [a.text for a in tree.find_all("a")]
    for text in ("Forgot Your Password?", "Request one now."):
        assert text in links
    for text in (
        "First Time User?",
        "Enter username and password from your activation e-mail.",
        "Do you need a new temporary password?",
        "Need More Help?",
        "800-955-2954",
    ):
        assert text in response.text
    assert visible_by_role(response.text, "alert") == []


def test_toms_without_logon_redirects_to_logon_with_next(client: FlaskClient) -> None:
    response = client.get("/toms/?tab=students")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sso/logon?next=%2Ftoms%2F%3Ftab%3Dstudents"


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("", "Typed-Secret-1", messages.USERNAME_REQUIRED),
        (LEA, "", messages.PASSWORD_REQUIRED),
        (LEA, "Typed-Secret-1", messages.BAD_CREDENTIALS),
        ("nobody@example.org", PASSWORD, messages.BAD_CREDENTIALS),
    ],
)
def test_logon_errors(client: FlaskClient, username: str, password: str, message: str) -> None:
    response = submit_logon(client, username, password)
    assert response.status_code == 200
    assert visible_by_role(response.text, "alert") == [message]
    if password:
        assert password not in response.text  # never echoed back
    if username:
        assert parse(response.text).find("input", id="username").get("value") == username
    assert client.get("/toms/").status_code == 302


def test_new_device_is_asked_for_the_emailed_code(client: FlaskClient) -> None:
    response = submit_logon(client, LEA)
    assert response.status_code == 302
    assert response.headers["Location"] == "/sso/code"
    page = client.get("/sso/code")
    tree = parse(page.text)
    assert title(page.text) == "Enter Email Code"
    assert tree.find("h1").text == "Enter Email Code"
    assert messages.CODE_SENT in page.text
    assert tree.find("label", for_="code").text == "Email Code"
    assert [b.text for b in tree.find_all("button")] == ["Submit"]
    assert re.fullmatch(r"\d{6}", outbox(client, LEA))
    assert client.get("/toms/").status_code == 302  # not logged on yet


def test_code_sets_a_device_cookie_that_skips_the_step_next_time(
    client: FlaskClient, app: Flask
) -> None:
    submit_logon(client, LEA, next_path="/toms/?tab=students")
    response = submit_code(client, outbox(client, LEA))
    assert response.status_code == 302
    assert response.headers["Location"] == "/toms/?tab=students"
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("toms_device="))
    assert "HttpOnly" in cookie
    assert "Max-Age=" in cookie
    client.get("/sso/logoff")
    codes_before = outbox(client, LEA)
    again = submit_logon(client, LEA)
    assert again.headers["Location"] == "/toms/"
    assert outbox(client, LEA) == codes_before  # no new code was sent
    # A fresh browser (no device cookie) is asked again.
    with app.test_client() as other:
        assert submit_logon(other, LEA).headers["Location"] == "/sso/code"


def test_device_cookie_of_another_user_does_not_skip(client: FlaskClient) -> None:
    log_on(client, SITE)
    client.get("/sso/logoff")
    assert submit_logon(client, LEA).headers["Location"] == "/sso/code"


def test_wrong_code_is_refused_and_can_be_retried(client: FlaskClient) -> None:
    submit_logon(client, LEA)
    good = outbox(client, LEA)
    wrong = "000000" if good != "000000" else "111111"
    response = submit_code(client, wrong)
    assert response.status_code == 200
    assert visible_by_role(response.text, "alert") == [messages.CODE_INVALID]
    assert client.get("/toms/").status_code == 302
    assert submit_code(client, good).headers["Location"] == "/toms/"


def test_expired_code_sends_back_to_logon(client: FlaskClient, clock: FakeClock) -> None:
    submit_logon(client, LEA)
    code = outbox(client, LEA)
    clock.advance(15 * 60 + 1)
    response = submit_code(client, code)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/sso/logon?")
    page = client.get(location)
    assert visible_by_role(page.text, "alert") == [messages.CODE_EXPIRED]
    assert client.get("/toms/").status_code == 302


def test_code_just_inside_15_minutes_works(client: FlaskClient, clock: FakeClock) -> None:
    submit_logon(client, LEA)
    clock.advance(15 * 60 - 1)
    assert submit_code(client, outbox(client, LEA)).headers["Location"] == "/toms/"


def test_log_off_ends_the_session_even_for_a_copied_cookie(client: FlaskClient, app: Flask) -> None:
    log_on(client, SITE)
    cookie = client.get_cookie("caaspp_session")
    assert cookie is not None
    page = client.get("/toms/")
    assert parse(page.text).find("a", href="/sso/logoff").text == "Log Off"
    response = client.get("/sso/logoff")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sso/logon")
    assert client.get("/toms/").status_code == 302
    with app.test_client() as copy:
        copy.set_cookie("caaspp_session", cookie.value)
        assert copy.get("/toms/").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "toms"])
def test_next_must_be_a_local_path(client: FlaskClient, target: str) -> None:
    response = submit_logon(client, SITE, next_path=target)
    if response.headers["Location"] == "/sso/code":
        response = submit_code(client, outbox(client, SITE))
    assert response.headers["Location"] == "/toms/"


def test_simple_pages_exist(client: FlaskClient) -> None:
    tree = parse(client.get("/sso/logon").text)
    for name in ("Forgot Your Password?", "Request one now."):
        href = next(a.get("href") for a in tree.find_all("a") if a.text == name)
        assert client.get(str(href)).status_code == 200
