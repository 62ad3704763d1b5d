"""Sessions that end after SESSION_COOKIE_AGE seconds without a request (SESSION_ENGINE = "wenxin.sessions").

Django's way to get that, SESSION_SAVE_EVERY_REQUEST, writes the session row on every request: one UPDATE for
each page, each keystroke of an htmx live search and each poll of a job's progress (measured: every page's query
count grows by 3 in a test, the UPDATE and its savepoint). Here a request moves the expiry on only when the stored
one is at least SESSION_REFRESH_SECONDS old, so a person at work costs one UPDATE a minute at most, and a session
left idle still ends SESSION_COOKIE_AGE after its last refresh, at most a minute early.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    """The database session store, remembering the expiry its row had when it was read (no extra query)."""

    stored_expiry: datetime.datetime | None = None

    def _get_session_from_db(self) -> Session | None:
        session = super()._get_session_from_db()
        self.stored_expiry = session.expire_date if session is not None else None
        return session


class SlidingSessionMiddleware:
    """Mark a session read by this request as modified once its expiry is due to move on, so it is saved.

    Listed after SessionMiddleware: its answer is seen here first, and SessionMiddleware then saves the session
    and sends the cookie with the new expiry. A session nobody read (static files, a public page) is left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        stored = getattr(session, "stored_expiry", None)
        if stored is not None and not session.modified:
            renewed = timezone.now() + datetime.timedelta(seconds=session.get_expiry_age())
            if renewed - stored >= datetime.timedelta(seconds=settings.SESSION_REFRESH_SECONDS):
                session.modified = True
        return response
