"""Forms of one household, one plan (一户一策). Choices come from visible_to(user); the services check again."""

from __future__ import annotations

import calendar
import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from households.forms import ServiceErrorsMixin, track_changes_since_rendering
from households.models import AssistanceMeasure, AssistancePlan, PlanSection
from wenxin.models import User
from wenxin.validators import validate_recorded_date, validate_work_date

# A new plan is reviewed after this many months unless the worker says otherwise.
REVIEW_MONTHS = 3

MUST_HINTS = {
    PlanSection.Must.BASIC: _("家庭成员、收入来源、享受的救助政策等"),
    PlanSection.Must.LIVING: _("住房、饮食、就医、生活自理等"),
    PlanSection.Must.MIND: _("情绪、顾虑、诉求"),
    PlanSection.Must.CONTACT: _("本人及家属、紧急联系人的电话"),
    PlanSection.Must.MEASURES: _("帮扶的总体思路；具体事项在下方逐条添加"),
}


def months_ahead(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or the month's last day when it is shorter (31 Jan + 1 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class PlanCreateForm(ServiceErrorsMixin, forms.Form):
    """Open a plan: only the review date is asked; the five musts are written on the edit page."""

    review_on = forms.DateField(label=_("下次复核日期"), widget=_date_input(), validators=[validate_work_date])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("review_on", months_ahead(timezone.localdate(), REVIEW_MONTHS))


class PlanEditForm(ServiceErrorsMixin, forms.Form):
    """The five musts and the review date on one screen; only what this user changed reaches the services."""

    review_on = forms.DateField(label=_("下次复核日期"), widget=_date_input(), validators=[validate_work_date])

    def __init__(self, *args, plan: AssistancePlan, **kwargs) -> None:
        sections = {section.must: section.text for section in plan.sections.all()}
        initial = {"review_on": plan.review_on, **{f"must_{must}": sections.get(must, "") for must in PlanSection.Must}}
        super().__init__(*args, initial=initial, **kwargs)
        for must in PlanSection.Must:
            self.fields[f"must_{must}"] = forms.CharField(
                label=must.label,
                required=False,
                max_length=5000,
                strip=True,
                help_text=MUST_HINTS[must],
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        # Ordered like the musts, the review date last.
        self.order_fields([*(f"must_{must}" for must in PlanSection.Must), "review_on"])
        track_changes_since_rendering(self)

    def must_fields(self) -> list[forms.BoundField]:
        return [self[f"must_{must}"] for must in PlanSection.Must]

    def changed_sections(self) -> dict[str, str]:
        """The texts this user changed, by must; an emptied text is not a change the service records."""
        return {
            name.removeprefix("must_"): self.cleaned_data[name]
            for name in self.changed_data
            if name.startswith("must_") and self.cleaned_data[name]
        }

    def cleared_sections(self) -> list[str]:
        return [
            str(PlanSection.Must(name.removeprefix("must_")).label)
            for name in self.changed_data
            if name.startswith("must_") and not self.cleaned_data[name]
        ]

    def changed_review_on(self) -> datetime.date | None:
        return self.cleaned_data["review_on"] if "review_on" in self.changed_data else None

    def conflict_values(self, stored: dict) -> dict:
        """The plan a conflict reports (households.services.plan_edit_values), by this form's field names."""
        sections = stored.get("sections") or {}
        return {
            **{f"must_{must}": sections.get(must, "") for must in PlanSection.Must},
            "review_on": stored.get("review_on"),
        }


class ResponsibleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name()


class MeasureForm(ServiceErrorsMixin, forms.Form):
    """An assistance measure: what, who answers for it, by when."""

    description = AssistanceMeasure._meta.get_field("description").formfield(
        widget=forms.TextInput(attrs={"placeholder": _("如：协助申请临时救助")})
    )
    responsible = ResponsibleChoiceField(label=_("责任人"), queryset=User.objects.none())
    due_on = forms.DateField(label=_("完成期限"), widget=_date_input(), validators=[validate_work_date])

    def __init__(self, *args, user: User, default_responsible: User | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = (
            User.objects.visible_to(user).filter(is_active=True).order_by("full_name", "username")
        )
        if default_responsible is not None:
            self.initial.setdefault("responsible", default_responsible.pk)
        self.initial.setdefault("due_on", months_ahead(timezone.localdate(), 1))


class MeasureStatusForm(ServiceErrorsMixin, forms.Form):
    """Move a measure along; "done" needs the day it was done (the service says so if it is missing).

    The buttons carry the plan's version (add_version_field), so a measure a colleague moved meanwhile is not
    moved again from an outdated page.
    """

    status = forms.ChoiceField(choices=AssistanceMeasure.Status.choices)
    done_on = forms.DateField(
        label=_("完成日期"), required=False, widget=_date_input(), validators=[validate_recorded_date]
    )
