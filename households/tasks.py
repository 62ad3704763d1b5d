"""The registry's long work as background jobs: applying a checked import, and exporting many households.

Each task is given a BackgroundJob's id; the work reads the import or the filters from the job and runs with the
rights the job's user has when the worker gets to it (wenxin/jobs.py). Applying stays what excel.import_apply is:
checked again and written in one transaction, all or nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from households import excel
from households.forms import HouseholdFilterForm
from households.models import HouseholdImport
from households.selectors import household_list
from wenxin.audit import acting_as_job_user
from wenxin.jobs import JobFailed, JobProgress, JobResult, job_start, run_job
from wenxin.models import BackgroundJob, User

# ---------------------------------------------------------------------------------------------------------------
# Applying an import
# ---------------------------------------------------------------------------------------------------------------


@task()
def apply_household_import(job_id: int) -> None:
    # No request names the actor in the worker: the job's user is the actor of the rows it writes.
    run_job(job_id, acting_as_job_user(_apply_import))


def import_apply_start(*, actor: User, household_import: HouseholdImport) -> BackgroundJob:
    """Queue the apply of a checked import; what would stop it now is raised at once, not left to the worker.

    Asking again while the import is still queued or running returns the same job, so it is applied once.
    """
    excel.import_apply_precheck(actor=actor, household_import=household_import)
    running = (
        BackgroundJob.objects.owned_by(actor)
        .unfinished()
        .filter(kind=BackgroundJob.Kind.HOUSEHOLD_IMPORT, params__import_id=household_import.pk)
        .defer("result_file")
        .first()
    )
    if running is not None:
        return running
    return job_start(
        user=actor,
        kind=BackgroundJob.Kind.HOUSEHOLD_IMPORT,
        task=apply_household_import,
        params={"import_id": household_import.pk, "file_name": household_import.file_name},
    )


def _apply_import(job: BackgroundJob, progress: JobProgress) -> JobResult:
    household_import = (
        HouseholdImport.objects.visible_to(job.user).filter(pk=job.params.get("import_id"), created_by=job.user).first()
    )
    if household_import is None:
        raise JobFailed(_("找不到这次导入，或您已无权查看。没有导入任何数据。"))
    preview_url = reverse("households:import_preview", args=[household_import.pk])
    try:
        # Her rights as they are now, before the long part: she may have lost them since she asked.
        excel.import_apply_precheck(actor=job.user, household_import=household_import)
    except ValidationError as exc:
        raise JobFailed(exc.messages[0], url=preview_url) from None
    # Reading and checking every row is the long part. It runs first outside any transaction, so the progress it
    # writes is seen while it runs; import_apply then checks again inside its one transaction and writes.
    progress.start(total=household_import.row_count, message=_("正在检查每一行"))
    excel.check_content(actor=job.user, content=bytes(household_import.content), progress=progress.step)
    progress.say(_("正在写入：全部写入，或全部不写入"))
    try:
        household_import = excel.import_apply(actor=job.user, household_import=household_import)
    except ValidationError as exc:
        raise JobFailed(exc.messages[0], url=preview_url) from None
    if household_import.status != HouseholdImport.Status.IMPORTED:
        raise JobFailed(_rejection(household_import), url=preview_url)
    return JobResult(
        message=_("已导入 %(households)s 户、%(residents)s 位居民。")
        % {"households": household_import.households_created, "residents": household_import.residents_created},
        url=reverse("households:list"),
    )


def _rejection(household_import: HouseholdImport) -> str:
    """Why nothing was imported, with the first error in full: the import's page lists the others."""
    errors = household_import.errors
    first = errors[0] if errors else {"row": None, "column": "", "message": ""}
    where = _("第 %(row)s 行") % {"row": first["row"]} if first["row"] else _("整个文件")
    return _("有 %(count)s 处错误，没有导入任何数据。%(where)s %(column)s：%(message)s") % {
        "count": len(errors),
        "where": where,
        "column": first["column"],
        "message": first["message"],
    }


# ---------------------------------------------------------------------------------------------------------------
# Exporting the registry
# ---------------------------------------------------------------------------------------------------------------


@task()
def export_households(job_id: int) -> None:
    run_job(job_id, acting_as_job_user(_export))


def export_start(*, actor: User, query: dict[str, list[str]]) -> BackgroundJob:
    """Queue an export of the households the filters in `query` select; the same export still running is reused."""
    for running in (
        BackgroundJob.objects.owned_by(actor)
        .unfinished()
        .filter(kind=BackgroundJob.Kind.HOUSEHOLD_EXPORT)
        .defer("result_file")
    ):
        if running.params.get("query") == query:
            return running
    return job_start(
        user=actor, kind=BackgroundJob.Kind.HOUSEHOLD_EXPORT, task=export_households, params={"query": query}
    )


def filter_query(data: QueryDict) -> dict[str, list[str]]:
    """The household list's filters in a request, as JSON a job can keep; anything else is left out."""
    names = HouseholdFilterForm.base_fields
    return {name: data.getlist(name) for name in names if data.getlist(name)}


def _export(job: BackgroundJob, progress: JobProgress) -> JobResult:
    data = QueryDict(mutable=True)
    query: dict[str, Any] = job.params.get("query") or {}
    for name, values in query.items():
        data.setlist(name, [str(value) for value in values])
    # The form and the list are built for the job's user as she is now: a filter she may no longer use is dropped.
    filters = HouseholdFilterForm(data, user=job.user).filters()
    households = household_list(viewer=job.user, filters=filters)
    progress.start(total=excel.export_row_count(households), message=_("正在导出"))
    export = excel.household_export(
        actor=job.user, households=households, filters=excel.describe_filters(filters), progress=progress.step
    )
    return JobResult(
        message=_("已导出 %(households)s 户、%(residents)s 位居民。")
        % {"households": export.households, "residents": export.residents},
        file=export.content,
        file_name=export_file_name(),
    )


def export_file_name() -> str:
    return _("户籍档案-%(date)s.xlsx") % {"date": f"{timezone.localdate():%Y%m%d}"}
