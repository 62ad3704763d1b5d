"""Excel pages of the household registry: export the list, download the template, upload, preview and apply.

The work is in households/excel.py; these views parse the request, call it, and render.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import FileExtensionValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from households import excel, tasks
from households.forms import HouseholdFilterForm
from households.models import HouseholdImport
from households.selectors import household_list
from wenxin.models import User
from wenxin.xlsx import xlsx_response


class ImportUploadForm(forms.Form):
    """The spreadsheet to import; its rows are checked by excel.import_check, not here."""

    file = forms.FileField(
        label=gettext_lazy("Excel 文件"),
        help_text=gettext_lazy("请上传按导入模板填写的 .xlsx 文件。"),
        validators=[
            FileExtensionValidator(
                ["xlsx"], message=gettext_lazy("只能上传 .xlsx 格式的 Excel 文件（不支持 .xls、.csv）。")
            )
        ],
        error_messages={"required": gettext_lazy("请选择要上传的文件。"), "empty": gettext_lazy("上传的文件是空的。")},
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise ValidationError(
                _("文件太大（%(size).1f MB），最大 %(max).1f MB，请拆分成几个文件分别导入。")
                % {"size": upload.size / 1024 / 1024, "max": settings.IMPORT_MAX_BYTES / 1024 / 1024}
            )
        return upload


def _require_importer(user: User) -> None:
    if not user.can_import_registry:
        raise PermissionDenied


@require_GET
@login_required
def household_export(request: HttpRequest) -> HttpResponse:
    filters = HouseholdFilterForm(request.GET, user=request.user).filters()
    households = household_list(viewer=request.user, filters=filters)
    if excel.export_row_count(households) > settings.EXPORT_INLINE_MAX_ROWS:
        # Too many rows to build within a request: the worker builds it, and its page offers the file when ready.
        job = tasks.export_start(actor=request.user, query=tasks.filter_query(request.GET))
        return redirect(job)
    export = excel.household_export(actor=request.user, households=households, filters=excel.describe_filters(filters))
    return xlsx_response(export.content, tasks.export_file_name())


@require_GET
@login_required
def household_import_template(request: HttpRequest) -> HttpResponse:
    _require_importer(request.user)
    return xlsx_response(excel.import_template_workbook(), _("户籍导入模板.xlsx"))


@require_http_methods(["GET", "POST"])
@login_required
def household_import(request: HttpRequest) -> HttpResponse:
    _require_importer(request.user)
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            household_import = excel.import_check(actor=request.user, file_name=upload.name, content=upload.read())
            return redirect("households:import_preview", pk=household_import.pk)
    else:
        form = ImportUploadForm()
    recent = (
        HouseholdImport.objects.visible_to(request.user).filter(created_by=request.user).defer("content", "errors")[:10]
    )
    return render(
        request,
        "households/import.html",
        {
            "form": form,
            "recent": recent,
            "max_rows": settings.IMPORT_MAX_ROWS,
            "max_mb": settings.IMPORT_MAX_BYTES // (1024 * 1024),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def household_import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    _require_importer(request.user)
    household_import = get_object_or_404(
        HouseholdImport.objects.visible_to(request.user).select_related("created_by"), pk=pk
    )
    if request.method == "POST":
        try:
            job = tasks.import_apply_start(actor=request.user, household_import=household_import)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
            return redirect("households:import_preview", pk=household_import.pk)
        if not job.is_finished:
            # The worker applies it; the job's page shows how far it got, then the outcome.
            return redirect(job)
        # Already done (a backend that runs jobs within the request): straight to the outcome, as before.
        household_import.refresh_from_db()
        if household_import.status == HouseholdImport.Status.CHECKED:
            return redirect(job)  # it failed before writing anything; the job says why
        if household_import.status == HouseholdImport.Status.IMPORTED:
            messages.success(
                request,
                _("已导入 %(households)s 户、%(residents)s 位居民。")
                % {"households": household_import.households_created, "residents": household_import.residents_created},
            )
            return redirect("households:list")
        messages.error(request, _("检查之后户籍数据发生了变化，本次没有导入任何数据。请查看下面的错误。"))
        return redirect("households:import_preview", pk=household_import.pk)

    preview = None
    if household_import.status == HouseholdImport.Status.CHECKED:
        # Seen through the uploader's scope: that is whose rights the apply will use.
        preview = excel.import_preview(actor=household_import.created_by, household_import=household_import)
    return render(
        request,
        "households/import_preview.html",
        {
            "household_import": household_import,
            "preview": preview,
            "can_apply": household_import.status == HouseholdImport.Status.CHECKED
            and household_import.created_by_id == request.user.pk,
        },
    )
