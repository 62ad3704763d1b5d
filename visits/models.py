"""The visit diary (民情联系日记) and the rules the visits are measured against.

Every visit is a diary entry: who went, when, to what, whom they met and what they found and did. Quotas and
the department staff's visit-service day are data the office edits, seeded with DOMAIN.md's defaults.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wenxin.roles import Role
from wenxin.scoping import scope_q

DEFAULT_HOUSEHOLDS_PER_QUARTER = 50
DEFAULT_SERVICE_DAY = 20


class QuotaRuleQuerySet(models.QuerySet):
    def visible_to(self, user) -> QuotaRuleQuerySet:
        if not (user.is_authenticated and user.is_active):
            return self.none()
        # Role-wide rules are shared; a person's own rule is seen where that person is.
        return self.filter(Q(user__isnull=True) | Q(user__in=user.__class__.objects.visible_to(user)))


class QuotaRule(models.Model):
    """How many distinct households a role, or one person, must visit per calendar quarter."""

    role = models.CharField(_("角色"), max_length=30, choices=Role.choices, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="quota_rule",
        verbose_name=_("个人"),
        help_text=_("为某一个人单独设置时填写，优先于角色的指标。"),
    )
    households_per_quarter = models.PositiveIntegerField(_("每季度走访户数"), default=DEFAULT_HOUSEHOLDS_PER_QUARTER)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    objects = QuotaRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("走访指标")
        verbose_name_plural = _("走访指标")
        ordering = ["role", "user"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(role="") & Q(user__isnull=False)) | (~Q(role="") & Q(user__isnull=True)),
                name="quota_rule_role_or_user",
                violation_error_message=_("走访指标要么针对一个角色，要么针对一个人。"),
            ),
            models.UniqueConstraint(
                fields=["role"],
                condition=Q(user__isnull=True),
                name="quota_rule_one_per_role",
                violation_error_message=_("该角色已有走访指标。"),
            ),
        ]

    def __str__(self) -> str:
        who = self.user if self.user_id else self.get_role_display()
        return _("%(who)s：每季度 %(n)s 户") % {"who": who, "n": self.households_per_quarter}


class ServiceDayRuleQuerySet(models.QuerySet):
    def visible_to(self, user) -> ServiceDayRuleQuerySet:
        return self.filter(scope_q(user, street="street"))


class ServiceDayRule(models.Model):
    """The department staff's monthly visit-service day (走访服务日) of a street: the 20th by default."""

    street = models.OneToOneField(
        "households.Street", on_delete=models.CASCADE, related_name="service_day_rule", verbose_name=_("街道")
    )
    day_of_month = models.PositiveSmallIntegerField(
        _("每月走访服务日"),
        default=DEFAULT_SERVICE_DAY,
        help_text=_("1 到 28 之间；遇周末或节假日可按月调整。"),
    )

    objects = ServiceDayRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("走访服务日")
        verbose_name_plural = _("走访服务日")

    def __str__(self) -> str:
        return _("每月%(day)s日") % {"day": self.day_of_month}

    def clean(self) -> None:
        if not 1 <= self.day_of_month <= 28:
            raise ValidationError({"day_of_month": _("走访服务日须在每月1日至28日之间。")})


class ServiceDayMoveQuerySet(models.QuerySet):
    def visible_to(self, user) -> ServiceDayMoveQuerySet:
        return self.filter(scope_q(user, street="street"))


class ServiceDayMove(models.Model):
    """One month's visit-service day moved to another date, e.g. when the 20th is a Sunday or a holiday."""

    street = models.ForeignKey(
        "households.Street", on_delete=models.CASCADE, related_name="service_day_moves", verbose_name=_("街道")
    )
    month = models.DateField(_("月份"), help_text=_("该月的第一天。"))
    moved_to = models.DateField(_("调整为"))
    reason = models.CharField(_("原因"), max_length=100, blank=True)

    objects = ServiceDayMoveQuerySet.as_manager()

    class Meta:
        verbose_name = _("走访服务日调整")
        verbose_name_plural = _("走访服务日调整")
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["street", "month"], name="service_day_move_one_per_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} → {self.moved_to:%Y-%m-%d}"

    def clean(self) -> None:
        if self.month and self.month.day != 1:
            self.month = self.month.replace(day=1)
        if (
            self.month
            and self.moved_to
            and (self.moved_to.year, self.moved_to.month)
            != (
                self.month.year,
                self.month.month,
            )
        ):
            raise ValidationError({"moved_to": _("调整后的日期必须在同一个月内。")})


