"""Four listenings (四听取) and the opinion pipeline (意见建议 → 解决实际问题).

Residents speak at meetings held on a cadence (the kinds and their cadences are data the office edits), on
visits, online, and through enterprises and paired villages. Every opinion is sorted into a category (or split
into several), assigned to a responsible person with a deadline, and closed as resolved or explained. Each step
is an OpinionEvent with who and when; a topic meeting (专题会议) takes up a group of opinions and records decisions.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from visits.periods import MONTH_BLOCKS
from wenxin.scoping import scope_q
from wenxin.validators import validate_phone

# What one opinion's text may hold; the public page refuses anything longer.
OPINION_TEXT_MAX = 2000


class MeetingKindQuerySet(models.QuerySet):
    def visible_to(self, user) -> MeetingKindQuerySet:
        # The kinds of meeting are shared vocabulary, like household categories.
        return self if user.is_authenticated and user.is_active else self.none()


class MeetingKind(models.Model):
    """A kind of listening meeting and its cadence (DOMAIN "4"), edited as data in the admin."""

    class HeldBy(models.TextChoices):
        STREET = "street", _("街道")
        COMMUNITY = "community", _("每个村社")

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    held_by = models.CharField(_("举办单位"), max_length=20, choices=HeldBy.choices, default=HeldBy.COMMUNITY)
    host = models.CharField(_("主办方"), max_length=100, blank=True, help_text=_("例如：街道党工委、办事处。"))
    cadence_months = models.PositiveSmallIntegerField(
        _("频次（月）"),
        null=True,
        blank=True,
        help_text=_("每几个月至少召开一次：1、2、3、4、6 或 12；留空表示随时（如网络平台），不检查频次。"),
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = MeetingKindQuerySet.as_manager()

    class Meta:
        verbose_name = _("听取形式")
        verbose_name_plural = _("听取形式")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # Periods are calendar-aligned (Jan–Feb, Mar–Apr …), so the cadence must divide the year.
        if self.cadence_months is not None and self.cadence_months not in MONTH_BLOCKS:
            raise ValidationError({"cadence_months": _("频次须为 1、2、3、4、6 或 12 个月。")})


class MeetingQuerySet(models.QuerySet):
    def visible_to(self, user) -> MeetingQuerySet:
        """Street-level meetings to everyone of the street; a community's meetings as the registry is scoped."""
        scope = scope_q(user, street="street", community="community")
        if scope and user.is_authenticated and user.is_active and user.street_id:
            scope |= Q(street_id=user.street_id, community__isnull=True)
        return self.filter(scope)


