"""The place hierarchy and the household registry.

street → community or cooperative → estate and grid area → household → residents. A grid area (网格) is the
part of a community one social worker answers for; it may cover one estate, part of a large one, or several
small ones, so a household names both its estate (its address) and its grid area (who walks to it), and the
two must lie in the same community. Owners' committees, property companies, enterprises and paired villages
are registry entries beside the hierarchy.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from wenxin.scoping import NOTHING, scope_q
from wenxin.validators import mask_id_number, validate_id_number, validate_phone


class StreetQuerySet(models.QuerySet):
    def visible_to(self, user) -> StreetQuerySet:
        return self.filter(scope_q(user, street="pk"))


class Street(models.Model):
    """A street (sub-district) office: the government unit that uses the system."""

    name = models.CharField(_("名称"), max_length=50, unique=True)
    district = models.CharField(_("所属区县"), max_length=50, blank=True)
    city = models.CharField(_("所属城市"), max_length=50, blank=True)

    objects = StreetQuerySet.as_manager()

    class Meta:
        verbose_name = _("街道")
        verbose_name_plural = _("街道")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CommunityQuerySet(models.QuerySet):
    def visible_to(self, user) -> CommunityQuerySet:
        return self.filter(scope_q(user, street="street", community="pk"))


class Community(models.Model):
    """A community (社区) or a shareholding economic cooperative (股份经济合作社): together, the 村社."""

    class Kind(models.TextChoices):
        COMMUNITY = "community", _("社区")
        COOPERATIVE = "cooperative", _("股份经济合作社")

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="communities", verbose_name=_("街道"))
    name = models.CharField(_("名称"), max_length=50)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.COMMUNITY)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, validators=[validate_phone])

    objects = CommunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("村社")
        verbose_name_plural = _("村社")
        ordering = ["street", "kind", "name"]
        constraints = [models.UniqueConstraint(fields=["street", "name"], name="community_unique_name")]

    def __str__(self) -> str:
        return self.name


class PropertyCompanyQuerySet(models.QuerySet):
    def visible_to(self, user) -> PropertyCompanyQuerySet:
        return self.filter(scope_q(user, street="street"))


class PropertyCompany(models.Model):
    """A property-management company (物业) serving one or more estates of the street."""

    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, related_name="property_companies", verbose_name=_("街道")
    )
    name = models.CharField(_("名称"), max_length=100)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, validators=[validate_phone])

    objects = PropertyCompanyQuerySet.as_manager()

    class Meta:
        verbose_name = _("物业公司")
        verbose_name_plural = _("物业公司")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["street", "name"], name="property_company_unique_name")]

    def __str__(self) -> str:
        return self.name


class EstateQuerySet(models.QuerySet):
    def visible_to(self, user) -> EstateQuerySet:
        return self.filter(scope_q(user, street="community__street", community="community"))


class Estate(models.Model):
    """A residential estate (小区) inside a community; for a cooperative, a village settlement."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="estates", verbose_name=_("村社"))
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    property_company = models.ForeignKey(
        PropertyCompany,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="estates",
        verbose_name=_("物业公司"),
    )

    objects = EstateQuerySet.as_manager()

    class Meta:
        verbose_name = _("小区")
        verbose_name_plural = _("小区")
        ordering = ["community", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="estate_unique_name")]

    def __str__(self) -> str:
        return self.name


class OwnersCommitteeQuerySet(models.QuerySet):
    def visible_to(self, user) -> OwnersCommitteeQuerySet:
        return self.filter(scope_q(user, street="estate__community__street", community="estate__community"))


