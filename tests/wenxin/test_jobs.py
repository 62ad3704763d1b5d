"""Background jobs: who sees them, how they run and report progress, the page that polls them, pruning."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task

from tests.factories import UserFactory
from wenxin import jobs
from wenxin.jobs import JobFailed, JobProgress, JobResult, job_start, prune_jobs, run_job
from wenxin.models import BackgroundJob
from wenxin.roles import Role

Kind = BackgroundJob.Kind
Status = BackgroundJob.Status


# Module-level work and tasks: the tasks framework runs only functions it can import by name.


def _work_counts_to_450(job: BackgroundJob, progress: JobProgress) -> JobResult:
    progress.start(total=450, message="正在数")
    for done in range(1, 451):
        progress.step(done)
    return JobResult(message="数完了", url="/households/", file=b"PK-file", file_name="结果.xlsx")


def _work_fails_with_a_reason(job: BackgroundJob, progress: JobProgress) -> JobResult:
    raise JobFailed("第 3 行有错误，没有写入任何数据。", url="/households/import/")


def _work_breaks(job: BackgroundJob, progress: JobProgress) -> JobResult:
    raise RuntimeError("a bug")


def _work_says_its_language(job: BackgroundJob, progress: JobProgress) -> JobResult:
    return JobResult(message=translation.get_language())


@task()
def language_task(job_id: int) -> None:
    run_job(job_id, _work_says_its_language)


@task()
def count_task(job_id: int) -> None:
    run_job(job_id, _work_counts_to_450)


@task()
def failing_task(job_id: int) -> None:
    run_job(job_id, _work_fails_with_a_reason)


@task()
def broken_task(job_id: int) -> None:
    run_job(job_id, _work_breaks)


def make_job(user, **fields) -> BackgroundJob:
    fields.setdefault("kind", Kind.HOUSEHOLD_EXPORT)
    return BackgroundJob.objects.create(user=user, **fields)


# --- Running -------------------------------------------------------------------------------------------------------


def test_a_job_runs_to_the_end_with_its_file(community_leader):
    job = job_start(user=community_leader, kind=Kind.HOUSEHOLD_EXPORT, task=count_task, params={"a": [1]})

    assert job.status == Status.SUCCEEDED
    assert (job.done, job.total, job.percent) == (450, 450, 100)
    assert job.message == "数完了"
    assert job.result_url == "/households/"
    assert (job.result_name, job.result_size) == ("结果.xlsx", 7)
    assert bytes(BackgroundJob.objects.get(pk=job.pk).result_file) == b"PK-file"
    assert job.task_id
    assert job.started_at <= job.finished_at
    assert job.params == {"a": [1]}
    assert job.language == "zh-hans"


def test_progress_is_written_every_n_rows_not_every_row(community_leader, monkeypatch):
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 100)
    job = make_job(community_leader)
    progress = JobProgress(job)
    progress.start(total=450, message="")
    with CaptureQueriesContext(connection) as queries:
        for done in range(1, 451):
            progress.step(done)
            if done == 250:
                assert BackgroundJob.objects.get(pk=job.pk).done == 200
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(writes) == 5  # 100, 200, 300, 400 and the last row
    assert BackgroundJob.objects.get(pk=job.pk).done == 450


def test_a_failure_keeps_the_message_for_the_user(community_leader):
    job = job_start(user=community_leader, kind=Kind.HOUSEHOLD_IMPORT, task=failing_task, params={})
    assert job.status == Status.FAILED
    assert job.message == "第 3 行有错误，没有写入任何数据。"
    assert job.result_url == "/households/import/"
    assert not job.has_file


def test_an_unexpected_error_is_recorded_in_plain_words_and_logged(community_leader, caplog):
    job = job_start(user=community_leader, kind=Kind.HOUSEHOLD_IMPORT, task=broken_task, params={})
    assert job.status == Status.FAILED
    assert "没有写入任何数据" in job.message
    assert "a bug" not in job.message
    assert "RuntimeError: a bug" in caplog.text


def test_a_job_is_run_once_even_if_its_task_runs_twice(community_leader):
    job = job_start(user=community_leader, kind=Kind.HOUSEHOLD_EXPORT, task=count_task, params={})
    BackgroundJob.objects.filter(pk=job.pk).update(message="已经读过")
    count_task.call(job.pk)
    assert BackgroundJob.objects.get(pk=job.pk).message == "已经读过"


def test_a_deactivated_user_s_job_does_not_run(community_leader):
    job = make_job(community_leader)
    community_leader.is_active = False
    community_leader.save(update_fields=["is_active"])
    count_task.call(job.pk)
    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert "停用" in job.message
    assert job.done == 0


def test_the_job_runs_in_the_language_it_was_asked_in(community_leader):
    job = job_start(user=community_leader, kind=Kind.HOUSEHOLD_EXPORT, task=language_task, params={}, language="en")
    assert (job.language, job.message) == ("en", "en")
    job = job_start(user=community_leader, kind=Kind.HOUSEHOLD_EXPORT, task=language_task, params={})
    assert (job.language, job.message) == ("zh-hans", "zh-hans")


# --- Who sees a job ------------------------------------------------------------------------------------------------


def test_each_sees_her_own_jobs_and_a_system_admin_all(community_leader, worker_a, system_admin, leader, client):
    mine = make_job(community_leader)
    hers = make_job(worker_a)
    assert set(BackgroundJob.objects.visible_to(community_leader)) == {mine}
    assert set(BackgroundJob.objects.visible_to(leader)) == set()
    assert set(BackgroundJob.objects.visible_to(system_admin)) == {mine, hers}
    assert set(BackgroundJob.objects.owned_by(system_admin)) == set()
    anonymous = client.get("/").wsgi_request.user
    assert set(BackgroundJob.objects.visible_to(anonymous)) == set()


# --- The pages -----------------------------------------------------------------------------------------------------


def detail(job) -> str:
    return reverse("jobs:detail", args=[job.pk])


def progress_url(job) -> str:
    return reverse("jobs:progress", args=[job.pk])


def test_the_page_of_a_running_job_polls_its_progress(community_leader, client_for):
    job = make_job(community_leader, status=Status.RUNNING, done=50, total=200, message="正在导出")
    page = client_for(community_leader).get(detail(job)).content.decode()
    assert f'hx-get="{progress_url(job)}"' in page
    assert 'hx-trigger="every 2s"' in page
    assert 'value="50" max="200"' in page
    assert "25%" in page
    assert "已处理 50 / 200 行" in page
    assert "正在导出" in page
    assert reverse("jobs:download", args=[job.pk]) not in page


def test_the_progress_block_polls_until_the_job_ends_then_stops(community_leader, client_for):
    client = client_for(community_leader)
    job = make_job(community_leader, status=Status.RUNNING, done=10, total=20)
    running = client.get(progress_url(job), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" in running
    assert "<html" not in running  # the block alone, for htmx to swap in

    BackgroundJob.objects.filter(pk=job.pk).update(
        status=Status.SUCCEEDED, done=20, result_name="户籍档案.xlsx", result_file=b"x", result_size=1
    )
    ended = client.get(progress_url(job), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in ended
    assert "hx-get" not in ended
    assert reverse("jobs:download", args=[job.pk]) in ended
    assert "100%" in ended


def test_a_failed_job_says_why_and_links_to_the_details(community_leader, client_for):
    job = make_job(community_leader, status=Status.FAILED, message="有 2 处错误，没有导入任何数据。", result_url="/x/")
    page = client_for(community_leader).get(detail(job)).content.decode()
    assert "有 2 处错误，没有导入任何数据。" in page
    assert 'href="/x/"' in page
    assert "查看错误明细" in page
    assert "hx-trigger" not in page


def test_a_job_queued_for_long_says_the_worker_may_be_down(community_leader, client_for):
    job = make_job(community_leader)
    client = client_for(community_leader)
    assert "db_worker" not in client.get(detail(job)).content.decode()
    BackgroundJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=5))
    page = client.get(detail(job)).content.decode()
    assert "db_worker" in page
    assert 'hx-trigger="every 2s"' in page


def test_the_file_downloads_for_its_owner_only(community_leader, worker_a, system_admin, client_for):
    job = make_job(
        community_leader, status=Status.SUCCEEDED, result_name="户籍档案.xlsx", result_file=b"PK-bytes", result_size=8
    )
    url = reverse("jobs:download", args=[job.pk])
    response = client_for(community_leader).get(url)
    assert response.status_code == 200
    assert response.content == b"PK-bytes"
    assert "attachment" in response["Content-Disposition"]
    assert client_for(worker_a).get(url).status_code == 404
    assert client_for(system_admin).get(url).status_code == 404


def test_a_system_admin_follows_anothers_progress_without_the_file(community_leader, system_admin, client_for):
    job = make_job(community_leader, status=Status.SUCCEEDED, result_name="a.xlsx", result_file=b"x", result_size=1)
    page = client_for(system_admin).get(detail(job))
    assert page.status_code == 200
    assert reverse("jobs:download", args=[job.pk]) not in page.content.decode()


def test_another_users_job_is_404(community_leader, worker_a, leader, client_for):
    job = make_job(community_leader, status=Status.RUNNING)
    for user in (worker_a, leader):
        client = client_for(user)
        assert client.get(detail(job)).status_code == 404
        assert client.get(progress_url(job)).status_code == 404
    assert client_for(community_leader).get(reverse("jobs:detail", args=[job.pk + 1000])).status_code == 404


def test_an_unfinished_or_fileless_job_has_nothing_to_download(community_leader, client_for):
    client = client_for(community_leader)
    running = make_job(community_leader, status=Status.RUNNING, result_name="a.xlsx")
    failed = make_job(community_leader, status=Status.FAILED)
    for job in (running, failed):
        assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404


def test_anonymous_is_sent_to_login(community_leader, client):
    job = make_job(community_leader, status=Status.SUCCEEDED, result_name="a.xlsx", result_file=b"x")
    for url in (
        reverse("jobs:list"),
        detail(job),
        progress_url(job),
        reverse("jobs:download", args=[job.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_posting_to_the_pages_is_refused(community_leader, client_for):
    job = make_job(community_leader)
    assert client_for(community_leader).post(detail(job)).status_code == 405


def test_my_jobs_lists_mine_newest_first(community_leader, worker_a, client_for):
    older = make_job(community_leader, status=Status.SUCCEEDED, message="已导出 3 户")
    newer = make_job(community_leader, kind=Kind.HOUSEHOLD_IMPORT, status=Status.RUNNING, done=1, total=4)
    hers = make_job(worker_a)
    page = client_for(community_leader).get(reverse("jobs:list"))
    assert [job.pk for job in page.context["jobs"]] == [newer.pk, older.pk]
    text = page.content.decode()
    assert f'data-job="{hers.pk}"' not in text
    assert "已导出 3 户" in text
    assert "户籍导入" in text
    assert "25%" in text


def test_a_user_without_jobs_is_told_so(worker_a, client_for):
    assert "您最近没有后台任务" in client_for(worker_a).get(reverse("jobs:list")).content.decode()


@pytest.mark.parametrize("page_name", ["jobs:list", "jobs:detail"])
def test_the_pages_cost_the_same_queries_with_more_jobs(
    page_name, community_leader, client_for, django_assert_max_num_queries
):
    client = client_for(community_leader)
    first = make_job(community_leader, status=Status.RUNNING, done=1, total=3)
    url = reverse(page_name, args=[first.pk]) if page_name == "jobs:detail" else reverse(page_name)
    for _ in range(2):
        make_job(community_leader)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    few_queries = len(few.captured_queries)
    assert few_queries >= 3
    for _ in range(30):
        make_job(community_leader, status=Status.SUCCEEDED, message="完成")
    with django_assert_max_num_queries(few_queries):
        response = client.get(url)
    if page_name == "jobs:list":
        assert len(response.context["jobs"]) == 20


# --- Pruning -------------------------------------------------------------------------------------------------------


def test_jobs_older_than_the_retention_are_pruned_when_a_job_starts(community_leader, settings):
    settings.JOB_RETENTION_DAYS = 7
    old = make_job(community_leader, status=Status.SUCCEEDED, result_name="a.xlsx", result_file=b"x")
    stuck = make_job(community_leader)
    recent = make_job(community_leader, status=Status.SUCCEEDED)
    BackgroundJob.objects.filter(pk__in=[old.pk, stuck.pk]).update(
        created_at=timezone.now() - datetime.timedelta(days=8)
    )
    BackgroundJob.objects.filter(pk=recent.pk).update(created_at=timezone.now() - datetime.timedelta(days=6))

    new = job_start(user=community_leader, kind=Kind.HOUSEHOLD_EXPORT, task=count_task, params={})

    assert set(BackgroundJob.objects.values_list("pk", flat=True)) == {recent.pk, new.pk}
    assert prune_jobs(now=timezone.now() + datetime.timedelta(days=30)) == 2


def test_a_deleted_user_takes_her_jobs_with_her(places):
    user = UserFactory(role=Role.COMMUNITY_LEADER, street=places.street, community=places.community_a)
    make_job(user)
    user.delete()
    assert not BackgroundJob.objects.exists()
