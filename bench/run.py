"""The benchmark runner: each main page's server time, query count and ratio to its bare core query.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wenxin_street python -m bench --scale street

For each page of bench/pages.py: warm-up requests first (caches, connections, the planner's statistics), one
request whose queries are counted (CaptureQueriesContext), then `--repeat` timed requests through Django's test
client (the whole server side: middleware, view, queries, template; no network). Then the page's core query, run
bare on the connection (cursor.execute of its SQL), and every SELECT the page issued, run bare the same way.
DEBUG is switched off as in production, so no query is logged while timing.

Writes bench/results/<database>-<scale>.md (the table) and .json (the numbers bench/report.py assembles into
docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
# At most this many bare runs of all of a page's SQL: it is a cross-check, the core query is what is compared.
PAGE_SQL_RUNS = 5


class BenchError(Exception):
    """A page did not answer 200, or the database is not the demo: the run stops and says which."""


@dataclass
class PageResult:
    """What was measured for one page; times in milliseconds."""

    key: str
    title: str
    user: str
    url: str
    queries: int
    median_ms: float
    p95_ms: float
    core_ms: float
    core_statements: int
    page_sql_ms: float
    target: str = ""
    target_statistic: str = ""
    target_ms: float | None = None
    samples_ms: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """Page time over core query time (medians): the cost of the rest of the page."""
        return self.median_ms / self.core_ms if self.core_ms else math.inf

    @property
    def target_met(self) -> bool | None:
        if self.target_ms is None:
            return None
        value = self.p95_ms if self.target_statistic == "p95" else self.median_ms
        return value < self.target_ms


@dataclass
class BenchRun:
    """One run of every page against one database at one scale."""

    vendor: str
    database: str
    database_version: str
    scale: str
    repeat: int
    warmup: int
    started_at: str
    duration_s: float
    rows: dict[str, int]
    cast: dict[str, str]
    pages: list[PageResult]
    # The machine's load average (1, 5, 15 minutes) before and after the run: other work slows the pages down.
    load: list[float] = field(default_factory=list)
    python: str = platform.python_version()

    @property
    def label(self) -> str:
        return f"{self.vendor}-{self.scale}"


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value with at least `share` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _selects(captured: list[dict]) -> list[str]:
    """The captured statements that read (the session's writes and savepoints are not the page's data)."""
    return [q["sql"] for q in captured if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))]


def time_statements(statements: list[str]) -> float:
    """Milliseconds to execute the statements one after the other and fetch every row, bare on the cursor."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            cursor.fetchall()
    return (time.perf_counter() - started) * 1000


