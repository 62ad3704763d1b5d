"""Three musts, three evaluations (三必到三测评): the assessment that keeps the method honest.

District-managed cadres must visit the community or estate they are linked to, its owners' committee and its
property company every period (三必到). Leaders spot-check (抽查) recorded visits on a reproducible random sample;
community main leaders verify (核实检查) their staff's visits. Residents' ratings, the mutual evaluation between
street departments and communities and the performance review (三测评) complete the quarterly scorecard.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from visits.periods import MONTH_BLOCKS
from wenxin.scoping import scope_q

DEFAULT_THREE_MUSTS_MONTHS = 3


class AssessmentRuleQuerySet(models.QuerySet):
    def visible_to(self, user) -> AssessmentRuleQuerySet:
        return self.filter(scope_q(user, street="street"))


class AssessmentRule(models.Model):
    """A street's assessment settings: the three-musts period and the weights of the scorecard, edited as data."""

    street = models.OneToOneField(
        "households.Street", on_delete=models.CASCADE, related_name="assessment_rule", verbose_name=_("街道")
    )
    three_musts_months = models.PositiveSmallIntegerField(
        _("三必到周期（月）"),
        default=DEFAULT_THREE_MUSTS_MONTHS,
        help_text=_("区管干部每个周期内须走访到联系村社（小区）、业委会和物业：1、2、3、4、6 或 12 个月。"),
    )
    weight_quota = models.PositiveSmallIntegerField(_("权重：走访指标"), default=25)
    weight_three_musts = models.PositiveSmallIntegerField(_("权重：三必到"), default=15)
    weight_spot_checks = models.PositiveSmallIntegerField(_("权重：抽查"), default=15)
    weight_verification = models.PositiveSmallIntegerField(_("权重：核实"), default=10)
    weight_public_rating = models.PositiveSmallIntegerField(_("权重：群众民意测评"), default=15)
    weight_mutual = models.PositiveSmallIntegerField(_("权重：街社双向互评"), default=10)
    weight_performance = models.PositiveSmallIntegerField(_("权重：实际绩效点评"), default=10)

    WEIGHT_FIELDS = (
        "weight_quota",
        "weight_three_musts",
        "weight_spot_checks",
        "weight_verification",
        "weight_public_rating",
        "weight_mutual",
        "weight_performance",
    )

    objects = AssessmentRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("考核规则")
        verbose_name_plural = _("考核规则")

    def __str__(self) -> str:
        return _("%(street)s 考核规则") % {"street": self.street}

    def clean(self) -> None:
        if self.three_musts_months not in MONTH_BLOCKS:
            raise ValidationError({"three_musts_months": _("周期须为 1、2、3、4、6 或 12 个月。")})
        if sum(getattr(self, name) for name in self.WEIGHT_FIELDS) == 0:
            raise ValidationError(_("权重不能全部为零。"))


class CadreLinkQuerySet(models.QuerySet):
    def visible_to(self, user) -> CadreLinkQuerySet:
        return self.filter(scope_q(user, street="community__street", community="community"))


class CadreLink(models.Model):
    """A district-managed cadre's link (联系) to a community and, optionally, one of its estates: his three musts."""

    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="cadre_links",
        verbose_name=_("区管干部"),
        limit_choices_to={"role": "cadre"},
    )
    community = models.ForeignKey(
        "households.Community", on_delete=models.PROTECT, related_name="cadre_links", verbose_name=_("联系村社")
    )
    estate = models.ForeignKey(
        "households.Estate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cadre_links",
        verbose_name=_("联系小区"),
        help_text=_("联系到具体小区时填写；三必到即该小区、其业委会和物业。"),
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)

    objects = CadreLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("区管干部联系点")
        verbose_name_plural = _("区管干部联系点")
        ordering = ["cadre", "community", "estate"]

    def __str__(self) -> str:
        place = self.estate or self.community
        return _("%(cadre)s 联系 %(place)s") % {"cadre": self.cadre, "place": place}

    def clean(self) -> None:
        errors = {}
        if self.estate_id and self.community_id and self.estate.community_id != self.community_id:
            errors["estate"] = _("小区不在所选村社内。")
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("结束日期不能早于开始日期。")
        if errors:
            raise ValidationError(errors)


