"""The form of a listening meeting (四听取). Choices come from visible_to(user); feedback.services checks again."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout
from django import forms
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback.cadence import cadence_label
from feedback.models import Meeting, MeetingKind
from feedback.services import MEETING_FIELDS
from households.forms import ServiceErrorsMixin, track_changes_since_rendering
from households.models import Community
from wenxin.models import User
from wenxin.validators import validate_recorded_date

# More people than this at one meeting is a typing slip (an extra zero), not a forum.
MAX_ATTENDEES = 10000


def _from_model(name: str, **kwargs) -> forms.Field:
    """The form field with the model's label and length, so they are written once."""
    return Meeting._meta.get_field(name).formfield(**kwargs)


def _count_field(name: str) -> forms.IntegerField:
    """A head count: a whole number from 0, typed on a phone's number pad; empty means nobody of that group."""
    return forms.IntegerField(
        label=Meeting._meta.get_field(name).verbose_name,
        required=False,
        min_value=0,
        max_value=MAX_ATTENDEES,
        error_messages={
            "invalid": _("请填写整数人数。"),
            "min_value": _("人数不能为负数。"),
            "max_value": _("人数不能超过 %(limit_value)s，请核对。"),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "form-control-lg", "placeholder": "0"}),
    )


class KindChoiceField(forms.ModelChoiceField):
    """A kind of meeting named with its cadence, so the recorder knows which forum is the required one."""

    def label_from_instance(self, obj: MeetingKind) -> str:
        if obj.cadence_months is None:
            return obj.name
        return _("%(name)s（%(cadence)s）") % {"name": obj.name, "cadence": cadence_label(obj.cadence_months)}


class MeetingForm(ServiceErrorsMixin, forms.Form):
    """One meeting on one screen: what, where and when, who came (counted by group), and the minutes.

    Community staff record their own community's meetings: the community is chosen for them and only the kinds
    a community holds are offered. Street staff choose any kind, and a community for a community-held one.
    """

    kind = KindChoiceField(
        label=_("会议类型"),
        queryset=MeetingKind.objects.none(),
        empty_label=_("请选择"),
        error_messages={"invalid_choice": _("请选择列表中的会议类型；街道层面的会议由街道工作人员记录。")},
    )
    community = forms.ModelChoiceField(
        label=_("村社"),
        queryset=Community.objects.none(),
        required=False,
        empty_label=_("不选（街道层面的会议）"),
        error_messages={"invalid_choice": _("该村社不在您的管辖范围内。")},
    )
    held_on = forms.DateField(
        label=_("召开日期"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        validators=[validate_recorded_date],
    )
    place = _from_model("place", widget=forms.TextInput(attrs={"placeholder": _("如：社区二楼会议室")}))
    host_unit = _from_model("host_unit", required=False, help_text=_("留空则按村社名称或该类会议的主办方填写。"))
    topic = _from_model("topic", widget=forms.TextInput(attrs={"placeholder": _("如：老旧小区加装电梯")}))
    deputies = _count_field("deputies")
    cppcc_members = _count_field("cppcc_members")
    party_members = _count_field("party_members")
    retired_employees = _count_field("retired_employees")
    united_front = _count_field("united_front")
    residents = _count_field("residents")
    minutes = _from_model(
        "minutes", widget=forms.Textarea(attrs={"rows": 5, "placeholder": _("会议议程、主要发言和议定事项")})
    )

    def __init__(self, *args, user: User, meeting: Meeting | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        street_wide = user.sees_whole_street or user.sees_everything
        kinds = MeetingKind.objects.visible_to(user).filter(is_active=True)
        if not street_wide:
            kinds = kinds.filter(held_by=MeetingKind.HeldBy.COMMUNITY)
        if meeting is not None:
            kinds = kinds | MeetingKind.objects.filter(pk=meeting.kind_id)  # a kind since retired stays chosen
        self.fields["kind"].queryset = kinds.order_by("sort_order", "name")
        communities = Community.objects.visible_to(user).order_by("kind", "name")
        self.fields["community"].queryset = communities
        if not street_wide:
            # Her own community, chosen for her: no "street" option to pick by mistake.
            self.fields["community"].empty_label = None
            self.fields["community"].required = True
            self.fields["kind"].empty_label = None
        if meeting is not None:
            # Editing: save only what this user changed, so a colleague's concurrent correction is kept.
            track_changes_since_rendering(self)
        elif not self.is_bound:
            self.initial.setdefault("held_on", timezone.localdate())
            if not street_wide and user.community_id:
                self.initial.setdefault("community", user.community_id)
                self.initial.setdefault("host_unit", user.community.name if user.community else "")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Fieldset(_("会议"), "kind", "community", "held_on", "place", "host_unit", "topic"),
            Fieldset(
                _("参会人员（人数）"),
                Div(*(Div(name, css_class="col-6 col-md-4") for name in Meeting.ATTENDEE_FIELDS), css_class="row g-2"),
            ),
            Fieldset(_("会议纪要"), "minutes"),
        )

    @classmethod
    def initial_for(cls, meeting: Meeting) -> dict:
        return model_to_dict(meeting, fields=MEETING_FIELDS)

    def clean(self) -> dict:
        cleaned = super().clean()
        for name in Meeting.ATTENDEE_FIELDS:
            if name in cleaned and cleaned[name] is None:
                cleaned[name] = 0
        kind, community = cleaned.get("kind"), cleaned.get("community")
        if "host_unit" in cleaned and not cleaned["host_unit"].strip() and kind is not None:
            # The host is usually the community itself, or the kind's host (街道党工委、办事处; 人大、政协).
            cleaned["host_unit"] = community.name if community is not None else kind.host
            if not cleaned["host_unit"]:
                self.add_error("host_unit", _("请填写主办单位。"))
        return cleaned

    def meeting_data(self) -> dict:
        """Every field, for a new meeting."""
        return {name: self.cleaned_data[name] for name in MEETING_FIELDS}

    def changed_meeting_data(self) -> dict:
        """Only what the user changed, for a correction."""
        return {name: self.cleaned_data[name] for name in self.changed_data if name in MEETING_FIELDS}