def _get(client, page) -> float:
    started = time.perf_counter()
    response = client.get(page.url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise BenchError(f"{page.key}: {page.url} answered {response.status_code} to {page.user.username}")
    return elapsed


def measure_page(page, client, *, repeat: int, warmup: int) -> PageResult:
    """Warm up, count the queries of one request, time `repeat` requests, then time the SQL bare."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        _get(client, page)
    # Read what was captured at once: the next request's request_started signal empties the connection's log.
    with CaptureQueriesContext(connection) as capture:
        _get(client, page)
    page_queries = list(capture.captured_queries)
    samples = [_get(client, page) for _ in range(repeat)]

    with CaptureQueriesContext(connection) as capture:
        page.core()
    core = _selects(capture.captured_queries)
    everything = _selects(page_queries)
    if warmup:
        time_statements(core)
    core_samples = [time_statements(core) for _ in range(repeat)]
    page_sql_samples = [time_statements(everything) for _ in range(min(repeat, PAGE_SQL_RUNS))]
    return PageResult(
        key=page.key,
        title=page.title,
        user=page.user.username,
        url=page.url,
        queries=len(page_queries),
        median_ms=statistics.median(samples),
        p95_ms=percentile(samples, 0.95),
        core_ms=statistics.median(core_samples),
        core_statements=len(core),
        page_sql_ms=statistics.median(page_sql_samples),
        target=page.target.label() if page.target else "",
        target_statistic=page.target.statistic if page.target else "",
        target_ms=page.target.ms if page.target else None,
        samples_ms=[round(s, 2) for s in samples],
    )


def _database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
    return connection.vendor


def _row_counts() -> dict[str, int]:
    from feedback.models import Opinion
    from households.models import Household, Resident, Street
    from visits.models import Visit
    from wenxin.models import User

    return {
        "streets": Street.objects.count(),
        "households": Household.objects.count(),
        "residents": Resident.objects.count(),
        "visits": Visit.objects.count(),
        "opinions": Opinion.objects.count(),
        "users": User.objects.count(),
    }


def refresh_statistics(log=None) -> list[str]:
    """On PostgreSQL, VACUUM ANALYZE the tables autovacuum would have by now, as it would in production.

    seed_demo writes millions of rows at once; until a table is analysed the planner guesses its size (1 row for
    100,000), and until it is vacuumed no index-only scan can skip the heap. A server with autovacuum off (this
    one's, for its tests) never catches up: the run does it first, with autovacuum's own thresholds (10% of the
    rows changed since the last ANALYZE, 20% inserted since the last VACUUM).
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE n_live_tup + n_dead_tup > 0 AND ("
            " coalesce(last_analyze, last_autoanalyze) IS NULL OR n_mod_since_analyze > 50 + 0.1 * n_live_tup"
            " OR coalesce(last_vacuum, last_autovacuum) IS NULL OR n_ins_since_vacuum > 1000 + 0.2 * n_live_tup)"
        )
        tables = sorted(row[0] for row in cursor.fetchall())
        # VACUUM cannot run in a transaction (a test's); ANALYZE can.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        for table in tables:
            started = time.perf_counter()
            cursor.execute(f'{command} "{table}"')
            if log and time.perf_counter() - started > 1:
                log(f"{command} {table}: {time.perf_counter() - started:.0f} s")
    return tables


def log_in(client, user):
    """Sign the client in through the login page with the demo password, as a person would (and as django-axes
    expects: it records the sign-in with the client's address)."""
    from django.conf import settings
    from django.urls import reverse

    response = client.post(reverse("login"), {"username": user.username, "password": settings.DEMO_PASSWORD})
    if response.status_code != 302:
        raise BenchError(f"cannot sign in as {user.username} with the demo password (status {response.status_code})")
    return client


def run_bench(*, scale: str, repeat: int = 20, warmup: int = 2, only: list[str] | None = None, log=None) -> BenchRun:
    """Measure every page (or those named in `only`) against the configured database."""
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from bench.pages import find_cast, main_pages

    refresh_statistics(log)
    started_at = f"{timezone.localtime():%Y-%m-%d %H:%M} ({timezone.get_current_timezone_name()})"
    load_before = os.getloadavg()
    started = time.perf_counter()
    cast = find_cast()
    pages = [page for page in main_pages(cast) if not only or page.key in only]
    clients = {}
    results = []
    for page in pages:
        client = clients.get(page.user.pk)
        if client is None:
            client = clients[page.user.pk] = log_in(Client(), page.user)
        result = measure_page(page, client, repeat=repeat, warmup=warmup)
        if log:
            log(
                f"{page.key:<26} {result.queries:>3} queries  median {result.median_ms:8.1f} ms  "
                f"p95 {result.p95_ms:8.1f} ms  core {result.core_ms:8.1f} ms  x{result.ratio:.1f}"
            )
        results.append(result)
    return BenchRun(
        vendor=connection.vendor,
        database=str(connection.settings_dict["NAME"]).rsplit("/", 1)[-1],
        database_version=_database_version(),
        scale=scale,
        repeat=repeat,
        warmup=warmup,
        started_at=started_at,
        duration_s=round(time.perf_counter() - started, 1),
        rows=_row_counts(),
        load=[round(x, 2) for x in (*load_before, *os.getloadavg())],
        cast={
            "name_query": cast.name_query,
            "address_query": cast.address_query,
            "community": cast.community.name,
            "tasks_user": cast.tasks_user.username,
        },
        pages=results,
    )


def _ms(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _verdict(page: PageResult) -> str:
    met = page.target_met
    checks = []
    if met is not None:
        checks.append(f"{page.target} {'✓' if met else '✗'}")
    return "; ".join(checks)


def markdown_table(run: BenchRun) -> str:
    """The run as a markdown table, one row per page, with what it was measured against above it."""
    rows = ", ".join(f"{n:,} {name.removesuffix('s') if n == 1 else name}" for name, n in run.rows.items())
    lines = [
        f"### {run.database_version} · {run.scale} scale",
        "",
        f"Database `{run.database}`: {rows}. Measured {run.started_at}: {run.warmup} warm-up then {run.repeat} "
        f"requests per page (Python {run.python}, DEBUG off); the run took {run.duration_s:,.0f} s, with a load "
        f"average of {run.load[0]:.1f} before and {run.load[3]:.1f} after it (2 cores). Searches: "
        f"name “{run.cast['name_query']}”, address “{run.cast['address_query']}”; one community: "
        f"{run.cast['community']}; my tasks: `{run.cast['tasks_user']}`.",
        "",
        "| Page | User | Queries | Median ms | p95 ms | Core SQL ms (statements) | Page / core | All page SQL ms "
        "| Target |",
        "|---|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    for page in run.pages:
        ratio = f"{page.ratio:.1f}×" if math.isfinite(page.ratio) else "—"
        lines.append(
            f"| {page.title} | `{page.user}` | {page.queries} | {_ms(page.median_ms)} | {_ms(page.p95_ms)} "
            f"| {_ms(page.core_ms)} ({page.core_statements}) | {ratio} | {_ms(page.page_sql_ms)} | {_verdict(page)} |"
        )
    return "\n".join(lines) + "\n"


def write_results(run: BenchRun, directory: Path = RESULTS_DIR) -> Path:
    """bench/results/<database>-<scale>.md and .json; returns the markdown file's path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{run.label}.md"
    path.write_text(markdown_table(run), encoding="utf-8")
    data = asdict(run)
    for page, result in zip(data["pages"], run.pages, strict=True):
        page["ratio"] = round(result.ratio, 2) if math.isfinite(result.ratio) else None
        page["target_met"] = result.target_met
    (directory / f"{run.label}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def setup_django(database_url: str | None = None) -> None:
    """Django with the project's settings, DEBUG off (no query log, as in production), the test client's host."""
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wenxin.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # django-axes reports every sign-in at INFO; the table is what the run prints.
    import logging

    logging.getLogger("axes").setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", required=True, help="label of the data size, e.g. street or city")
    parser.add_argument("--database-url", help="the database to measure (default: DATABASE_URL)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page (default 20)")
    parser.add_argument("--warmup", type=int, default=2, help="requests per page before timing (default 2)")
    parser.add_argument("--page", action="append", help="measure only this page (its key); repeatable")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="directory of the results")
    args = parser.parse_args(argv)
    setup_django(args.database_url)
    from bench.pages import BenchSetupError

    try:
        run = run_bench(
            scale=args.scale, repeat=args.repeat, warmup=args.warmup, only=args.page, log=lambda s: print(s, flush=True)
        )
    except (BenchError, BenchSetupError) as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    path = write_results(run, args.out)
    print(f"wrote {path}")
    return 0