class VisitQuerySet(models.QuerySet):
    def visible_to(self, user) -> VisitQuerySet:
        """The visits in the user's scope, and always the user's own (a worker's estate visits, say)."""
        scope = scope_q(user, street="street", community="community", grid_area="household__grid_area")
        # An empty Q() means "everything" (system administrators); OR-ing it would narrow it to their own visits.
        if scope and user.is_authenticated and user.is_active:
            scope |= Q(visitor=user)
        return self.filter(scope)

    def editable_by(self, user) -> VisitQuerySet:
        """Her own visits and those on her households, until a spot-check has looked at them."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        unchecked = self.filter(spot_checked_at__isnull=True)
        if user.sees_everything:
            return unchecked
        own = Q(visitor=user)
        if user.is_social_worker:
            own |= Q(household__grid_area__workers=user)
        return unchecked.filter(own).distinct()

    def household_visits(self) -> VisitQuerySet:
        return self.filter(kind__in=Visit.HOUSEHOLD_KINDS)

    def in_period(self, start: datetime.date, end: datetime.date) -> VisitQuerySet:
        """Visits on days start..end, both included."""
        return self.filter(visited_on__gte=start, visited_on__lte=end)


class Visit(models.Model):
    """One visit written in the public-sentiment diary (民情联系日记)."""

    class Kind(models.TextChoices):
        DOOR_TO_DOOR = "door_to_door", _("入户走访")
        CARING = "caring", _("爱心走访")
        ESTATE = "estate", _("走访小区")
        ENTERPRISE = "enterprise", _("走访企业")
        OWNERS_COMMITTEE = "owners_committee", _("走访业委会")
        PROPERTY_COMPANY = "property_company", _("走访物业")
        PAIRED_VILLAGE = "paired_village", _("走访结对村")
        LEADERSHIP = "leadership", _("领导走访村社")

    # What each kind of visit is a visit to: the one target field it fills.
    TARGET_FIELD = {
        Kind.DOOR_TO_DOOR: "household",
        Kind.CARING: "household",
        Kind.ESTATE: "estate",
        Kind.ENTERPRISE: "enterprise",
        Kind.OWNERS_COMMITTEE: "owners_committee",
        Kind.PROPERTY_COMPANY: "property_company",
        Kind.PAIRED_VILLAGE: "paired_village",
        Kind.LEADERSHIP: "target_community",
    }
    TARGET_FIELDS = tuple(dict.fromkeys(TARGET_FIELD.values()))
    HOUSEHOLD_KINDS = (Kind.DOOR_TO_DOOR, Kind.CARING)

    # Where the visit belongs, for scoping: set by visits.services from the target (or the visitor).
    # street, community, visitor and household have no index of their own: each leads a (…, visited_on) index
    # of Meta.indexes, which answers every lookup by it; a second index only cost writes (docs/performance.md).
    street = models.ForeignKey(
        "households.Street", on_delete=models.PROTECT, related_name="visits", verbose_name=_("街道"), db_index=False
    )
    community = models.ForeignKey(
        "households.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("所属村社"),
        db_index=False,
    )

    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=_("走访人"),
        db_index=False,
    )
    companions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="companion_visits", verbose_name=_("同行人员")
    )
    visited_on = models.DateField(_("走访日期"))
    kind = models.CharField(_("走访类型"), max_length=30, choices=Kind.choices, default=Kind.DOOR_TO_DOOR)

    household = models.ForeignKey(
        "households.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("户"),
        db_index=False,
    )
    estate = models.ForeignKey(
        "households.Estate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("小区"),
        db_index=False,  # a partial index in Meta.indexes
    )
    enterprise = models.ForeignKey(
        "households.Enterprise",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("企业"),
        db_index=False,  # a partial index in Meta.indexes
    )
    owners_committee = models.ForeignKey(
        "households.OwnersCommittee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("业委会"),
        db_index=False,  # a partial index in Meta.indexes
    )
    property_company = models.ForeignKey(
        "households.PropertyCompany",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("物业公司"),
        db_index=False,  # a partial index in Meta.indexes
    )
    paired_village = models.ForeignKey(
        "households.PairedVillage",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("联村结对村"),
        db_index=False,  # a partial index in Meta.indexes
    )
    target_community = models.ForeignKey(
        "households.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leadership_visits",
        verbose_name=_("走访村社"),
        db_index=False,  # a partial index in Meta.indexes
    )

    met_whom = models.CharField(_("接待人/走访对象"), max_length=100, blank=True)
    situation = models.TextField(_("了解情况"), blank=True)
    living_conditions = models.TextField(_("生活状况"), blank=True)
    state_of_mind = models.TextField(_("思想动态"), blank=True)
    difficulty = models.TextField(_("困难或诉求"), blank=True)
    action_taken = models.TextField(_("处理情况"), blank=True)
    follow_up_needed = models.BooleanField(_("需要跟进"), default=False)
    follow_up_by = models.DateField(_("跟进期限"), null=True, blank=True)

    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    spot_checked_at = models.DateTimeField(
        _("抽查时间"), null=True, blank=True, help_text=_("被抽查过的走访不能再由本人修改。")
    )

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_on", "-created_at"]
        indexes = [
            models.Index(fields=["visitor", "visited_on"], name="visit_visitor_date_idx"),
            models.Index(fields=["household", "visited_on"], name="visit_household_date_idx"),
            models.Index(fields=["street", "visited_on"], name="visit_street_date_idx"),
            models.Index(fields=["community", "visited_on"], name="visit_community_date_idx"),
            # The admin's and the diary's order (newest first, read backwards): the first page of millions of
            # visits without sorting them all (docs/performance.md).
            models.Index(fields=["visited_on", "created_at", "id"], name="visit_date_created_idx"),
            # Visits to places, not households (a tenth of the rows): the three musts, leaders' and enterprise
            # visits of a period read them without scanning a city's door-to-door visits (docs/performance.md).
            models.Index(
                fields=["kind", "visited_on"],
                condition=~Q(kind__in=["door_to_door", "caring"]),
                name="visit_place_kind_date_idx",
            ),
            # The six optional targets are empty on nine visits in ten: indexed where set, the indexes stay small
            # and writing a household visit touches none of them (docs/performance.md).
            *(
                models.Index(fields=[field], condition=Q(**{f"{field}__isnull": False}), name=f"visit_{short}_idx")
                for field, short in (
                    ("estate", "estate"),
                    ("enterprise", "enterprise"),
                    ("owners_committee", "committee"),
                    ("property_company", "company"),
                    ("paired_village", "village"),
                    ("target_community", "target_community"),
                )
            ),
        ]

    def __str__(self) -> str:
        return _("%(date)s %(visitor)s %(kind)s") % {
            "date": self.visited_on,
            "visitor": self.visitor,
            "kind": self.get_kind_display(),
        }

    @property
    def target(self):
        return getattr(self, self.TARGET_FIELD[self.kind])

    @property
    def is_spot_checked(self) -> bool:
        return self.spot_checked_at is not None

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.visited_on and self.visited_on > timezone.localdate():
            errors["visited_on"] = _("走访日期不能晚于今天。")
        wanted = self.TARGET_FIELD.get(self.kind)
        if wanted and not getattr(self, f"{wanted}_id"):
            errors[wanted] = _("请选择走访对象。")
        for field in self.TARGET_FIELDS:
            if field != wanted and getattr(self, f"{field}_id"):
                errors[field] = _("这类走访不填写此项。")
        if self.follow_up_needed and not self.follow_up_by:
            errors["follow_up_by"] = _("需要跟进时请填写跟进期限。")
        if self.follow_up_by and self.visited_on and self.follow_up_by < self.visited_on:
            errors["follow_up_by"] = _("跟进期限不能早于走访日期。")
        if errors:
            raise ValidationError(errors)
