"""The registry's long work as background jobs: applying a checked import, and exports above the threshold.

Most tests run jobs at once (the immediate backend of tests/conftest.py). Those named "with a worker" queue them
in the database as the site does, and run the task as the worker would; the last one runs the real `db_worker`.
"""

from __future__ import annotations

import io
import signal
import urllib.parse

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from households import tasks
from households.models import Household, HouseholdImport
from tests.factories import HouseholdFactory, ResidentFactory
from tests.households.test_import import counts, good_rows, row, upload, xlsx
from wenxin import jobs
from wenxin.models import AuditEntry, BackgroundJob
from wenxin.roles import Role

Status = BackgroundJob.Status


@pytest.fixture
def with_a_worker(settings):
    """Jobs queued in the database, as on the site; a test runs the task itself, as the worker would."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def preview_url(household_import: HouseholdImport) -> str:
    return reverse("households:import_preview", args=[household_import.pk])


def confirm(client, household_import: HouseholdImport):
    return client.post(preview_url(household_import))


def uploaded(client, rows: list[list]) -> HouseholdImport:
    upload(client, xlsx(rows))
    return HouseholdImport.objects.latest("pk")


def the_job() -> BackgroundJob:
    return BackgroundJob.objects.get()


# ---------------------------------------------------------------------------------------------------------------
# Applying an import
# ---------------------------------------------------------------------------------------------------------------


def test_confirming_applies_the_import_through_a_job(community_leader, client_for):
    client = client_for(community_leader)
    household_import = uploaded(client, good_rows())

    response = confirm(client, household_import)

    # Run at once here, so straight to the outcome, as before jobs.
    assert response["Location"] == reverse("households:list")
    assert counts() == (3, 6)
    job = the_job()
    assert (job.user, job.kind, job.status) == (community_leader, BackgroundJob.Kind.HOUSEHOLD_IMPORT, Status.SUCCEEDED)
    assert job.params["import_id"] == household_import.pk
    assert (job.done, job.total) == (6, 6)
    assert job.message == "已导入 3 户、6 位居民。"
    assert AuditEntry.objects.get(action=AuditEntry.Action.IMPORT).actor == community_leader


def test_with_a_worker_confirming_queues_the_job_and_its_page_follows_it(community_leader, client_for, with_a_worker):
    client = client_for(community_leader)
    household_import = uploaded(client, good_rows())

    response = confirm(client, household_import)

    job = the_job()
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.status == Status.QUEUED
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "households.tasks.apply_household_import"
    assert queued.args_kwargs == {"args": [job.pk], "kwargs": {}}
    assert counts() == (0, 0)
    page = client.get(response["Location"]).content.decode()
    assert "排队中" in page
    assert 'hx-trigger="every 2s"' in page
    assert household_import.file_name in page

    tasks.apply_household_import.call(job.pk)

    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED
    assert (job.done, job.total) == (6, 6)
    assert counts() == (3, 6)
    block = client.get(reverse("jobs:progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in block
    assert "已导入 3 户、6 位居民。" in block
    assert f'href="{reverse("households:list")}"' in block


def test_with_a_worker_confirming_again_while_it_waits_queues_nothing_more(community_leader, client_for, with_a_worker):
    client = client_for(community_leader)
    household_import = uploaded(client, good_rows())
    first = confirm(client, household_import)
    second = confirm(client, household_import)
    assert first["Location"] == second["Location"]
    assert BackgroundJob.objects.count() == 1
    assert DBTaskResult.objects.count() == 1


def test_a_row_that_no_longer_fits_fails_the_job_and_writes_nothing(community_leader, client_for, places):
    client = client_for(community_leader)
    household_import = uploaded(client, good_rows())
    HouseholdFactory(estate=places.estate_a, grid_area=places.area_a, building="1", unit="1", room="101")
    before = counts()

    response = confirm(client, household_import)

    assert response["Location"] == preview_url(household_import)
    assert counts() == before
    household_import.refresh_from_db()
    assert household_import.status == HouseholdImport.Status.REJECTED
    job = the_job()
    assert job.status == Status.FAILED
    assert job.message.startswith("有 1 处错误，没有导入任何数据。第 2 行 室号：该地址已有在册户")
    assert job.result_url == preview_url(household_import)


def test_with_a_worker_a_failed_import_job_says_why_and_links_to_every_error(
    community_leader, client_for, places, with_a_worker
):
    client = client_for(community_leader)
    household_import = uploaded(client, good_rows())
    confirm(client, household_import)
    HouseholdFactory(estate=places.estate_a, grid_area=places.area_a, building="2", unit="", room="201")
    before = counts()

    tasks.apply_household_import.call(the_job().pk)

    assert counts() == before
    job = the_job()
    assert job.status == Status.FAILED
    page = client.get(job.get_absolute_url()).content.decode()
    assert "没有导入任何数据" in page
    assert "第 7 行" in page
    assert "已有在册户" in page
    assert f'href="{preview_url(household_import)}"' in page
    assert "已有在册户" in client.get(preview_url(household_import)).content.decode()


def test_an_importer_moved_to_another_community_before_the_job_ran_imports_nothing(
    community_leader, client_for, places, with_a_worker
):
    client = client_for(community_leader)
    confirm(client, uploaded(client, good_rows()))
    community_leader.community = places.community_b
    community_leader.save(update_fields=["community"])

    tasks.apply_household_import.call(the_job().pk)

    assert counts() == (0, 0)
    job = the_job()
    assert job.status == Status.FAILED
    assert "不存在或不在您的管辖范围内" in job.message


def test_an_importer_who_lost_the_right_before_the_job_ran_imports_nothing(community_leader, client_for, with_a_worker):
    client = client_for(community_leader)
    household_import = uploaded(client, good_rows())
    confirm(client, household_import)
    community_leader.role = Role.SOCIAL_WORKER
    community_leader.save(update_fields=["role"])

    tasks.apply_household_import.call(the_job().pk)

    assert counts() == (0, 0)
    assert "权限" in the_job().message
    household_import.refresh_from_db()
    assert household_import.status == HouseholdImport.Status.CHECKED


def test_the_check_writes_its_progress_every_n_rows(community_leader, client_for, with_a_worker, monkeypatch):
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 2)
    client = client_for(community_leader)
    confirm(client, uploaded(client, good_rows()))

    with CaptureQueriesContext(connection) as queries:
        tasks.apply_household_import.call(the_job().pk)

    written = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "wenxin_backgroundjob" SET "done"')
    ]
    assert len(written) == 4  # the start of the check, then rows 2, 4 and 6; not one per row
    assert the_job().done == 6


# ---------------------------------------------------------------------------------------------------------------
# Exports above the threshold
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture
def registry(places):
    """One resident in each of area A, area A2 and area B: community A has two rows, the street three."""
    for area, estate, name in (
        (places.area_a, places.estate_a, "甲户主"),
        (places.area_a2, places.estate_a, "乙户主"),
        (places.area_b, places.estate_b, "丙户主"),
    ):
        ResidentFactory(household=HouseholdFactory(estate=estate, grid_area=area), name=name)


def export(client, query: str = ""):
    return client.get(reverse("households:export") + query)


def names_in(content: bytes) -> set[str]:
    rows = list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True))
    return {row[7] for row in rows[1:]}


def download(client, job: BackgroundJob):
    return client.get(reverse("jobs:download", args=[job.pk]))


def test_an_export_above_the_threshold_runs_as_a_job_with_its_file(
    community_leader, worker_b, system_admin, registry, client_for, settings
):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    client = client_for(community_leader)

    response = export(client)

    job = the_job()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert (job.kind, job.status) == (BackgroundJob.Kind.HOUSEHOLD_EXPORT, Status.SUCCEEDED)
    assert (job.done, job.total) == (2, 2)
    assert job.message == "已导出 2 户、2 位居民。"
    page = client.get(response["Location"]).content.decode()
    assert reverse("jobs:download", args=[job.pk]) in page
    file = download(client, job)
    assert file.status_code == 200
    assert names_in(file.content) == {"甲户主", "乙户主"}
    expected = urllib.parse.quote(f"户籍档案-{timezone.localdate():%Y%m%d}.xlsx")
    assert file["Content-Disposition"] == f"attachment; filename*=utf-8''{expected}"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert (entry.actor, entry.changes["households"], entry.changes["residents"]) == (community_leader, 2, 2)
    assert download(client_for(worker_b), job).status_code == 404
    assert download(client_for(system_admin), job).status_code == 404


def test_an_export_up_to_the_threshold_downloads_at_once(community_leader, registry, client_for, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 2
    response = export(client_for(community_leader))
    assert response.status_code == 200
    assert names_in(response.content) == {"甲户主", "乙户主"}
    assert not BackgroundJob.objects.exists()


def test_a_household_without_residents_counts_as_one_row(community_leader, registry, client_for, settings, places):
    HouseholdFactory(estate=places.estate_a, grid_area=places.area_a)
    settings.EXPORT_INLINE_MAX_ROWS = 2
    assert export(client_for(community_leader)).status_code == 302
    assert the_job().total == 3


def test_the_export_job_keeps_the_filters_and_drops_garbage(community_leader, registry, client_for, settings, places):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    client = client_for(community_leader)
    export(client, f"?grid_area={places.area_a2.pk}&estate=abc&page=9")
    job = the_job()
    assert job.params == {"query": {"grid_area": [str(places.area_a2.pk)], "estate": ["abc"]}}
    assert names_in(download(client, job).content) == {"乙户主"}


def test_with_a_worker_the_export_shows_its_progress_then_the_file(
    community_leader, registry, client_for, settings, with_a_worker
):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    client = client_for(community_leader)
    job_url = export(client)["Location"]
    job = the_job()
    assert job.status == Status.QUEUED
    assert download(client, job).status_code == 404
    assert DBTaskResult.objects.get().task_path == "households.tasks.export_households"

    tasks.export_households.call(job.pk)

    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (Status.SUCCEEDED, 2, 2)
    assert "hx-trigger" not in client.get(job_url).content.decode()
    assert names_in(download(client, job).content) == {"甲户主", "乙户主"}


def test_with_a_worker_the_export_reads_with_the_scope_its_user_has_when_it_runs(
    community_leader, registry, client_for, settings, places, with_a_worker
):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    client = client_for(community_leader)
    export(client)
    community_leader.community = places.community_b
    community_leader.save(update_fields=["community"])

    tasks.export_households.call(the_job().pk)

    assert names_in(download(client, the_job()).content) == {"丙户主"}


def test_with_a_worker_the_same_export_asked_twice_is_one_job(
    community_leader, registry, client_for, settings, places, with_a_worker
):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    client = client_for(community_leader)
    assert export(client)["Location"] == export(client)["Location"]
    assert export(client, f"?grid_area={places.area_a.pk}")["Location"] != export(client)["Location"]
    assert BackgroundJob.objects.count() == 2


def _fill(places, count: int) -> None:
    for _ in range(count):
        household = HouseholdFactory(estate=places.estate_a, grid_area=places.area_a)
        ResidentFactory(household=household)
        ResidentFactory(household=household, relation="spouse")


def test_an_export_job_costs_the_same_queries_with_more_households(
    community_leader, places, client_for, settings, with_a_worker, django_assert_max_num_queries
):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    client = client_for(community_leader)
    _fill(places, 3)
    # Counted at once: captured_queries reads the connection's log, which the next request empties.
    with CaptureQueriesContext(connection) as few:
        job_url = export(client)["Location"]
    few_start = len(few.captured_queries)
    with CaptureQueriesContext(connection) as few:
        tasks.export_households.call(the_job().pk)
    few_run = len(few.captured_queries)
    assert len(names_in(download(client, the_job()).content)) == 6
    BackgroundJob.objects.all().delete()
    _fill(places, 40)
    with django_assert_max_num_queries(few_start):
        assert export(client)["Location"] != job_url
    with django_assert_max_num_queries(few_run):
        tasks.export_households.call(the_job().pk)
    assert few_start > 5
    assert few_run > 5
    assert the_job().total == 43 * 2


# ---------------------------------------------------------------------------------------------------------------
# The real worker
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture
def keep_signal_handlers():
    """db_worker installs its own handlers for Ctrl+C and SIGTERM; give pytest its own back."""
    names = [name for name in ("SIGINT", "SIGTERM", "SIGQUIT") if hasattr(signal, name)]
    saved = {name: signal.getsignal(getattr(signal, name)) for name in names}
    yield
    for name, handler in saved.items():
        signal.signal(getattr(signal, name), handler)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_database_backend_queues_a_real_task_that_db_worker_runs(
    community_leader, client_for, settings, keep_signal_handlers
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client = client_for(community_leader)
    job_url = confirm(client, uploaded(client, good_rows()))["Location"]
    assert DBTaskResult.objects.get().status == "READY"
    assert counts() == (0, 0)

    output = io.StringIO()
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0", stdout=output)

    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    job = the_job()
    assert (job.status, job.done, job.total) == (Status.SUCCEEDED, 6, 6)
    assert counts() == (3, 6)
    assert Household.objects.filter(residents__name="张三").exists()
    assert "已导入 3 户、6 位居民。" in client.get(job_url).content.decode()


def test_a_file_with_a_bad_row_never_reaches_a_job(community_leader, client_for):
    client = client_for(community_leader)
    household_import = uploaded(client, [row(estate="不存在的小区")])
    response = confirm(client, household_import)
    assert response["Location"] == preview_url(household_import)
    assert not BackgroundJob.objects.exists()
