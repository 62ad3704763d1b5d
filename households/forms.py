"""Forms of the household registry. Every choice field is filled from visible_to(user)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from households.models import Community, Estate, GridArea, HouseholdCategory
from households.selectors import HouseholdFilters
from wenxin.models import User


class HouseholdFilterForm(forms.Form):
    """The search box and filters of the household list; the export reads the same form."""

    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": _("姓名、电话、地址或身份证号后几位"), "type": "search"}),
    )
    community = forms.ModelChoiceField(label=_("村社"), queryset=Community.objects.none(), required=False)
    estate = forms.ModelChoiceField(label=_("小区"), queryset=Estate.objects.none(), required=False)
    grid_area = forms.ModelChoiceField(label=_("网格"), queryset=GridArea.objects.none(), required=False)
    category = forms.ModelChoiceField(label=_("户类别"), queryset=HouseholdCategory.objects.none(), required=False)
    key_only = forms.BooleanField(label=_("只看重点户"), required=False)
    include_moved_out = forms.BooleanField(label=_("包括已迁出"), required=False)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = Community.objects.visible_to(user)
        self.fields["estate"].queryset = Estate.objects.visible_to(user).select_related("community")
        self.fields["grid_area"].queryset = GridArea.objects.visible_to(user)
        self.fields["category"].queryset = HouseholdCategory.objects.visible_to(user)

    def filters(self) -> HouseholdFilters:
        """The filters typed; an invalid value (say another area's id) is dropped, never an error page."""
        data = (
            self.cleaned_data
            if self.is_valid()
            else {name: value for name, value in getattr(self, "cleaned_data", {}).items() if name not in self.errors}
        )
        return HouseholdFilters(
            q=data.get("q") or "",
            community=data.get("community"),
            estate=data.get("estate"),
            grid_area=data.get("grid_area"),
            category=data.get("category"),
            key_only=bool(data.get("key_only")),
            include_moved_out=bool(data.get("include_moved_out")),
        )