class Meeting(models.Model):
    """One listening meeting held: when, where, by whom, who came, the minutes, and the opinions it collected."""

    street = models.ForeignKey(
        "households.Street", on_delete=models.PROTECT, related_name="meetings", verbose_name=_("街道")
    )
    community = models.ForeignKey(
        "households.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
        verbose_name=_("村社"),
        help_text=_("村社召开的会议填写；街道层面的会议留空。"),
    )
    kind = models.ForeignKey(MeetingKind, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("会议类型"))
    held_on = models.DateField(_("召开日期"))
    place = models.CharField(_("地点"), max_length=200)
    host_unit = models.CharField(_("主办单位"), max_length=100)
    topic = models.CharField(_("主题"), max_length=200, blank=True)
    deputies = models.PositiveIntegerField(_("人大代表"), default=0)
    cppcc_members = models.PositiveIntegerField(_("政协委员"), default=0)
    party_members = models.PositiveIntegerField(_("党员"), default=0)
    retired_employees = models.PositiveIntegerField(_("企退人员"), default=0)
    united_front = models.PositiveIntegerField(_("统战人员"), default=0)
    residents = models.PositiveIntegerField(_("居民群众"), default=0)
    minutes = models.TextField(_("会议纪要"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="meetings_recorded", verbose_name=_("记录人")
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    ATTENDEE_FIELDS = ("deputies", "cppcc_members", "party_members", "retired_employees", "united_front", "residents")

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("听取会议")
        verbose_name_plural = _("听取会议")
        ordering = ["-held_on", "-pk"]
        indexes = [
            models.Index(fields=["street", "kind", "held_on"], name="meeting_street_kind_date_idx"),
            models.Index(fields=["community", "kind", "held_on"], name="meeting_comm_kind_date_idx"),
        ]

    def __str__(self) -> str:
        return _("%(date)s %(kind)s") % {"date": self.held_on, "kind": self.kind}

    @property
    def attendee_total(self) -> int:
        return sum(getattr(self, name) for name in self.ATTENDEE_FIELDS)

    def attendee_groups(self) -> list[tuple[str, int]]:
        """(group label, count) for every group, in the order DOMAIN.md names them."""
        return [(self._meta.get_field(name).verbose_name, getattr(self, name)) for name in self.ATTENDEE_FIELDS]


class OpinionCategoryQuerySet(models.QuerySet):
    def visible_to(self, user) -> OpinionCategoryQuerySet:
        return self if user.is_authenticated and user.is_active else self.none()


class OpinionCategory(models.Model):
    """A category opinions are sorted into (DOMAIN "Opinions and problems"), edited as data."""

    class Group(models.TextChoices):
        RESIDENT = "resident", _("居民意见")
        ENTERPRISE = "enterprise", _("企业诉求")

    name = models.CharField(_("名称"), max_length=50, unique=True)
    group = models.CharField(_("类别"), max_length=20, choices=Group.choices, default=Group.RESIDENT)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = OpinionCategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("意见分类")
        verbose_name_plural = _("意见分类")
        ordering = ["group", "sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class TopicMeetingQuerySet(models.QuerySet):
    def visible_to(self, user) -> TopicMeetingQuerySet:
        """Street-wide staff see their street's topic meetings; community staff those that took up theirs."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        if user.sees_everything:
            return self
        if not user.street_id:
            return self.none()
        if user.sees_whole_street:
            return self.filter(street_id=user.street_id)
        return self.filter(Q(chaired_by=user) | Q(opinions__in=Opinion.objects.visible_to(user))).distinct()


class TopicMeeting(models.Model):
    """A topic meeting (专题会议) that studies a group of opinions and records what was decided."""

    street = models.ForeignKey(
        "households.Street", on_delete=models.PROTECT, related_name="topic_meetings", verbose_name=_("街道")
    )
    title = models.CharField(_("议题"), max_length=200)
    held_on = models.DateField(_("召开日期"))
    chaired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="topic_meetings_chaired",
        verbose_name=_("主持人"),
    )
    attendees = models.CharField(_("参会人员"), max_length=500, blank=True)
    decisions = models.TextField(_("会议决定"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    objects = TopicMeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("专题会议")
        verbose_name_plural = _("专题会议")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return self.title


class OpinionQuerySet(models.QuerySet):
    def visible_to(self, user) -> OpinionQuerySet:
        """Who sees an opinion (issue 5, item 7), decided here once.

        Street leaders see their street's; leaders in charge those of the departments they oversee, those they
        are in charge of and those of topic meetings they chair; section chiefs their department's; community
        leaders and social workers their community's. Everyone sees the opinions they are responsible for and
        those they recorded. System administrators see all.
        """
        if not (user.is_authenticated and user.is_active):
            return self.none()
        if user.sees_everything:
            return self
        if not user.street_id:
            return self.none()
        scope = Q(responsible=user) | Q(created_by=user)
        if user.is_street_leader:
            scope = Q()
        elif user.is_leader_in_charge:
            scope |= (
                Q(leader_in_charge=user)
                | Q(department__in=user.overseen_departments.values("pk"))
                | Q(topic_meeting__chaired_by=user)
            )
        elif user.is_section_chief and user.department_id:
            scope |= Q(department_id=user.department_id)
        elif (user.is_community_leader or user.is_social_worker) and user.community_id:
            scope |= Q(community_id=user.community_id)
        return self.filter(scope, street_id=user.street_id)

    def open(self) -> OpinionQuerySet:
        return self.filter(status__in=Opinion.OPEN_STATUSES)

    def overdue(self, today: datetime.date) -> OpinionQuerySet:
        """Assigned or in progress, and past the completion date."""
        return self.filter(status__in=Opinion.ASSIGNED_STATUSES, due_on__lt=today)

    def collected(self) -> OpinionQuerySet:
        """Opinions as residents raised them: a part split off one is not collected twice."""
        return self.filter(parent__isnull=True)

    def closed(self) -> OpinionQuerySet:
        return self.filter(status__in=Opinion.CLOSED_STATUSES)


class Opinion(models.Model):
    """An opinion or suggestion (意见建议) and the path it takes until it is resolved or explained."""

    class Source(models.TextChoices):
        VISIT = "visit", pgettext_lazy("意见来源", "走访")
        MEETING = "meeting", _("会议")
        ONLINE = "online", _("网络平台")
        ENTERPRISE = "enterprise", _("企业")
        PAIRED_VILLAGE = "paired_village", _("联村结对村")

    class Status(models.TextChoices):
        NEW = "new", _("待梳理")
        SORTED = "sorted", _("已分类")
        SPLIT = "split", _("已分解")
        ASSIGNED = "assigned", _("已交办")
        IN_PROGRESS = "in_progress", _("办理中")
        RESOLVED = "resolved", _("已解决")
        EXPLAINED = "explained", _("已解释")

    OPEN_STATUSES = (Status.NEW, Status.SORTED, Status.ASSIGNED, Status.IN_PROGRESS)
    ASSIGNED_STATUSES = (Status.ASSIGNED, Status.IN_PROGRESS)
    CLOSED_STATUSES = (Status.RESOLVED, Status.EXPLAINED)
    # The one path an opinion may take: no step is skipped (issue 5, item 3).
    TRANSITIONS = {
        Status.NEW: (Status.SORTED, Status.SPLIT),
        Status.SORTED: (Status.ASSIGNED,),
        Status.ASSIGNED: (Status.ASSIGNED, Status.IN_PROGRESS),
        Status.IN_PROGRESS: (Status.ASSIGNED, Status.RESOLVED, Status.EXPLAINED),
        Status.SPLIT: (),
        Status.RESOLVED: (),
        Status.EXPLAINED: (),
    }

    street = models.ForeignKey(
        "households.Street", on_delete=models.PROTECT, related_name="opinions", verbose_name=_("街道")
    )
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices)
    visit = models.ForeignKey(
        "visits.Visit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opinions",
        verbose_name=_("来自走访"),
    )
    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="opinions", verbose_name=_("来自会议")
    )
    enterprise = models.ForeignKey(
        "households.Enterprise",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opinions",
        verbose_name=_("企业"),
    )
    paired_village = models.ForeignKey(
        "households.PairedVillage",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opinions",
        verbose_name=_("联村结对村"),
    )
    raised_by = models.CharField(_("反映人"), max_length=50, blank=True)
    contact = models.CharField(_("联系电话"), max_length=20, blank=True, validators=[validate_phone])
    community = models.ForeignKey(
        "households.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opinions",
        verbose_name=_("村社"),
    )
    estate = models.ForeignKey(
        "households.Estate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opinions",
        verbose_name=_("小区"),
    )
    location = models.CharField(_("具体位置"), max_length=200, blank=True)
    text = models.TextField(_("意见建议"), max_length=OPINION_TEXT_MAX)

    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.NEW)
    category = models.ForeignKey(
        OpinionCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opinions",
        verbose_name=_("分类"),
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="parts", verbose_name=_("分解自")
    )

    leader_in_charge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opinions_in_charge",
        verbose_name=_("分管领导"),
    )
    department = models.ForeignKey(
        "wenxin.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opinions",
        verbose_name=_("责任科室"),
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opinions_responsible",
        verbose_name=_("责任人"),
    )
    due_on = models.DateField(_("完成期限"), null=True, blank=True)
    topic_meeting = models.ForeignKey(
        TopicMeeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opinions",
        verbose_name=_("专题会议"),
    )
    resolution = models.TextField(_("办理结果"), blank=True)
    explanation = models.TextField(_("解释说明"), blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    # Raised by one with every step (feedback.services): a step page opened at an older version is refused, so
    # two dispatchers assigning the same opinion at once do not overwrite each other (wenxin.concurrency).
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    tracking_code = models.CharField(_("查询码"), max_length=12, unique=True, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opinions_recorded",
        verbose_name=_("录入人"),
    )
    created_at = models.DateTimeField(_("收集时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = OpinionQuerySet.as_manager()

    class Meta:
        verbose_name = _("意见建议")
        verbose_name_plural = _("意见建议")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["street", "status", "due_on"], name="opinion_street_status_idx"),
            models.Index(fields=["responsible", "status"], name="opinion_responsible_idx"),
            models.Index(fields=["community", "status"], name="opinion_community_idx"),
        ]

    def __str__(self) -> str:
        text = self.text if len(self.text) <= 30 else self.text[:30] + "…"
        return f"#{self.pk} {text}" if self.pk else text

    def clean(self) -> None:
        # A TextField's max_length only reaches the form; the model checks it so no service stores more.
        super().clean()
        if self.text and len(self.text) > OPINION_TEXT_MAX:
            raise ValidationError(
                {"text": _("意见建议不能超过 %(max)s 个字。") % {"max": OPINION_TEXT_MAX}},
            )

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED_STATUSES

    def is_overdue(self, today: datetime.date) -> bool:
        return self.status in self.ASSIGNED_STATUSES and self.due_on is not None and self.due_on < today

    def closed_on_time(self) -> bool | None:
        """Closed by its completion date; None while open or without one."""
        if not (self.closed_at and self.due_on):
            return None
        return timezone.localtime(self.closed_at).date() <= self.due_on

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, ())


class OpinionEvent(models.Model):
    """One step of an opinion's path, with who took it and when: the opinion's history, never edited."""

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="events", verbose_name=_("意见建议"))
    from_status = models.CharField(_("原状态"), max_length=20, choices=Opinion.Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, choices=Opinion.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["opinion", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"
