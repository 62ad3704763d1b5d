"""The pages of background jobs: my recent jobs, one job's progress (polled by htmx until it ends), its file.

A job's progress is visible to its user and to system administrators; its file only to its user.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from wenxin.models import BackgroundJob
from wenxin.xlsx import xlsx_response

# Seconds between two polls of an unfinished job's progress.
POLL_SECONDS = 2


def _job_for(request: HttpRequest, pk: int) -> BackgroundJob:
    jobs = BackgroundJob.objects.visible_to(request.user).select_related("user").defer("result_file")
    return get_object_or_404(jobs, pk=pk)


def _context(request: HttpRequest, job: BackgroundJob) -> dict:
    return {"job": job, "is_owner": job.user_id == request.user.pk, "poll_seconds": POLL_SECONDS}


@require_GET
@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    jobs = BackgroundJob.objects.owned_by(request.user).defer("result_file", "params")[:20]
    return render(request, "wenxin/job_list.html", {"jobs": jobs, "retention_days": settings.JOB_RETENTION_DAYS})


@require_GET
@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    return render(request, "wenxin/job_detail.html", _context(request, job))


@require_GET
@login_required
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress block alone, for htmx to swap in; once the job has ended it no longer asks to be polled."""
    job = _job_for(request, pk)
    return render(request, "wenxin/job_progress.html", _context(request, job))


@require_GET
@login_required
def job_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(
        BackgroundJob.objects.owned_by(request.user)
        .filter(status=BackgroundJob.Status.SUCCEEDED)
        .exclude(result_name=""),
        pk=pk,
    )
    return xlsx_response(bytes(job.result_file), job.result_name)
