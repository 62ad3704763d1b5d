"""End-to-end tests in a real browser: Debian's chromium driven by Playwright against pytest-django's live server.

One chromium for all the browser tests of a run (launching takes most of a second); a fresh browser context
(cookies, viewport) for every page a test opens. The browser is never downloaded: Playwright launches the
system's chromium by its path. Where there is none (not root, no apt), every test here is skipped with a message
saying what is missing; `make browser` installs it.

Each test runs on a transactional database (the live server answers from another thread, so nothing may sit in
an uncommitted transaction) with serialized rollback: the rows the migrations seed (quota rule, opinion
categories, meeting kinds, role groups) are put back before every test, since a transactional test's flush
removes them.

When a test fails, every page it opened is saved to tests/e2e/artifacts/ (a screenshot and the HTML).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.db import connections

from wenxin.models import User

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

ARTIFACTS = Path(__file__).parent / "artifacts"
# Where chromium may be: Debian names it chromium; other systems chromium-browser. WENXIN_CHROMIUM overrides.
CHROMIUM_NAMES = ("chromium", "chromium-browser")
# Quiet and self-contained: no sandbox (root in CI), no GPU, no calls home, no first-run pages.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# A step that takes longer than this is broken, not slow: fail fast with a screenshot.
TIMEOUT_MS = 10_000
PASSWORD = "e2e-Wenxin-2433"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is an `e2e` test on a transactional database with serialized rollback."""
    for item in items:
        if _in_this_folder(item):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    """Keep each phase's report on the test, so the page fixture knows at teardown whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _in_this_folder(item: pytest.Item | None) -> bool:
    return item is not None and Path(__file__).parent in Path(item.path).parents


def find_chromium() -> tuple[str | None, str]:
    """The system chromium's path, or None and what is missing."""
    override = os.environ.get("WENXIN_CHROMIUM")
    if override:
        if Path(override).is_file():
            return override, ""
        return None, f"WENXIN_CHROMIUM={override} is not a file"
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found, ""
    return None, "no chromium on PATH (run `make browser` as root, i.e. apt-get install chromium)"


class Chromium:
    """One headless chromium, started by the first browser test and stopped after the last one in a row.

    Stopped as soon as the next test is not a browser test, because Playwright's sync API marks an asyncio loop
    as running in the main thread meanwhile: Django refuses ORM calls while a loop runs (to protect async views),
    so DJANGO_ALLOW_ASYNC_UNSAFE is set for exactly that time. The browser tests call the ORM between browser
    steps, in this one thread: there is nothing to protect.
    """

    def __init__(self) -> None:
        self.playwright: Playwright | None = None
        self.browser: Browser | None = None
        self.saved_env: str | None = None

    def get(self, executable: str) -> Browser:
        if self.browser is None:
            from playwright.sync_api import sync_playwright

            self.saved_env = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
            # While a loop runs, Django keeps this thread's connections in a context-local store, which would
            # open other connections than the ones the test database was set up on (and shares with the live
            # server, for SQLite in memory): keep the same ones.
            current = {alias: connections[alias] for alias in connections}
            self.playwright = sync_playwright().start()
            for alias, connection in current.items():
                connections[alias] = connection
            self.browser = self.playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        return self.browser

    def stop(self) -> None:
        if self.playwright is None:
            return
        try:
            if self.browser is not None:
                self.browser.close()
            self.playwright.stop()
        finally:
            self.playwright = self.browser = None
            if self.saved_env is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = self.saved_env


CHROMIUM = Chromium()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator:
    """After the test's own teardown (its pages saved, its database flushed), stop chromium if no browser test
    follows."""
    try:
        return (yield)
    finally:
        if not _in_this_folder(nextitem):
            CHROMIUM.stop()


@pytest.fixture
def browser() -> Browser:
    """The run's chromium; the test is skipped, saying what is missing, where there is none."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("browser tests skipped: Playwright is not installed (make install installs the dev extras)")
    executable, missing = find_chromium()
    if executable is None:
        pytest.skip(f"browser tests skipped: {missing}")
    return CHROMIUM.get(executable)


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """The public pages count requests per address in the cache, and every test's browser comes from 127.0.0.1."""
    cache.clear()


@pytest.fixture
def open_page(browser: Browser, live_server, request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    """`open_page("phone")` or `open_page("desktop")`: a page in a new browser context on the live server.

    Chinese, like the office's browsers; on a phone, a touch screen 390 px wide. Saved to tests/e2e/artifacts/
    if the test fails.
    """
    contexts = []

    def make(screen: str = "desktop") -> Page:
        phone = screen == "phone"
        context = browser.new_context(
            base_url=live_server.url,
            viewport=PHONE if phone else DESKTOP,
            device_scale_factor=1,
            is_mobile=phone,
            has_touch=phone,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make

    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        _save_artifacts(request.node.name, [page for context in contexts for page in context.pages])
    for context in contexts:
        context.close()


def _save_artifacts(test_name: str, pages: list[Page]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", test_name)
    for number, page in enumerate(pages, start=1):
        try:
            page.screenshot(path=str(ARTIFACTS / f"{stem}-{number}.png"), full_page=True)
            (ARTIFACTS / f"{stem}-{number}.html").write_text(page.content(), encoding="utf-8")
        except Exception as error:  # a page that crashed must not hide the test's own failure
            print(f"could not save {stem}-{number}: {error}")


@pytest.fixture
def log_in(live_server) -> Callable[..., None]:
    """`log_in(page, user)`: through the login form, as a person does, with a known password set just before."""

    def log_in_as(page: Page, user: User) -> None:
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        page.goto("/login/")
        page.locator("#id_username").fill(user.username)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("main form").get_by_role("button", name="登录").click()
        page.wait_for_url(lambda url: urlsplit(url).path == "/")

    return log_in_as
