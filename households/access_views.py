"""The page that answers a resident's access request: everything about one household as one file.

GET shows what the file holds and asks for the format; POST builds it (households/access_export.py), records
the export and any full ID numbers as reveals, and downloads it. A household out of the user's scope answers 404;
one she sees but may not export (anyone but its community leader or a system administrator), 403.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from households import access_export, selectors


class AccessExportForm(forms.Form):
    """The file's format, and whether it carries the residents' full ID numbers."""

    file_format = forms.ChoiceField(
        label=gettext_lazy("文件格式"),
        choices=[
            ("xlsx", gettext_lazy("Excel（.xlsx），每类记录一张工作表，便于阅读和打印")),
            ("json", gettext_lazy("JSON，便于导入其他系统")),
        ],
        initial="xlsx",
        widget=forms.RadioSelect,
    )
    full_id_numbers = forms.BooleanField(
        label=gettext_lazy("包含完整身份证号码"),
        required=False,
        help_text=gettext_lazy("仅在居民本人申请并核实身份后勾选；每个完整号码的查看都会记入审计记录。"),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def household_access_export(request: HttpRequest, pk: int) -> HttpResponse:
    household = selectors.get_household_for_user(request.user, pk)
    if not access_export.may_export_household(request.user, household):
        raise PermissionDenied
    form = AccessExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        export = access_export.household_access_export(
            actor=request.user,
            household=household,
            file_format=form.cleaned_data["file_format"],
            full_id_numbers=form.cleaned_data["full_id_numbers"],
        )
        response = HttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=export.filename)
        response["Cache-Control"] = "no-store"
        return response
    return render(request, "households/access_export.html", {"form": form, "household": household})
