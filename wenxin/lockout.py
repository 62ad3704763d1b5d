"""The page a login locked out by django-axes gets (AXES_LOCKOUT_CALLABLE): when to try again, and whom to call.

Axes' own template context says only how long a cool-off lasts. A person at the door wants the clock time, so
this reads when the last counted failure of this username from this address happened: the lock ends one
cool-off after it (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT is off, so tries while locked do not move it).
"""

from __future__ import annotations

import math
from typing import Any

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from feedback.throttle import client_address as public_client_address


def client_address(request: HttpRequest) -> str | None:
    """The address axes counts failures for (AXES_CLIENT_IP_CALLABLE): the one the public pages limit.

    So the proxy's header (ONLINE_CLIENT_ADDRESS_HEADER) is trusted, or not, in one place for both. An address
    that cannot be read counts as None rather than "unknown": axes stores it in an IP address column.
    """
    address = public_client_address(request)
    return None if address == "unknown" else address


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """Render registration/lockout.html with the time the lock ends, answering 429 like axes does."""
    username = get_client_username(request, credentials) or ""
    cool_off = get_cool_off(request)
    now = timezone.now()
    last_failure = (
        AccessAttempt.objects.filter(username=username, ip_address=getattr(request, "axes_ip_address", None))
        .aggregate(last=Max("attempt_time"))
        .get("last")
    )
    until = (last_failure or now) + cool_off if cool_off else None
    context = {
        "username": username,
        "until": timezone.localtime(until) if until else None,
        # Whole minutes, rounded up: "1 minute" until the very last second, never "0 minutes".
        "minutes_left": max(1, math.ceil((until - now).total_seconds() / 60)) if until else None,
        "contact": settings.LOGIN_HELP_CONTACT,
    }
    return render(request, "registration/lockout.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