class SpotCheckQuerySet(models.QuerySet):
    def visible_to(self, user) -> SpotCheckQuerySet:
        """Street-wide staff see their street's spot-checks; a community leader those of his community's staff."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        if user.sees_everything:
            return self
        if not user.street_id:
            return self.none()
        if user.sees_whole_street:
            return self.filter(street_id=user.street_id)
        if user.is_community_leader and user.community_id:
            return self.filter(street_id=user.street_id, level=SpotCheck.Level.COMMUNITY, community=user.community_id)
        return self.none()


class SpotCheck(models.Model):
    """A spot-check (抽查): a random, reproducible sample of one level's visits in a period, checked one by one."""

    class Level(models.TextChoices):
        CADRE = "cadre", _("区管干部走访（街道主要领导抽查）")
        DEPARTMENT = "department", _("科室人员走访（分管领导季末抽查）")
        COMMUNITY = "community", _("村社工作人员走访（社会事务科抽查）")

    class SampleMode(models.TextChoices):
        COUNT = "count", _("按条数")
        PERCENT = "percent", _("按比例（%）")

    street = models.ForeignKey(
        "households.Street", on_delete=models.PROTECT, related_name="spot_checks", verbose_name=_("街道")
    )
    level = models.CharField(_("抽查层级"), max_length=20, choices=Level.choices)
    department = models.ForeignKey(
        "wenxin.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="spot_checks",
        verbose_name=_("科室"),
        help_text=_("科室人员层级：只抽查该科室人员的走访；留空为分管的全部科室。"),
    )
    community = models.ForeignKey(
        "households.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="spot_checks",
        verbose_name=_("村社"),
        help_text=_("村社工作人员层级：只抽查该村社的走访；留空为全部村社。"),
    )
    period_start = models.DateField(_("走访起始日期"))
    period_end = models.DateField(_("走访截止日期"))
    sample_mode = models.CharField(_("抽样方式"), max_length=10, choices=SampleMode.choices, default=SampleMode.COUNT)
    sample_value = models.PositiveIntegerField(_("抽样数量"), help_text=_("条数，或百分比（1–100）。"))
    seed = models.BigIntegerField(
        _("随机种子"), null=True, blank=True, help_text=_("抽样时记录，可据此复现和核查抽样。")
    )
    population_size = models.PositiveIntegerField(_("总体走访数"), null=True, blank=True)
    drawn_at = models.DateTimeField(_("抽样时间"), null=True, blank=True)
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="spot_checks", verbose_name=_("抽查人")
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = SpotCheckQuerySet.as_manager()

    class Meta:
        verbose_name = _("抽查")
        verbose_name_plural = _("抽查")
        ordering = ["-period_end", "-pk"]

    def __str__(self) -> str:
        return _("%(level)s %(start)s—%(end)s") % {
            "level": self.get_level_display(),
            "start": self.period_start,
            "end": self.period_end,
        }

    @property
    def is_drawn(self) -> bool:
        return self.drawn_at is not None

    def clean(self) -> None:
        errors = {}
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = _("截止日期不能早于起始日期。")
        if self.sample_value is not None:
            if self.sample_value < 1:
                errors["sample_value"] = _("抽样数量至少为 1。")
            elif self.sample_mode == self.SampleMode.PERCENT and self.sample_value > 100:
                errors["sample_value"] = _("比例须在 1 到 100 之间。")
        if self.level != self.Level.DEPARTMENT and self.department_id:
            errors["department"] = _("只有科室人员层级可以选择科室。")
        if self.level != self.Level.COMMUNITY and self.community_id:
            errors["community"] = _("只有村社工作人员层级可以选择村社。")
        if errors:
            raise ValidationError(errors)


class SpotCheckItemQuerySet(models.QuerySet):
    def visible_to(self, user) -> SpotCheckItemQuerySet:
        return self.filter(spot_check__in=SpotCheck.objects.visible_to(user))


class SpotCheckItem(models.Model):
    """One sampled visit of a spot-check, with how it was checked and what was found."""

    class Method(models.TextChoices):
        PHONE = "phone", _("电话回访")
        ON_SITE = "on_site", _("实地核查")

    class Result(models.TextChoices):
        CONFIRMED = "confirmed", _("属实")
        NOT_CONFIRMED = "not_confirmed", _("不属实")
        DISCREPANCY = "discrepancy", _("有出入")

    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="items", verbose_name=_("抽查"))
    visit = models.ForeignKey(
        "visits.Visit", on_delete=models.PROTECT, related_name="spot_check_items", verbose_name=_("走访记录")
    )
    method = models.CharField(_("核查方式"), max_length=20, choices=Method.choices, blank=True)
    result = models.CharField(_("核查结果"), max_length=20, choices=Result.choices, blank=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("核查人"),
    )
    checked_at = models.DateTimeField(_("核查时间"), null=True, blank=True)

    objects = SpotCheckItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("抽查记录")
        verbose_name_plural = _("抽查记录")
        ordering = ["spot_check", "pk"]
        constraints = [models.UniqueConstraint(fields=["spot_check", "visit"], name="spot_check_item_once")]

    def __str__(self) -> str:
        return str(self.visit)

    @property
    def is_checked(self) -> bool:
        return bool(self.result)


class VisitVerificationQuerySet(models.QuerySet):
    def visible_to(self, user) -> VisitVerificationQuerySet:
        from visits.models import Visit

        return self.filter(visit__in=Visit.objects.visible_to(user))


