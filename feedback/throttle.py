"""A per-address, per-hour limit for the public pages, counted in Django's default cache.

A fixed window: the counter's key names the scope, the client's address and the clock hour, so it starts again
at the top of each hour and is forgotten an hour later. cache.add + cache.incr are atomic in LocMemCache (tests,
one process) and in Redis (production, shared by every worker), so two requests racing cannot both take the last
place. With LocMemCache in a multi-process server each process counts on its own: set CACHE_URL to Redis there.
"""

from __future__ import annotations

import ipaddress
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

WINDOW_SECONDS = 60 * 60


def client_address(request: HttpRequest) -> str:
    """The address a limit is counted for: REMOTE_ADDR, or the header a trusted proxy sets.

    Behind a reverse proxy REMOTE_ADDR is the proxy's own address and every resident would share one limit, so
    ONLINE_CLIENT_ADDRESS_HEADER (e.g. HTTP_X_REAL_IP) names where the proxy puts the real one; of a
    comma-separated list (X-Forwarded-For) the last entry is the one our proxy added. An IPv6 client counts by
    its /64, which one household's router hands out whole; anything unreadable counts as one "unknown" client.
    """
    header = getattr(settings, "ONLINE_CLIENT_ADDRESS_HEADER", "")
    raw = request.META.get(header, "") if header else ""
    raw = raw.split(",")[-1].strip() or request.META.get("REMOTE_ADDR", "")
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def _now() -> float:
    """The clock the windows are cut from (a function, so a test can hold it still across an hour's edge)."""
    return time.time()


def _key(scope: str, address: str) -> str:
    hour = int(_now() // WINDOW_SECONDS)
    return f"wenxin:throttle:{scope}:{address}:{hour}"


def seconds_left() -> int:
    """Until the window starts again: the Retry-After of a 429."""
    return WINDOW_SECONDS - int(_now()) % WINDOW_SECONDS


def is_over(scope: str, request: HttpRequest, *, limit: int) -> bool:
    """Whether this address has already used up the hour's limit (counts nothing)."""
    return (cache.get(_key(scope, client_address(request))) or 0) >= limit


def hit(scope: str, request: HttpRequest, *, limit: int) -> bool:
    """Count one attempt from this address; True while it is within the limit, False once past it."""
    key = _key(scope, client_address(request))
    # The key lives a little longer than its hour so a counter never expires between add and incr.
    cache.add(key, 0, timeout=WINDOW_SECONDS + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted in between: this is the first attempt of the window again
        cache.set(key, 1, timeout=WINDOW_SECONDS + 60)
        count = 1
    return count <= limit
