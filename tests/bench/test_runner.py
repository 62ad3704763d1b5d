"""The benchmark runner (bench/): every main page measured end to end on a small demo street, the table and the
performance page written from it, and each page's query count unchanged on a street four times larger."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import DEFAULT_DB_ALIAS, transaction
from django.test import override_settings

from bench.pages import BenchSetupError, find_cast, main_pages
from bench.report import BOUNDED_PAGES, load_runs, performance_markdown
from bench.run import BenchRun, markdown_table, run_bench, write_results
from visits.selectors import OTHER_TARGETS

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Issue 8's main pages, as bench/pages.py names them.
PAGES = {
    "household_list",
    "household_search_name",
    "household_search_address",
    "visit_log",
    "visit_log_search",
    "quota_street",
    "quota_community",
    "coverage",
    "planner",
    "opinions",
    "opinions_mine",
    "scorecard",
    "report",
    "admin_households",
    "admin_visits",
    "admin_visits_search_street",
    "admin_visits_search_all",
    "admin_visits_search_text",
}


@contextmanager
def demo_street(households: int) -> Iterator[None]:
    """The demo street with `households` households, for the duration of the block, then rolled back.

    First what migrate's post_migrate signal makes (content types, permissions, the role groups): a transactional
    test run before this module leaves the tables flushed without them, and the leader opens the admin's visit
    list through his group's permissions."""
    with transaction.atomic(), override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS):
        ContentType.objects.clear_cache()
        emit_post_migrate_signal(verbosity=0, interactive=False, db=DEFAULT_DB_ALIAS)
        call_command("seed_demo", households=households, stdout=StringIO())
        with override_settings(DEBUG=False):
            yield
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def small_run(django_db_setup, django_db_blocker) -> BenchRun:
    """One run of every page, one request each, on a demo street of 40 households."""
    with django_db_blocker.unblock(), demo_street(40):
        return run_bench(scale="tiny", repeat=1, warmup=0)


def test_it_measures_every_main_page(small_run):
    assert {page.key for page in small_run.pages} == PAGES
    for page in small_run.pages:
        assert page.queries > 0, page.key
        assert page.core_statements > 0, page.key
        assert page.median_ms > 0 and page.p95_ms >= page.median_ms, page.key
        assert page.core_ms > 0 and math.isfinite(page.ratio), page.key
    assert small_run.rows["households"] == 40


def test_the_table_has_a_row_per_page_with_its_query_count_and_ratio(small_run, tmp_path):
    path = write_results(small_run, tmp_path)

    table = path.read_text(encoding="utf-8")
    assert path.name == f"{small_run.vendor}-tiny.md"
    assert table == markdown_table(small_run)
    for page in small_run.pages:
        row = next(line for line in table.splitlines() if line.startswith(f"| {page.title} |"))
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[2] == str(page.queries)
        assert re.fullmatch(r"\d+(\.\d)?×", cells[6]), row
    assert (tmp_path / f"{small_run.vendor}-tiny.json").exists()


def test_the_performance_page_is_assembled_from_the_results(small_run, tmp_path):
    write_results(small_run, tmp_path)
    notes = tmp_path / "notes.md"
    notes.write_text("## Notes\n\nWhat was changed.\n", encoding="utf-8")

    page = performance_markdown(tmp_path, notes)

    assert "## The targets" in page and "## The machine" in page and "## How to reproduce" in page
    assert markdown_table(small_run).strip() in page
    assert "Not run yet: `make load`." in page
    assert page.rstrip().endswith("What was changed.")


def test_each_pages_query_count_stays_the_same_on_a_street_four_times_larger(small_run, django_db_blocker):
    with django_db_blocker.unblock(), demo_street(160):
        larger = run_bench(scale="tiny", repeat=1, warmup=0)

    assert larger.rows["households"] == 160
    small = {page.key: page.queries for page in small_run.pages}
    large = {page.key: page.queries for page in larger.pages}
    # The visits' admin fetches each kind of place on its page in one query (visits.selectors.OTHER_TARGETS):
    # bounded by the number of kinds, whatever the number of visits, but not always the same number.
    for key in BOUNDED_PAGES:
        assert abs(large.pop(key) - small.pop(key)) <= len(OTHER_TARGETS), key
    assert large == small


def test_without_the_demo_it_says_what_to_load(db):
    with pytest.raises(BenchSetupError, match="seed_demo"):
        main_pages(find_cast())


def test_the_generators_times_are_reported_against_their_targets(small_run, tmp_path):
    written = write_results(small_run, tmp_path)
    for suffix in (".md", ".json"):  # reported as the PostgreSQL street, whose run the targets table reads
        written.with_suffix(suffix).rename(tmp_path / f"postgresql-street{suffix}")
    for label, seconds in (("postgresql-street", 52.4), ("postgresql-city", 960.0)):
        record = {
            "label": label,
            "scale": label.split("-")[1],
            "seed_demo": ["--households", "45000"],
            "seconds": seconds,
            "load_before": 0.5,
            "load_after": 1.5,
            "cores": 2,
            "built_at": "2026-12-01T16:00:00+00:00",
        }
        (tmp_path / f"build-{label}.json").write_text(json.dumps(record), encoding="utf-8")

    page = performance_markdown(tmp_path, tmp_path / "no-notes.md")

    assert "| postgresql-street | `--households 45000` | 52 s | < 60 s ✓ |" in page
    assert "| postgresql-city | `--households 45000` | 16.0 min (960 s) | < 15.0 min (900 s) ✗ |" in page
    target = next(line for line in page.splitlines() if line.startswith("| seed_demo:"))
    assert target.endswith("| ✗ |")
    assert "build-" not in " ".join(load_runs(tmp_path))
