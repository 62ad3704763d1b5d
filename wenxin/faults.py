"""The database going away mid-request: a clear 503 page instead of a 500, and nothing half written.

Every write runs in a service under @transaction.atomic, so when the connection drops (PostgreSQL restarted, the
network cut, SQLite locked for too long) the transaction is rolled back whole, or was never committed: the
person's action is simply not saved. The error handler below turns the error into a page that says so and asks to
try again in a moment. Django then drops the broken connection at the end of the request (it is "unusable"), and
with CONN_HEALTH_CHECKS a kept-open connection is checked before the next request's first query, so the retry
after the database is back works without restarting the web server.

It is the 500 handler (wenxin/urls.py: handler500), not a middleware's process_exception, because the first
query of a request is often made by a middleware (the session and the user, for the audit trail's actor), and
Django turns an error there into a 500 response before any outer middleware could see the exception. The handler
runs for every uncaught error, wherever it was raised, while the exception is still being handled. With DEBUG on,
Django shows its debug page instead, as for any error.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

# Seconds the 503 page asks a client to wait before trying again (the Retry-After header).
RETRY_AFTER_SECONDS = 30


def is_database_unavailable(error: BaseException | None) -> bool:
    """OperationalError: the connection lost or refused, the server shutting down, a lock wait that timed out;
    InterfaceError: the connection already closed. Other database errors (a bad query, a constraint) are bugs."""
    return isinstance(error, OperationalError | InterfaceError)


def server_error(request: HttpRequest, template_name: str = defaults.ERROR_500_TEMPLATE_NAME) -> HttpResponse:
    """Django's 500 handler, except that an unreachable or failing database answers 503 with templates/503.html.

    Django logs the error with its traceback and this response's status (the django.request logger).
    """
    if is_database_unavailable(sys.exc_info()[1]):
        return database_unavailable_response()
    return defaults.server_error(request, template_name)


def database_unavailable_response() -> HttpResponse:
    """The 503 page. Rendered without the request's context processors: they could query the failed database."""
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
