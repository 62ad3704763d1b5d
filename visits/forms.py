"""Forms of the visit diary. Every choice is filled from visible_to(user); visits.services checks scope again."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django import forms
from django.db import models
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from households.forms import ServiceErrorsMixin, track_changes_since_rendering
from households.models import (
    Community,
    Enterprise,
    Estate,
    Household,
    OwnersCommittee,
    PairedVillage,
    PropertyCompany,
)
from visits.models import Visit
from visits.periods import Quarter
from visits.services import DIARY_FIELDS
from wenxin.form_fields import ModelMultipleChoiceField
from wenxin.models import User
from wenxin.validators import validate_recorded_date, validate_work_date

Kind = Visit.Kind

# Everyone on the street's staff may visit households and the places of a community; paired villages and
# leadership visits to a community are the street's business (DOMAIN.md: 进社入企, 联村结对).
EVERYONE_KINDS = (
    Kind.DOOR_TO_DOOR,
    Kind.CARING,
    Kind.ESTATE,
    Kind.OWNERS_COMMITTEE,
    Kind.PROPERTY_COMPANY,
    Kind.ENTERPRISE,
)
STREET_KINDS = (Kind.PAIRED_VILLAGE, Kind.LEADERSHIP)

# The fields a visit's form edits, in the order the audit record lists them.
VISIT_FIELDS = ("visited_on", "kind", *Visit.TARGET_FIELDS, *DIARY_FIELDS)


def kinds_for(user: User) -> list[str]:
    """The kinds of visit a user is offered, the household visits first."""
    kinds = list(EVERYONE_KINDS)
    if user.sees_whole_street or user.sees_everything:
        kinds += STREET_KINDS
    return kinds


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _textarea(rows: int = 2, placeholder: str = "") -> forms.Textarea:
    attrs = {"rows": rows}
    if placeholder:
        attrs["placeholder"] = placeholder
    return forms.Textarea(attrs=attrs)


def _from_model(name: str, **kwargs) -> forms.Field:
    """The form field with the model's label and length, so they are written once."""
    return Visit._meta.get_field(name).formfield(**kwargs)


