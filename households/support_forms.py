"""Forms of pairing, hardship subsidies and innovation initiatives. Choice fields are filled from visible_to(user)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from households.forms import ServiceErrorsMixin
from households.models import AssistancePair, Initiative, Subsidy
from wenxin.models import User
from wenxin.validators import validate_recorded_date, validate_work_date

# A single payment above this is a typo (an extra zero) far more often than a real subsidy.
MAX_SUBSIDY_AMOUNT = Decimal("1000000.00")


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _helper() -> FormHelper:
    """Fields only: the template writes the <form> tag, the CSRF token and the buttons."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        place = obj.community.name if obj.community_id else (obj.department.name if obj.department_id else "")
        return f"{obj.get_full_name()}（{place}）" if place else obj.get_full_name()


class PairForm(ServiceErrorsMixin, forms.Form):
    """Pair a member of staff with a household (帮扶结对), from a date, optionally to a date."""

    staff = StaffChoiceField(label=_("结对人"), queryset=User.objects.none())
    starts_on = forms.DateField(label=_("开始日期"), widget=_date_input(), validators=[validate_work_date])
    ends_on = forms.DateField(
        label=_("结束日期"),
        required=False,
        widget=_date_input(),
        help_text=_("长期结对可不填。"),
        validators=[validate_work_date],
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = (
            User.objects.visible_to(user)
            .filter(is_active=True)
            .select_related("community", "department")
            .order_by("community__name", "full_name", "username")
        )
        if not self.is_bound:
            self.initial.setdefault("starts_on", timezone.localdate())
            if self.fields["staff"].queryset.filter(pk=user.pk).exists():
                self.initial.setdefault("staff", user.pk)
        self.helper = _helper()

    def clean(self) -> dict:
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("结束日期不能早于开始日期。"))
        return data


class PairEndForm(ServiceErrorsMixin, forms.Form):
    """The day a pairing ends."""

    ends_on = forms.DateField(label=_("结束日期"), widget=_date_input(), validators=[validate_work_date])

    def __init__(self, *args, pair: AssistancePair, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pair = pair
        if not self.is_bound:
            self.initial.setdefault("ends_on", timezone.localdate())
        self.helper = _helper()

    def clean_ends_on(self):
        ends_on = self.cleaned_data["ends_on"]
        if ends_on < self.pair.starts_on:
            raise ValidationError(
                _("结束日期不能早于开始日期（%(date)s）。") % {"date": self.pair.starts_on.isoformat()}
            )
        return ends_on


class AmountField(forms.CharField):
    """An amount in yuan, exact to the fen, as a Decimal; a clear message for every way it can be wrong.

    A CharField rather than DecimalField: its messages name the problem in the resident's terms, and what was
    typed is shown back unchanged when it is refused.
    """

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "1200.00"})
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        if len(text) > 30:
            raise ValidationError(_("请输入数字金额，例如 1200 或 1200.50。"), code="invalid")
        cleaned = text.replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").replace("元", "").strip()
        try:
            amount = Decimal(cleaned)
        except InvalidOperation:
            raise ValidationError(_("请输入数字金额，例如 1200 或 1200.50。"), code="invalid") from None
        if not amount.is_finite():
            raise ValidationError(_("请输入数字金额，例如 1200 或 1200.50。"), code="invalid")
        if amount <= 0:
            raise ValidationError(_("补助金额必须大于零。"), code="not_positive")
        # Before rounding: 1e999999999 has more digits than a Decimal can round to the fen (InvalidOperation).
        if amount > MAX_SUBSIDY_AMOUNT:
            raise ValidationError(_("单笔补助不能超过 1,000,000 元，请核对金额。"), code="too_large")
        if amount != amount.quantize(Decimal("0.01")):
            raise ValidationError(_("金额最多精确到分（两位小数）。"), code="fen")
        return amount.quantize(Decimal("0.01"))


def _from_subsidy(name: str, **kwargs) -> forms.Field:
    return Subsidy._meta.get_field(name).formfield(**kwargs)


class SubsidyForm(ServiceErrorsMixin, forms.Form):
    """A hardship subsidy (困难补助) paid to a household."""

    kind = forms.ChoiceField(label=_("补助类型"), choices=[("", "---------"), *Subsidy.Kind.choices])
    amount = AmountField(label=_("金额（元）"))
    paid_on = forms.DateField(label=_("发放日期"), widget=_date_input(), validators=[validate_recorded_date])
    source = _from_subsidy("source", widget=forms.TextInput(attrs={"placeholder": _("如 街道财政、区民政局")}))
    approved_by = _from_subsidy("approved_by")
    note = _from_subsidy("note", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("paid_on", timezone.localdate())
        self.helper = _helper()

    def clean_paid_on(self):
        paid_on = self.cleaned_data["paid_on"]
        if paid_on > timezone.localdate():
            raise ValidationError(_("发放日期不能晚于今天。"))
        return paid_on


class InitiativeForm(ServiceErrorsMixin, forms.Form):
    """A social worker's innovation initiative (创新载体)."""

    title = forms.CharField(label=_("名称"), max_length=100)
    description = forms.CharField(label=_("简介"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5}))
    status = forms.ChoiceField(label=_("状态"), choices=Initiative.Status.choices, initial=Initiative.Status.PLANNING)
    started_on = forms.DateField(
        label=_("开始日期"), required=False, widget=_date_input(), validators=[validate_work_date]
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()