class VisitVerification(models.Model):
    """The community main leader's verification (核实检查) of one of his staff's visits."""

    class Status(models.TextChoices):
        VERIFIED = "verified", _("已核实")
        QUERIED = "queried", _("存疑")

    visit = models.OneToOneField(
        "visits.Visit", on_delete=models.CASCADE, related_name="verification", verbose_name=_("走访记录")
    )
    status = models.CharField(_("核实结果"), max_length=20, choices=Status.choices)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("核实人")
    )
    verified_at = models.DateTimeField(_("核实时间"), auto_now=True)

    objects = VisitVerificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("走访核实")
        verbose_name_plural = _("走访核实")
        ordering = ["-verified_at"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} · {self.visit}"


class EvaluationQuerySet(models.QuerySet):
    def visible_to(self, user) -> EvaluationQuerySet:
        """Leaders and section chiefs read the street's evaluations; a community leader those of his community.

        A community leader also reads the mutual evaluations his community gave, since he is the one recording them.
        """
        if not (user.is_authenticated and user.is_active):
            return self.none()
        if user.sees_everything:
            return self
        if not user.street_id:
            return self.none()
        if user.is_street_leader or user.is_leader_in_charge or user.is_section_chief:
            return self.filter(street_id=user.street_id)
        if user.is_community_leader and user.community_id:
            return self.filter(
                Q(community_id=user.community_id)
                | Q(person__community_id=user.community_id)
                | Q(by_community_id=user.community_id),
                street_id=user.street_id,
            )
        return self.filter(street_id=user.street_id, person=user)


class Evaluation(models.Model):
    """One of the three evaluations (三测评) of a person or a unit for a quarter, as a score out of 100.

    Public-opinion ratings come from residents (score = satisfaction, with the number of respondents); the mutual
    evaluation is given by a department to a community or by a community to a department; the performance review
    is a leader's score and comment.
    """

    class Kind(models.TextChoices):
        PUBLIC_RATING = "public_rating", _("群众民意测评")
        MUTUAL = "mutual", _("街社两级双向互评")
        PERFORMANCE = "performance", _("实际绩效点评")

    street = models.ForeignKey(
        "households.Street", on_delete=models.PROTECT, related_name="evaluations", verbose_name=_("街道")
    )
    kind = models.CharField(_("测评类型"), max_length=20, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"), choices=[(n, str(n)) for n in (1, 2, 3, 4)])
    # Who is evaluated: one person, one community or one department.
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations",
        verbose_name=_("被测评人"),
    )
    community = models.ForeignKey(
        "households.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations",
        verbose_name=_("被测评村社"),
    )
    department = models.ForeignKey(
        "wenxin.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations",
        verbose_name=_("被测评科室"),
    )
    # For the mutual evaluation, who gave it.
    by_community = models.ForeignKey(
        "households.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations_given",
        verbose_name=_("评价村社"),
    )
    by_department = models.ForeignKey(
        "wenxin.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations_given",
        verbose_name=_("评价科室"),
    )
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=2, help_text=_("0 到 100 分。"))
    respondents = models.PositiveIntegerField(_("参评人数"), null=True, blank=True)
    comment = models.TextField(_("评语"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("录入人")
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    objects = EvaluationQuerySet.as_manager()

    class Meta:
        verbose_name = _("测评")
        verbose_name_plural = _("测评")
        ordering = ["-year", "-quarter", "kind", "pk"]
        indexes = [models.Index(fields=["street", "year", "quarter"], name="evaluation_period_idx")]

    def __str__(self) -> str:
        subject = self.person or self.community or self.department
        return f"{self.year}Q{self.quarter} {self.get_kind_display()} · {subject}"

    def clean(self) -> None:
        errors = {}
        subjects = [s for s in (self.person_id, self.community_id, self.department_id) if s]
        if len(subjects) != 1:
            errors["person"] = _("请选择一个被测评对象：一个人、一个村社或一个科室。")
        if self.score is not None and not 0 <= self.score <= 100:
            errors["score"] = _("得分须在 0 到 100 之间。")
        if self.kind == self.Kind.MUTUAL:
            givers = [g for g in (self.by_community_id, self.by_department_id) if g]
            if len(givers) != 1:
                errors["by_community"] = _("双向互评请选择评价方：一个村社或一个科室。")
            elif self.person_id:
                errors["person"] = _("双向互评在科室和村社之间进行，不评个人。")
            elif (self.by_community_id and self.community_id) or (self.by_department_id and self.department_id):
                errors["by_community"] = _("双向互评是科室评村社、村社评科室。")
        elif self.by_community_id or self.by_department_id:
            errors["by_community"] = _("只有双向互评填写评价方。")
        if self.kind == self.Kind.PUBLIC_RATING and self.department_id:
            errors["department"] = _("群众民意测评针对工作人员和村社。")
        if errors:
            raise ValidationError(errors)