class OwnersCommittee(models.Model):
    """The owners' committee (业委会) of an estate."""

    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="owners_committees", verbose_name=_("小区")
    )
    name = models.CharField(_("名称"), max_length=100)
    chair_name = models.CharField(_("主任"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, validators=[validate_phone])
    term_ends_on = models.DateField(_("任期届满"), null=True, blank=True)

    objects = OwnersCommitteeQuerySet.as_manager()

    class Meta:
        verbose_name = _("业委会")
        verbose_name_plural = _("业委会")
        ordering = ["estate", "name"]

    def __str__(self) -> str:
        return self.name


class GridAreaQuerySet(models.QuerySet):
    def visible_to(self, user) -> GridAreaQuerySet:
        return self.filter(scope_q(user, street="community__street", community="community", grid_area="pk"))


class GridArea(models.Model):
    """A responsibility (grid) area (责任区域/网格): the households one social worker answers for."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="grid_areas", verbose_name=_("村社")
    )
    name = models.CharField(_("名称"), max_length=50)
    workers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="grid_areas",
        verbose_name=_("责任社工"),
        limit_choices_to={"role": "social_worker"},
    )

    objects = GridAreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        ordering = ["community", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="grid_area_unique_name")]

    def __str__(self) -> str:
        return self.name


class EnterpriseQuerySet(models.QuerySet):
    def visible_to(self, user) -> EnterpriseQuerySet:
        return self.filter(scope_q(user, street="street", community="community"))


class Enterprise(models.Model):
    """An enterprise in the jurisdiction (辖区企业), visited by leaders and departments."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="enterprises", verbose_name=_("街道"))
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enterprises",
        verbose_name=_("村社"),
    )
    name = models.CharField(_("名称"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    industry = models.CharField(_("行业"), max_length=50, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, validators=[validate_phone])
    is_active = models.BooleanField(_("在营"), default=True)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = _("辖区企业")
        verbose_name_plural = _("辖区企业")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["street", "name"], name="enterprise_unique_name")]

    def __str__(self) -> str:
        return self.name


class PairedVillageQuerySet(models.QuerySet):
    def visible_to(self, user) -> PairedVillageQuerySet:
        return self.filter(scope_q(user, street="street"))


