"""Long work in the background: start a job, report how far it got, finish it or say why it failed.

A job is a BackgroundJob row (who asked, what, how far, the outcome) and a task of Django's tasks framework (the
django-tasks backport) that the worker, `manage.py db_worker`, runs. The task is given the job's id and nothing
else; the work reads its parameters from the row and runs with the rights its user has when it runs, not those
she had when she asked. The page of a job polls the row, so progress is written every PROGRESS_EVERY rows, not
every row.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult

from wenxin.models import BackgroundJob, User

logger = logging.getLogger(__name__)

# Rows between two progress writes: often enough for a bar that moves every poll, rare enough to cost nothing.
PROGRESS_EVERY = 200


class JobFailed(Exception):
    """Raised by a job's work with the message its user reads; the work has written nothing."""

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.url = url


@dataclass
class JobResult:
    """What finished work leaves for its user: a message, a page to go on to, a file to download."""

    message: str
    url: str = ""
    file: bytes | None = None
    file_name: str = ""


class JobProgress:
    """How far a job got, written to its row now and then so the polling page sees the bar move."""

    def __init__(self, job: BackgroundJob, *, every: int | None = None) -> None:
        self.job_id = job.pk
        self.every = every or PROGRESS_EVERY
        self.total = job.total
        self._written = 0

    def start(self, *, total: int, message: str) -> None:
        """A stage of `total` steps begins."""
        self.total = total
        self._written = 0
        BackgroundJob.objects.filter(pk=self.job_id).update(done=0, total=total, message=message[:500])

    def step(self, done: int) -> None:
        """`done` steps of the stage are done; written when PROGRESS_EVERY more than last time, or at the end."""
        if done - self._written >= self.every or (self.total and done >= self.total > self._written):
            self._written = done
            BackgroundJob.objects.filter(pk=self.job_id).update(done=min(done, self.total) if self.total else done)

    def say(self, message: str) -> None:
        """What the job is doing now, for a stage whose steps cannot be counted (one transaction, say)."""
        BackgroundJob.objects.filter(pk=self.job_id).update(message=message[:500])


def job_start(
    *, user: User, kind: BackgroundJob.Kind, task: Task, params: dict[str, Any], language: str | None = None
) -> BackgroundJob:
    """Record a job and queue its task; returns the job as it is now (already finished by an immediate backend)."""
    prune_jobs()
    job = BackgroundJob.objects.create(
        user=user,
        kind=kind,
        params=params,
        language=language or translation.get_language() or settings.LANGUAGE_CODE,
    )
    # Not in a transaction with the job: an immediate backend runs the work right here, and work that fails must
    # still be able to record why.
    try:
        result = task.enqueue(job.pk)
    except Exception:
        _finish(job, status=BackgroundJob.Status.FAILED, message=_("任务没能排队，没有执行。请稍后再试。"))
        raise
    BackgroundJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    return BackgroundJob.objects.defer("result_file").get(pk=job.pk)


def run_job(job_id: int, work: Callable[[BackgroundJob, JobProgress], JobResult]) -> None:
    """Run a queued job's work once, in its user's language, and record how it ended.

    A job that is not queued (already run, or pruned) is left alone, so a task run twice does the work once.
    The work raises JobFailed with a message for its user; any other error is recorded with a general message
    and raised again, so the worker's log and the task result keep the traceback.
    """
    claimed = BackgroundJob.objects.filter(pk=job_id, status=BackgroundJob.Status.QUEUED).update(
        status=BackgroundJob.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        logger.warning("Background job %s is not queued: not run again.", job_id)
        return
    job = BackgroundJob.objects.select_related("user").defer("result_file").get(pk=job_id)
    with translation.override(job.language):
        try:
            if not job.user.is_active:
                raise JobFailed(_("您的账号已停用，任务没有执行。"))
            result = work(job, JobProgress(job))
        except JobFailed as exc:
            _finish(job, status=BackgroundJob.Status.FAILED, message=exc.message, url=exc.url)
        except PermissionDenied:
            _finish(job, status=BackgroundJob.Status.FAILED, message=_("您已没有执行这项操作的权限，任务没有执行。"))
        except Exception:
            logger.exception("Background job %s (%s) failed.", job_id, job.kind)
            _finish(
                job,
                status=BackgroundJob.Status.FAILED,
                message=_("任务出错，没有写入任何数据。请稍后再试；如果仍然出错，请联系系统管理员。"),
            )
            raise
        else:
            _finish(job, status=BackgroundJob.Status.SUCCEEDED, message=result.message, url=result.url, result=result)


def _finish(
    job: BackgroundJob,
    *,
    status: BackgroundJob.Status,
    message: str,
    url: str = "",
    result: JobResult | None = None,
) -> None:
    changes: dict[str, Any] = {"status": status, "message": message[:500], "result_url": url}
    changes["finished_at"] = timezone.now()
    if status == BackgroundJob.Status.SUCCEEDED:
        changes["done"] = F("total")
    if result is not None and result.file is not None:
        changes.update(result_file=result.file, result_name=result.file_name[:200], result_size=len(result.file))
    BackgroundJob.objects.filter(pk=job.pk).update(**changes)


def prune_jobs(*, now: datetime.datetime | None = None) -> int:
    """Delete the jobs, and their files, started more than JOB_RETENTION_DAYS ago; returns how many.

    A job still queued after that long will never run (no worker took it). The database backend's own finished
    task results go with them.
    """
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.JOB_RETENTION_DAYS)
    deleted, _counts = BackgroundJob.objects.filter(created_at__lt=cutoff).delete()
    DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted
