"""Forms of the public online channel: a resident's opinion, and the tracking code to follow it with.

Nobody is logged in here, so every limit is checked on the server whatever the browser was told: the length of
each field, the community (any of the street's communities and cooperatives, nothing else), the phone's shape.
"""

from __future__ import annotations

import re
import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _

from feedback.models import OPINION_TEXT_MAX
from feedback.services import TRACKING_ALPHABET, TRACKING_LENGTH
from households.forms import ServiceErrorsMixin
from households.models import Community
from wenxin.validators import validate_phone

# Fewer characters than this say nothing a worker could act on ("路灯坏了" is four).
OPINION_TEXT_MIN = 4
# A code is eight characters; whatever is typed beyond this much is not read at all.
CODE_INPUT_MAX = 40
HONEYPOT_FIELD = "website"


class OpinionTextField(forms.CharField):
    """Line breaks count as one character, as the browser counted them against maxlength."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n") if value else value


class PhoneField(forms.CharField):
    """A phone as residents type it: "138 0000 0000" is the same number as 13800000000."""

    def to_python(self, value):
        return re.sub(r"\s+", "", super().to_python(value) or "")


def community_choices() -> list:
    """Every community and cooperative; grouped under its street's name when there is more than one street."""
    communities = list(Community.objects.select_related("street").order_by("street__name", "kind", "name", "pk"))
    empty = [("", _("请选择所在社区或股份经济合作社"))]
    streets = {c.street_id for c in communities}
    if len(streets) <= 1:
        return empty + [(str(c.pk), c.name) for c in communities]
    groups: dict[str, list[tuple[str, str]]] = {}
    for c in communities:
        groups.setdefault(c.street.name, []).append((str(c.pk), c.name))
    return empty + list(groups.items())


class PublicOpinionForm(ServiceErrorsMixin, forms.Form):
    """A resident's opinion; only the community and the text are required."""

    community = forms.ChoiceField(
        label=_("所在社区"),
        error_messages={
            "required": _("请选择您所在的社区或股份经济合作社。"),
            "invalid_choice": _("请从列表中选择社区或股份经济合作社。"),
        },
    )
    text = OpinionTextField(
        label=_("意见建议"),
        min_length=OPINION_TEXT_MIN,
        max_length=OPINION_TEXT_MAX,
        widget=forms.Textarea(
            attrs={"rows": 6, "placeholder": _("请写明遇到的问题或建议，例如：某小区某处路灯不亮。")}
        ),
        error_messages={
            "required": _("请写下您的意见建议。"),
            "min_length": _("请写得具体一些（至少 %(limit_value)d 个字）。"),
            "max_length": _("意见建议最多 %(limit_value)d 个字，您写了 %(show_value)d 个字，请精简后再提交。"),
        },
    )
    location = forms.CharField(
        label=_("具体位置"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("例如：香港城 3 幢楼下")}),
        error_messages={"max_length": _("具体位置最多 %(limit_value)d 个字。")},
    )
    raised_by = forms.CharField(
        label=_("您的称呼"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("选填。只有街道和社区工作人员能看到，查询进度时不会显示。"),
        error_messages={"max_length": _("称呼最多 %(limit_value)d 个字。")},
    )
    contact = PhoneField(
        label=_("联系电话"),
        required=False,
        max_length=20,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("选填。留下电话，工作人员可以向您了解情况、告知结果；查询进度时不会显示。"),
    )
    # A honeypot: hidden from people by a CSS class, skipped by the tab key; a bot fills every field it finds.
    website = forms.CharField(
        label=_("请勿填写此项（用于拦截垃圾信息）"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = community_choices()

    def is_bot(self) -> bool:
        """The hidden field was filled: no person sees it, so this was a program."""
        return bool(str(self.data.get(HONEYPOT_FIELD, "")).strip())

    def clean_community(self) -> Community:
        community = Community.objects.filter(pk=self.cleaned_data["community"]).first()
        if community is None:  # removed between showing the form and sending it
            raise forms.ValidationError(self.fields["community"].error_messages["invalid_choice"])
        return community

    def submit_data(self) -> dict:
        """The keyword arguments of services.opinion_submit_online."""
        return {name: self.cleaned_data[name] for name in ("community", "text", "location", "raised_by", "contact")}


def normalize_code(value: str) -> str:
    """A code as typed: full-width letters and digits folded, spaces and dashes dropped, upper case."""
    value = unicodedata.normalize("NFKC", (value or "")[:CODE_INPUT_MAX])
    return re.sub(r"[\s\-]+", "", value).upper()


def is_well_formed_code(code: str) -> bool:
    return len(code) == TRACKING_LENGTH and all(ch in TRACKING_ALPHABET for ch in code)


class CodeField(forms.CharField):
    """Any string at all: what is not a code is looked up and not found, never answered with its own message."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.validators = []  # not even the NUL-character check: "\x00" is an unknown code like any other


class TrackingForm(forms.Form):
    """The tracking code; any string is accepted here, an unknown one is answered like a missing one."""

    code = CodeField(
        label=_("查询码"),
        widget=forms.TextInput(
            attrs={
                "maxlength": CODE_INPUT_MAX,
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": _("8 位字母和数字"),
            }
        ),
        error_messages={"required": _("请输入查询码。")},
    )

    def clean_code(self) -> str:
        return normalize_code(self.cleaned_data["code"])