class PlaceChoiceField(forms.ModelChoiceField):
    """A place to visit; for an estate or an owners' committee the community says which one is meant."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("empty_label", _("请选择"))
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: models.Model) -> str:
        community = getattr(obj, "community", None) or getattr(getattr(obj, "estate", None), "community", None)
        if community is not None:
            return _("%(name)s（%(community)s）") % {"name": obj, "community": community.name}
        return str(obj)


class ColleagueChoiceField(ModelMultipleChoiceField):
    """Colleagues who came along, named with their role and where they work."""

    def label_from_instance(self, obj: User) -> str:
        place = obj.community or obj.department
        role = obj.get_role_display()
        return f"{obj.get_full_name()}（{role} · {place}）" if place else f"{obj.get_full_name()}（{role}）"


# The registry behind each target field other than the household, and how to fetch it for the select.
PLACE_TARGETS = {
    "estate": (Estate, ("community",)),
    "owners_committee": (OwnersCommittee, ("estate__community",)),
    "property_company": (PropertyCompany, ()),
    "enterprise": (Enterprise, ("community",)),
    "paired_village": (PairedVillage, ()),
    "target_community": (Community, ()),
}


@dataclass(frozen=True)
class TargetSection:
    """One target field of the form and the kinds of visit it is for (the page shows it only for those)."""

    kinds: str
    field: forms.BoundField


class VisitForm(ServiceErrorsMixin, forms.Form):
    """One visit on one screen: when, what kind, to whom or what, who came along, and the diary itself.

    The target fields are all there; only the one the chosen kind needs is used (see clean()), so a stale
    choice left in a field the page has hidden never blocks the save.
    """

    visited_on = forms.DateField(label=_("走访日期"), widget=_date_input(), validators=[validate_recorded_date])
    kind = forms.ChoiceField(label=_("走访类型"), choices=Kind.choices)
    household = forms.ModelChoiceField(
        label=_("走访的户"),
        queryset=Household.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("所选的户不存在，或不在您的管辖范围内。")},
    )
    estate = PlaceChoiceField(label=_("小区"), queryset=Estate.objects.none(), required=False)
    owners_committee = PlaceChoiceField(label=_("业委会"), queryset=OwnersCommittee.objects.none(), required=False)
    property_company = PlaceChoiceField(label=_("物业公司"), queryset=PropertyCompany.objects.none(), required=False)
    enterprise = PlaceChoiceField(label=_("辖区企业"), queryset=Enterprise.objects.none(), required=False)
    paired_village = PlaceChoiceField(label=_("联村结对村"), queryset=PairedVillage.objects.none(), required=False)
    target_community = PlaceChoiceField(label=_("走访村社"), queryset=Community.objects.none(), required=False)
    companions = ColleagueChoiceField(
        label=_("同行人员"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("同行的社工也计入各自的走访户数。"),
    )
    met_whom = _from_model("met_whom", widget=forms.TextInput(attrs={"placeholder": _("如：户主王大伯及老伴")}))
    situation = _from_model("situation", widget=_textarea(3, _("家里的情况、看到和听到的")))
    living_conditions = _from_model("living_conditions", widget=_textarea())
    state_of_mind = _from_model("state_of_mind", widget=_textarea())
    difficulty = _from_model("difficulty", widget=_textarea(2, _("居民提出的困难、意见或建议")))
    action_taken = _from_model("action_taken", widget=_textarea(2, _("当场解答、转交、上报等")))
    follow_up_needed = _from_model("follow_up_needed")
    follow_up_by = _from_model("follow_up_by", widget=_date_input(), validators=[validate_work_date])
    update_plan = forms.BooleanField(
        label=_("同时更新一户一策的生活状况和思想动态"),
        required=False,
        help_text=_("把上面填写的生活状况、思想动态记入这户的一户一策。"),
    )

    # The less-used diary fields fold away under "more"; the fold opens when they hold anything.
    more_fields = ("living_conditions", "state_of_mind")

    def __init__(self, *args, user: User, visit: Visit | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.visit = visit
        kinds = kinds_for(user)
        if visit is not None and visit.kind not in kinds:
            kinds.append(visit.kind)  # a visit someone else logged keeps its kind
        self.fields["kind"].choices = [(kind, Kind(kind).label) for kind in kinds]
        self.fields["kind"].widget.attrs["data-wx-kind"] = ""
        wanted = {Visit.TARGET_FIELD[kind] for kind in kinds}
        for name in Visit.TARGET_FIELDS:
            if name not in wanted:
                del self.fields[name]
        self.fields["household"].queryset = Household.objects.visible_to(user)
        for name, (model, related) in PLACE_TARGETS.items():
            if name in self.fields:
                self.fields[name].queryset = model.objects.visible_to(user).select_related(*related)
        author = visit.visitor if visit is not None else user
        self.fields["companions"].queryset = (
            User.objects.visible_to(user)
            .filter(is_active=True)
            .exclude(pk=author.pk)
            .select_related("community", "department")
            .order_by("community__name", "department__name", "full_name", "username")
        )
        if visit is not None:
            del self.fields["update_plan"]  # a plan is updated when the visit is logged, not when it is corrected
            # Editing: save only what this user changed, so a colleague's concurrent edit is kept.
            track_changes_since_rendering(self)
        elif not self.is_bound:
            self.initial.setdefault("visited_on", timezone.localdate())
            self.initial.setdefault("kind", Kind.DOOR_TO_DOOR)

    @classmethod
    def initial_for(cls, visit: Visit) -> dict:
        return model_to_dict(visit, fields=[*VISIT_FIELDS, "companions"])

    def clean(self) -> dict:
        cleaned = super().clean()
        wanted = Visit.TARGET_FIELD.get(cleaned.get("kind"))
        for name in Visit.TARGET_FIELDS:
            if name != wanted and name in cleaned:
                cleaned[name] = None
        return cleaned

    # --- what the template shows --------------------------------------------------------------------------

    def target_sections(self) -> list[TargetSection]:
        """The place selects (not the household, which has its own search), each with the kinds it serves."""
        kinds = [value for value, _label in self.fields["kind"].choices]
        return [
            TargetSection(
                kinds=" ".join(k for k in kinds if Visit.TARGET_FIELD[k] == name),
                field=self[name],
            )
            for name in Visit.TARGET_FIELDS
            if name in self.fields and name != "household"
        ]

    def household_kinds(self) -> str:
        kinds = [value for value, _label in self.fields["kind"].choices]
        return " ".join(k for k in kinds if Visit.TARGET_FIELD[k] == "household")

    def chosen_kind(self) -> str:
        return str(self["kind"].value() or "")

    def chosen_household_pk(self) -> int | None:
        """The household this form holds (typed, or preselected), if it is a number at all."""
        value = self["household"].value()
        try:
            return int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None

    def more_open(self) -> bool:
        return any(self[name].value() or self[name].errors for name in self.more_fields)

    def companions_open(self) -> bool:
        return bool(self["companions"].value()) or bool(self["companions"].errors)

    def manual_hidden_initials(self) -> SafeString:
        """The shown values of the fields the template draws by hand (crispy leaves these out)."""
        if self.visit is None:
            return mark_safe("")
        # Each part is an <input type="hidden"> Django rendered and escaped.
        return mark_safe("".join(self[name].as_hidden(only_initial=True) for name in ("household", "companions")))

    # --- what the services get ------------------------------------------------------------------------------

    def create_data(self) -> dict:
        """visited_on, kind, companions, the diary fields, the one target the kind needs, and update_plan if ticked."""
        data = {name: self.cleaned_data[name] for name in ("visited_on", "kind", "companions", *DIARY_FIELDS)}
        wanted = Visit.TARGET_FIELD[self.cleaned_data["kind"]]
        if self.cleaned_data.get(wanted):
            data[wanted] = self.cleaned_data[wanted]
        if wanted == "household" and self.cleaned_data.get("update_plan"):
            data["update_plan"] = True
        return data

    def changed_visit_data(self) -> tuple[dict, list[User] | None]:
        """Only what the user changed, plus clearing a stored target the new kind does not use."""
        visit = self.visit
        data = {name: self.cleaned_data[name] for name in self.changed_data if name in VISIT_FIELDS}
        wanted = Visit.TARGET_FIELD[self.cleaned_data["kind"]]
        for name in Visit.TARGET_FIELDS:
            if name == wanted:
                continue
            if getattr(visit, f"{name}_id"):
                data[name] = None
            else:
                data.pop(name, None)
        companions = list(self.cleaned_data["companions"]) if "companions" in self.changed_data else None
        return data, companions


# --- the diary's periods ------------------------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True)
class DiaryPeriod:
    """A month or a quarter of the diary, with its neighbours, as the query string names them."""

    by: str  # "month" or "quarter"
    slug: str
    start: datetime.date
    end: datetime.date
    label: str
    previous: str
    next: str

    @property
    def quarter(self) -> Quarter:
        return Quarter.containing(self.start)

    @property
    def is_current_or_later(self) -> bool:
        """No later period to turn to: visits are never in the future."""
        return self.end >= timezone.localdate()

    @property
    def month_slug(self) -> str:
        """The month to switch to from a quarter: this month if the quarter holds it, else its first."""
        today = timezone.localdate()
        return _month_slug(today if self.start <= today <= self.end else self.start)


def _month_slug(day: datetime.date) -> str:
    return f"{day.year}-{day.month:02d}"


def _month_period(first: datetime.date) -> DiaryPeriod:
    next_first = (first + datetime.timedelta(days=32)).replace(day=1)
    previous_first = (first - datetime.timedelta(days=1)).replace(day=1)
    return DiaryPeriod(
        by="month",
        slug=_month_slug(first),
        start=first,
        end=next_first - datetime.timedelta(days=1),
        label=_("%(year)s年%(month)s月") % {"year": first.year, "month": first.month},
        previous=_month_slug(previous_first),
        next=_month_slug(next_first),
    )


def _quarter_period(quarter: Quarter) -> DiaryPeriod:
    return DiaryPeriod(
        by="quarter",
        slug=quarter.slug,
        start=quarter.start,
        end=quarter.end,
        label=str(quarter),
        previous=quarter.previous().slug,
        next=quarter.next().slug,
    )


def diary_period(params, today: datetime.date | None = None) -> DiaryPeriod:
    """?quarter=2026Q4 or ?month=2026-11; this month when neither is given or it cannot be read."""
    today = today or timezone.localdate()
    quarter = Quarter.parse(params.get("quarter"))
    if quarter is not None:
        return _quarter_period(quarter)
    match = _MONTH.match((params.get("month") or "").strip())
    if match and 2000 <= int(match.group(1)) <= 2100 and 1 <= int(match.group(2)) <= 12:
        return _month_period(datetime.date(int(match.group(1)), int(match.group(2)), 1))
    return _month_period(today.replace(day=1))
