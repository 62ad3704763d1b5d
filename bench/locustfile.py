"""The load test's social workers (locust), driven by bench/load.py: `make load`.

Each simulated user signs in as a different demo social worker through the login form, finds the households of
her own grid areas on her planner, and then, with a pause of LOAD_WAIT_MIN..LOAD_WAIT_MAX seconds between steps,
logs visits through the real form (its CSRF token included) and opens her home, diary, planner and the household
search, as a worker does on her phone. A visit counts as acknowledged when the server answers the form's POST with
its redirect (302); bench/load.py then checks that exactly that many visits were stored.

Production sends Secure cookies over TLS (DEBUG off); the load test speaks plain HTTP to 127.0.0.1, so its
clients send Secure cookies to the loopback address, as browsers do for localhost.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from html.parser import HTMLParser
from http.cookiejar import DefaultCookiePolicy
from itertools import count

from locust import HttpUser, between, events, task

USERNAMES: list[str] = json.loads(os.environ.get("LOAD_USERNAMES", "[]"))
PASSWORD = os.environ.get("LOAD_PASSWORD", "wenxin-demo")
ACK_FILE = os.environ.get("LOAD_ACK_FILE", "")
TIMES_FILE = os.environ.get("LOAD_TIMES_FILE", "")
TEXT = os.environ.get("LOAD_TEXT", "负载测试：家中情况正常。")
WAIT_MIN = float(os.environ.get("LOAD_WAIT_MIN", "1"))
WAIT_MAX = float(os.environ.get("LOAD_WAIT_MAX", "3"))
HOUSEHOLD_LINK = re.compile(r"/visits/log/\?household=(\d+)")
HEAD_NAME = re.compile(r"户主：([^<\s]+)")

_next_user = count()
acknowledged = {"visits": 0, "refused": 0}
# Every request's name, time (ms) and when it ended, so bench/load.py can take percentiles with and without the
# sign-ins, and over the steady part of the run once every user has signed in.
times: list[tuple[str, float, float]] = []


class LoopbackCookiePolicy(DefaultCookiePolicy):
    """Keep the server's Secure cookies as plain ones, so they go back over http://127.0.0.1 (browsers treat
    localhost as a secure context). requests copies the jar into one with the default policy for each request,
    so the flag itself is dropped when a cookie is stored."""

    def set_ok(self, cookie, request) -> bool:
        cookie.secure = False
        return super().set_ok(cookie, request)


class FormReader(HTMLParser):
    """The fields a browser would submit with the page's POST form to `action`: inputs, textareas and selects."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._done = False
        self._textarea: str | None = None
        self._textarea_text: list[str] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self._done and a.get("method", "").lower() == "post":
            # The navigation's sign-out form comes first on every page: only the form sent to `action` counts.
            self._in_form = a.get("action", "") in ("", self.action)
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value", "on" if kind in ("checkbox", "radio") else "")))
        elif tag == "textarea" and name:
            self._textarea, self._textarea_text = name, []
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, "".join(self._textarea_text)))
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and self._in_form:
            self._in_form, self._done = False, True


def form_fields(html: str, action: str) -> dict[str, str]:
    reader = FormReader(action)
    reader.feed(html)
    return dict(reader.fields)


class SocialWorker(HttpUser):
    """One demo social worker on her phone."""

    wait_time = between(WAIT_MIN, WAIT_MAX)

    def on_start(self) -> None:
        self.client.cookies.set_policy(LoopbackCookiePolicy())
        number = next(_next_user)
        self.username = USERNAMES[number % len(USERNAMES)] if USERNAMES else "worker"
        login = self.client.get("/login/", name="/login/ (form)")
        fields = form_fields(login.text, "/login/")
        fields.update(username=self.username, password=PASSWORD)
        with self.client.post("/login/", data=fields, allow_redirects=False, catch_response=True) as answer:
            if answer.status_code != 302:
                answer.failure(f"sign-in of {self.username} answered {answer.status_code}")
                self.households, self.names = [], []
                return
        planner = self.client.get("/visits/planner/")
        self.households = sorted(set(HOUSEHOLD_LINK.findall(planner.text)))
        self.names = sorted(set(HEAD_NAME.findall(planner.text)))

    @task(4)
    def log_a_visit(self) -> None:
        if not self.households:
            return
        household = random.choice(self.households)
        page = self.client.get(f"/visits/log/?household={household}", name="/visits/log/?household=[id]")
        fields = form_fields(page.text, "/visits/log/")
        # The form's own date (today, the server's) and kind (door to door) stay as the page set them.
        fields.update(household=household, met_whom="户主", situation=TEXT)
        fields.pop("q", None)
        with self.client.post(
            "/visits/log/", data=fields, allow_redirects=False, catch_response=True, name="/visits/log/ (POST)"
        ) as answer:
            if answer.status_code == 302:
                acknowledged["visits"] += 1
            else:
                acknowledged["refused"] += 1
                answer.failure(f"visit not saved: {answer.status_code}")

    @task(2)
    def home(self) -> None:
        self.client.get("/")

    @task(1)
    def diary(self) -> None:
        self.client.get("/visits/diary/")

    @task(1)
    def planner(self) -> None:
        self.client.get("/visits/planner/")

    @task(2)
    def search(self) -> None:
        if self.names:
            q = random.choice(self.names)
            self.client.get("/visits/log/households/", params={"q": q}, name="/visits/log/households/?q=[name]")


@events.request.add_listener
def _record_time(request_type, name, response_time, exception=None, **kwargs) -> None:
    times.append((f"{request_type} {name}", response_time, time.time()))


@events.quitting.add_listener
def _write_results(environment, **kwargs) -> None:
    if ACK_FILE:
        with open(ACK_FILE, "w", encoding="utf-8") as out:
            json.dump(acknowledged, out)
    if TIMES_FILE:
        with open(TIMES_FILE, "w", encoding="utf-8") as out:
            json.dump(times, out)