class PairedVillage(models.Model):
    """A rural village outside the street that it supports (联村结对村)."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="paired_villages", verbose_name=_("街道"))
    name = models.CharField(_("名称"), max_length=100)
    location = models.CharField(_("所在地"), max_length=100, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, validators=[validate_phone])

    objects = PairedVillageQuerySet.as_manager()

    class Meta:
        verbose_name = _("联村结对村")
        verbose_name_plural = _("联村结对村")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["street", "name"], name="paired_village_unique_name")]

    def __str__(self) -> str:
        return self.name


class HouseholdCategoryQuerySet(models.QuerySet):
    def visible_to(self, user) -> HouseholdCategoryQuerySet:
        # Categories are shared vocabulary: every signed-in member of staff reads them.
        return self if user.is_authenticated and user.is_active else self.none()


class HouseholdCategory(models.Model):
    """A kind of household (低保户, 重点优抚对象 ...); key categories call for one household, one plan."""

    name = models.CharField(_("名称"), max_length=50, unique=True)
    is_key = models.BooleanField(_("重点户"), default=False, help_text=_("重点户需要建立一户一策。"))
    description = models.CharField(_("说明"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    objects = HouseholdCategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("户类别")
        verbose_name_plural = _("户类别")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


def in_key_category() -> Exists:
    """Whether a household is in a key category, asked of each household through the categories' index.

    A join with the categories (and DISTINCT) read every household's categories of the whole city, 720 ms at
    2,000,000 households, to keep a street's 3,000 (docs/performance.md).
    """
    through = Household.categories.through
    return Exists(through.objects.filter(household=OuterRef("pk"), householdcategory__is_key=True))


class HouseholdQuerySet(models.QuerySet):
    def visible_to(self, user) -> HouseholdQuerySet:
        return self.filter(
            scope_q(
                user,
                street="grid_area__community__street",
                community="grid_area__community",
                grid_area="grid_area",
            )
        )

    def editable_by(self, user) -> HouseholdQuerySet:
        if not (user.is_authenticated and user.can_edit_registry):
            return self.none()
        return self.visible_to(user)

    def active(self) -> HouseholdQuerySet:
        return self.filter(status=Household.Status.ACTIVE)

    def key(self) -> HouseholdQuerySet:
        """Households in a key category (低保户 …), which call for one household, one plan."""
        return self.filter(in_key_category())

    def with_head_name(self) -> HouseholdQuerySet:
        """Annotate head_name, the name of the head of household, in the same query."""
        # order_by(): a household has one head at most (a constraint), and Resident's default ordering would join
        # the household and its estate again inside the subquery, once per row.
        head = Resident.objects.filter(household=OuterRef("pk"), relation=Resident.Relation.HEAD).order_by()
        return self.annotate(head_name=Subquery(head.values("name")[:1]))


class Household(models.Model):
    """A household (户): an address in an estate, the residents living there, and its categories."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("在册")
        MOVED_OUT = "moved_out", _("已迁出")

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="households", verbose_name=_("小区"))
    grid_area = models.ForeignKey(GridArea, on_delete=models.PROTECT, related_name="households", verbose_name=_("网格"))
    building = models.CharField(_("楼幢"), max_length=20)
    unit = models.CharField(_("单元"), max_length=10, blank=True)
    room = models.CharField(_("室号"), max_length=20)
    phone = models.CharField(_("家庭电话"), max_length=20, blank=True, validators=[validate_phone])
    categories = models.ManyToManyField(
        HouseholdCategory, blank=True, related_name="households", verbose_name=_("户类别")
    )
    note = models.TextField(_("备注"), blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    moved_out_on = models.DateField(_("迁出日期"), null=True, blank=True)
    moved_out_reason = models.CharField(_("迁出原因"), max_length=200, blank=True)
    # Raised by one with every change (households.services): an edit page opened at an older version is refused
    # instead of overwriting a colleague's save (wenxin.concurrency).
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(_("建档时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        ordering = ["estate__name", "building", "unit", "room"]
        constraints = [
            models.UniqueConstraint(
                fields=["estate", "building", "unit", "room"],
                condition=Q(status="active"),
                name="household_unique_active_address",
                violation_error_message=_("该地址已有在册户。"),
            )
        ]
        indexes = [models.Index(fields=["grid_area", "status"], name="household_grid_status_idx")]

    def __str__(self) -> str:
        return self.address

    @property
    def address(self) -> str:
        """Estate, building, unit and room, written the way a Hangzhou address is read."""
        if self.unit:
            place = _("%(building)s幢%(unit)s单元%(room)s室") % {
                "building": self.building,
                "unit": self.unit,
                "room": self.room,
            }
        else:
            place = _("%(building)s幢%(room)s室") % {"building": self.building, "room": self.room}
        return f"{self.estate.name} {place}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def clean(self) -> None:
        super().clean()
        if self.estate_id and self.grid_area_id and self.estate.community_id != self.grid_area.community_id:
            raise ValidationError({"grid_area": _("网格与小区不在同一个村社。")})


class ResidentQuerySet(models.QuerySet):
    def visible_to(self, user) -> ResidentQuerySet:
        return self.filter(
            scope_q(
                user,
                street="household__grid_area__community__street",
                community="household__grid_area__community",
                grid_area="household__grid_area",
            )
        )


class Resident(models.Model):
    """A resident (居民) of a household; the ID number and disability are sensitive and masked by default."""

    class Relation(models.TextChoices):
        HEAD = "head", _("户主")
        SPOUSE = "spouse", _("配偶")
        CHILD = "child", _("子女")
        PARENT = "parent", _("父母")
        GRANDCHILD = "grandchild", _("孙子女")
        SIBLING = "sibling", _("兄弟姐妹")
        OTHER = "other", _("其他")

    class Gender(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    class Disability(models.TextChoices):
        NONE = "", _("无")
        VISUAL = "visual", _("视力残疾")
        HEARING = "hearing", _("听力残疾")
        SPEECH = "speech", _("言语残疾")
        PHYSICAL = "physical", _("肢体残疾")
        INTELLECTUAL = "intellectual", _("智力残疾")
        MENTAL = "mental", _("精神残疾")
        MULTIPLE = "multiple", _("多重残疾")

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="residents", verbose_name=_("户"))
    name = models.CharField(_("姓名"), max_length=50)
    relation = models.CharField(_("与户主关系"), max_length=20, choices=Relation.choices, default=Relation.HEAD)
    id_number = models.CharField(_("身份证号码"), max_length=18, blank=True, validators=[validate_id_number])
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, validators=[validate_phone])
    disability = models.CharField(_("残疾类别"), max_length=20, choices=Disability.choices, blank=True, default="")
    disability_grade = models.PositiveSmallIntegerField(
        _("残疾等级"), null=True, blank=True, choices=[(n, _("%(n)s级") % {"n": n}) for n in (1, 2, 3, 4)]
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    objects = ResidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        ordering = ["household", "relation", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"],
                condition=~Q(id_number=""),
                name="resident_unique_id_number",
                violation_error_message=_("该身份证号码已登记在其他居民名下。"),
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(relation="head"),
                name="resident_one_head_per_household",
                violation_error_message=_("一户只能有一位户主。"),
            ),
        ]
        indexes = [models.Index(fields=["name"], name="resident_name_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


class HouseholdImportQuerySet(models.QuerySet):
    def visible_to(self, user) -> HouseholdImportQuerySet:
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self
        return self.filter(created_by=user)


class HouseholdImport(models.Model):
    """An uploaded registry spreadsheet: checked in full first, written only if every row is good."""

    class Status(models.TextChoices):
        CHECKED = "checked", _("已检查，待确认")
        REJECTED = "rejected", _("有错误，未导入")
        IMPORTED = "imported", _("已导入")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("导入人")
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    file_name = models.CharField(_("文件名"), max_length=200)
    content = models.BinaryField(_("文件内容"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    households_created = models.PositiveIntegerField(_("新建户数"), default=0)
    residents_created = models.PositiveIntegerField(_("新建居民数"), default=0)
    imported_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    objects = HouseholdImportQuerySet.as_manager()

    class Meta:
        verbose_name = _("户籍导入")
        verbose_name_plural = _("户籍导入")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name


# --- One household, one plan (一户一策), pairing, subsidies, initiatives ----------------------------------------------
# Plans, subsidies and disabilities are the most private records: only the household's own area, its community
# leaders, the Social Affairs Section and street leaders see them (User.can_see_sensitive_data within scope_q).


def _sensitive_scope(user, **paths) -> Q:
    if not (user.is_authenticated and user.is_active and user.can_see_sensitive_data):
        return NOTHING
    return scope_q(user, **paths)


_PLAN_PATHS = {
    "street": "household__grid_area__community__street",
    "community": "household__grid_area__community",
    "grid_area": "household__grid_area",
}


class AssistancePlanQuerySet(models.QuerySet):
    def visible_to(self, user) -> AssistancePlanQuerySet:
        return self.filter(_sensitive_scope(user, **_PLAN_PATHS))

    def editable_by(self, user) -> AssistancePlanQuerySet:
        if not (user.is_authenticated and user.can_edit_registry):
            return self.none()
        return self.visible_to(user)


class AssistancePlan(models.Model):
    """One household, one plan (一户一策): the five musts for a key household, kept up over time."""

    household = models.OneToOneField(
        Household, on_delete=models.PROTECT, related_name="assistance_plan", verbose_name=_("户")
    )
    review_on = models.DateField(_("下次复核日期"))
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("建立时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = AssistancePlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("一户一策")
        verbose_name_plural = _("一户一策")
        ordering = ["review_on"]

    def __str__(self) -> str:
        return _("%(household)s 的帮扶计划") % {"household": self.household}


class PlanSection(models.Model):
    """One of the five musts (五个要) of a plan, with who recorded it and when."""

    class Must(models.TextChoices):
        BASIC = "basic", _("基本情况")
        LIVING = "living", _("生活状况")
        MIND = "mind", _("思想动态")
        CONTACT = "contact", _("联系方式")
        MEASURES = "measures", _("帮扶措施")

    plan = models.ForeignKey(AssistancePlan, on_delete=models.CASCADE, related_name="sections", verbose_name=_("计划"))
    must = models.CharField(_("五个要"), max_length=20, choices=Must.choices)
    text = models.TextField(_("内容"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )
    recorded_at = models.DateTimeField(_("记录时间"))
    source_visit = models.ForeignKey(
        "visits.Visit", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("来自走访")
    )

    class Meta:
        verbose_name = _("一户一策内容")
        verbose_name_plural = _("一户一策内容")
        ordering = ["plan", "must"]
        constraints = [models.UniqueConstraint(fields=["plan", "must"], name="plan_section_one_per_must")]

    def __str__(self) -> str:
        return self.get_must_display()


class AssistanceMeasureQuerySet(models.QuerySet):
    def visible_to(self, user) -> AssistanceMeasureQuerySet:
        return self.filter(plan__in=AssistancePlan.objects.visible_to(user))


class AssistanceMeasure(models.Model):
    """An assistance measure of a plan: what is done for the household, by whom, by when."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("待落实")
        IN_PROGRESS = "in_progress", _("落实中")
        DONE = "done", _("已落实")
        CANCELLED = "cancelled", _("已取消")

    plan = models.ForeignKey(AssistancePlan, on_delete=models.CASCADE, related_name="measures", verbose_name=_("计划"))
    description = models.CharField(_("帮扶措施"), max_length=200)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="assistance_measures",
        verbose_name=_("责任人"),
    )
    due_on = models.DateField(_("完成期限"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    done_on = models.DateField(_("完成日期"), null=True, blank=True)

    objects = AssistanceMeasureQuerySet.as_manager()

    class Meta:
        verbose_name = _("帮扶措施")
        verbose_name_plural = _("帮扶措施")
        ordering = ["plan", "due_on", "pk"]

    def __str__(self) -> str:
        return self.description


class PlanVersion(models.Model):
    """A plan as it stood after one change: the history of the plan, with who changed it."""

    plan = models.ForeignKey(AssistancePlan, on_delete=models.CASCADE, related_name="versions", verbose_name=_("计划"))
    number = models.PositiveIntegerField(_("版本"))
    snapshot = models.JSONField(_("内容"))
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("修改人")
    )
    saved_at = models.DateTimeField(_("修改时间"), auto_now_add=True)
    change = models.CharField(_("修改内容"), max_length=200)

    class Meta:
        verbose_name = _("一户一策历史版本")
        verbose_name_plural = _("一户一策历史版本")
        ordering = ["plan", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="plan_version_unique_number")]

    def __str__(self) -> str:
        return f"v{self.number}"


class AssistancePairQuerySet(models.QuerySet):
    def visible_to(self, user) -> AssistancePairQuerySet:
        scope = _sensitive_scope(user, **_PLAN_PATHS)
        # An empty Q() means "everything" (system administrators); OR-ing it would narrow it to their own pairs.
        if scope and user.is_authenticated and user.is_active:
            scope |= Q(staff=user)  # a paired member of street staff sees her own pairs
        return self.filter(scope)

    def active_on(self, day) -> AssistancePairQuerySet:
        return self.filter(starts_on__lte=day).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))


class AssistancePair(models.Model):
    """Pairing (帮扶结对): a member of staff paired with a household, who pays it a caring visit every month."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="pairs", verbose_name=_("户"))
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assistance_pairs", verbose_name=_("结对人")
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)

    objects = AssistancePairQuerySet.as_manager()

    class Meta:
        verbose_name = _("帮扶结对")
        verbose_name_plural = _("帮扶结对")
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return _("%(staff)s 结对 %(household)s") % {"staff": self.staff, "household": self.household}

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("结束日期不能早于开始日期。")})


class SubsidyQuerySet(models.QuerySet):
    def visible_to(self, user) -> SubsidyQuerySet:
        return self.filter(_sensitive_scope(user, **_PLAN_PATHS))


class Subsidy(models.Model):
    """A hardship subsidy (困难补助) paid to a household, exact to the fen."""

    class Kind(models.TextChoices):
        TEMPORARY = "temporary", _("临时救助")
        FESTIVAL = "festival", _("节日慰问")
        MEDICAL = "medical", _("医疗救助")
        EDUCATION = "education", _("教育救助")
        HOUSING = "housing", _("住房救助")
        DISABILITY = "disability", _("残疾人补助")
        OTHER = "other", _("其他")

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="subsidies", verbose_name=_("户"))
    kind = models.CharField(_("补助类型"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    paid_on = models.DateField(_("发放日期"))
    source = models.CharField(_("资金来源"), max_length=100)
    approved_by = models.CharField(_("审批人"), max_length=50)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = SubsidyQuerySet.as_manager()

    class Meta:
        verbose_name = _("困难补助")
        verbose_name_plural = _("困难补助")
        ordering = ["-paid_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="subsidy_amount_positive",
                violation_error_message=_("补助金额必须大于零。"),
            )
        ]
        indexes = [models.Index(fields=["paid_on"], name="subsidy_paid_on_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ¥{self.amount}"

    def clean(self) -> None:
        from django.utils import timezone

        if self.paid_on and self.paid_on > timezone.localdate():
            raise ValidationError({"paid_on": _("发放日期不能晚于今天。")})


class InitiativeQuerySet(models.QuerySet):
    def visible_to(self, user) -> InitiativeQuerySet:
        scope = scope_q(user, street="owner__street", community="owner__community")
        if scope and user.is_authenticated and user.is_active:
            scope |= Q(owner=user)
        return self.filter(scope)


class Initiative(models.Model):
    """An innovation initiative (创新载体) a social worker builds for her residents."""

    class Status(models.TextChoices):
        PLANNING = "planning", _("筹备中")
        RUNNING = "running", _("开展中")
        FINISHED = "finished", _("已结束")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="initiatives", verbose_name=_("负责人")
    )
    title = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("简介"), max_length=2000)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PLANNING)
    started_on = models.DateField(_("开始日期"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = InitiativeQuerySet.as_manager()

    class Meta:
        verbose_name = _("创新载体")
        verbose_name_plural = _("创新载体")
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title
