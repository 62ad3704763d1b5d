"""Users, their roles and departments, and the audit trail of sensitive changes."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wenxin import roles
from wenxin.roles import Role
from wenxin.scoping import scope_q
from wenxin.validators import validate_phone


class DepartmentQuerySet(models.QuerySet):
    def visible_to(self, user) -> DepartmentQuerySet:
        return self.filter(scope_q(user, street="street"))


class Department(models.Model):
    """A department (科室) of a street office, such as the Social Affairs Section."""

    street = models.ForeignKey(
        "households.Street", on_delete=models.PROTECT, related_name="departments", verbose_name=_("街道")
    )
    name = models.CharField(_("名称"), max_length=50)
    is_social_affairs = models.BooleanField(
        _("社会事务科"),
        default=False,
        help_text=_("社会事务科抽查社区工作人员的走访，并可查看困难家庭的敏感信息。"),
    )

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("科室")
        verbose_name_plural = _("科室")
        ordering = ["street", "name"]
        constraints = [models.UniqueConstraint(fields=["street", "name"], name="department_unique_name")]

    def __str__(self) -> str:
        return self.name


class UserQuerySet(models.QuerySet):
    def visible_to(self, user) -> UserQuerySet:
        return self.filter(scope_q(user, street="street", community="community"))


class WenxinUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A member of street or community staff. The role decides duties; street/department/community decide scope."""

    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号码"), max_length=20, blank=True, validators=[validate_phone])
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices, default=Role.SOCIAL_WORKER)
    street = models.ForeignKey(
        "households.Street",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("街道"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("科室"),
    )
    community = models.ForeignKey(
        "households.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("村社"),
    )
    overseen_departments = models.ManyToManyField(
        Department,
        blank=True,
        related_name="leaders_in_charge",
        verbose_name=_("分管科室"),
        help_text=_("分管领导分管的科室。"),
    )

    objects = WenxinUserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        return self.full_name or self.username

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.role != Role.SYSTEM_ADMIN and not self.street_id:
            errors["street"] = _("除系统管理员外，每个用户都必须属于一个街道。")
        if self.role in roles.COMMUNITY_ROLES and not self.community_id:
            errors["community"] = _("社区主要领导和社工必须属于一个村社。")
        if self.role in roles.DEPARTMENT_ROLES and self.role != Role.LEADER_IN_CHARGE and not self.department_id:
            errors["department"] = _("科长和科室人员必须属于一个科室。")
        if self.community_id and self.street_id and self.community.street_id != self.street_id:
            errors["community"] = _("所属村社不在该用户的街道内。")
        if self.department_id and self.street_id and self.department.street_id != self.street_id:
            errors["department"] = _("所属科室不在该用户的街道内。")
        if errors:
            raise ValidationError(errors)

    # Role properties: the only place role values are compared.
    @property
    def sees_everything(self) -> bool:
        return self.is_superuser or self.role == Role.SYSTEM_ADMIN

    @property
    def sees_whole_street(self) -> bool:
        return self.role in roles.STREET_WIDE_ROLES

    @property
    def is_community_scoped(self) -> bool:
        return self.role == Role.COMMUNITY_LEADER

    @property
    def is_social_worker(self) -> bool:
        return self.role == Role.SOCIAL_WORKER

    @property
    def is_community_leader(self) -> bool:
        return self.role == Role.COMMUNITY_LEADER

    @property
    def is_street_leader(self) -> bool:
        return self.role == Role.STREET_LEADER

    @property
    def can_edit_registry(self) -> bool:
        return self.is_superuser or self.role in roles.REGISTRY_EDITOR_ROLES

    @property
    def can_import_registry(self) -> bool:
        return self.is_superuser or self.role in roles.REGISTRY_IMPORT_ROLES

    @property
    def can_see_sensitive_data(self) -> bool:
        """Full ID numbers and disabilities: own area, community leaders, Social Affairs, street leaders."""
        if self.is_superuser or self.role in roles.SENSITIVE_DATA_ROLES:
            return True
        return self.role in roles.DEPARTMENT_ROLES and bool(self.department_id) and self.department.is_social_affairs

    @property
    def can_log_visits(self) -> bool:
        """Staff who belong to a street write visits into the diary; an administrator without one does not."""
        return self.is_authenticated and self.is_active and bool(self.street_id)

    @property
    def can_review_quotas(self) -> bool:
        return self.is_superuser or self.role in roles.QUOTA_REVIEW_ROLES

    @property
    def can_review_service_days(self) -> bool:
        return self.is_superuser or self.role in roles.SERVICE_DAY_REVIEW_ROLES

    @property
    def is_section_chief(self) -> bool:
        return self.role == Role.SECTION_CHIEF

    @property
    def is_leader_in_charge(self) -> bool:
        return self.role == Role.LEADER_IN_CHARGE

    @property
    def can_record_subsidies(self) -> bool:
        """Those who see subsidies record them, except street leaders, who read them."""
        return self.can_see_sensitive_data and not self.is_street_leader

    @property
    def can_record_meetings(self) -> bool:
        """Anyone of a street records the listening meetings of her scope; the service checks the unit."""
        return self.can_log_visits

    @property
    def can_dispatch_opinions(self) -> bool:
        """Sort, split and assign opinions: leaders, section chiefs and community leaders."""
        return self.is_superuser or self.role in roles.OPINION_DISPATCH_ROLES

    @property
    def can_review_meetings(self) -> bool:
        """The cadence calendar and the opinion figures: leaders and community leaders."""
        return self.is_superuser or self.role in roles.MEETING_REVIEW_ROLES

    @property
    def can_hold_topic_meetings(self) -> bool:
        return self.is_superuser or self.role in roles.TOPIC_MEETING_ROLES

    @property
    def can_review_assessment(self) -> bool:
        """The three-musts compliance and the quarterly scorecard: those who review quotas."""
        return self.can_review_quotas

    @property
    def can_verify_visits(self) -> bool:
        """核实检查: a community main leader verifies his community's staff's visits."""
        return self.is_community_leader and bool(self.community_id)

    @property
    def uses_admin_site(self) -> bool:
        return self.is_superuser or self.role in roles.ADMIN_SITE_ROLES


class AuditEntryQuerySet(models.QuerySet):
    def visible_to(self, user) -> AuditEntryQuerySet:
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self
        if user.is_street_leader:
            return self.filter(actor__street_id=user.street_id)
        return self.none()


class AuditEntry(models.Model):
    """One recorded change to, or reveal of, sensitive data; written by services in the same transaction."""

    class Action(models.TextChoices):
        CREATE = "create", _("新建")
        UPDATE = "update", _("修改")
        ARCHIVE = "archive", _("归档")
        REVEAL = "reveal", _("查看完整信息")
        IMPORT = "import", _("导入")
        EXPORT = "export", _("导出")

    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="audit_entries",
        verbose_name=_("操作人"),
    )
    action = models.CharField(_("操作"), max_length=20, choices=Action.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("对象类型"))
    object_id = models.CharField(_("对象编号"), max_length=40)
    object_repr = models.CharField(_("对象"), max_length=200)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"


class BackgroundJobQuerySet(models.QuerySet):
    def visible_to(self, user) -> BackgroundJobQuerySet:
        """Her own jobs; a system administrator sees every job's progress (never its file: see owned_by)."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        if user.sees_everything:
            return self
        return self.filter(user=user)

    def owned_by(self, user) -> BackgroundJobQuerySet:
        """The jobs the user started: the only ones whose result she may download."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        return self.filter(user=user)

    def unfinished(self) -> BackgroundJobQuerySet:
        return self.filter(status__in=[BackgroundJob.Status.QUEUED, BackgroundJob.Status.RUNNING])


class BackgroundJob(models.Model):
    """Long work (an import, a large export) that the worker runs, with how far it got and its outcome.

    The task of Django's tasks framework gets only this row's id; the page that polls it reads done/total and
    the message from here, and a file the job produced is kept here (not on disk) until the job is pruned.
    """

    class Kind(models.TextChoices):
        HOUSEHOLD_IMPORT = "household_import", _("户籍导入")
        HOUSEHOLD_EXPORT = "household_export", _("户籍导出")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("进行中")
        SUCCEEDED = "succeeded", pgettext_lazy("后台任务", "已完成")
        FAILED = "failed", _("失败")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="background_jobs", verbose_name=_("发起人")
    )
    kind = models.CharField(_("类型"), max_length=30, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    language = models.CharField(_("语言"), max_length=10, default="zh-hans")
    done = models.PositiveIntegerField(pgettext_lazy("后台任务", "已处理"), default=0)
    total = models.PositiveIntegerField(_("总数"), default=0)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    result_url = models.CharField(_("结果页面"), max_length=200, blank=True)
    result_name = models.CharField(_("结果文件名"), max_length=200, blank=True)
    result_file = models.BinaryField(_("结果文件"), null=True, blank=True)
    result_size = models.PositiveIntegerField(_("结果文件大小"), default=0)
    task_id = models.CharField(_("任务编号"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    objects = BackgroundJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("jobs:detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def has_file(self) -> bool:
        return self.status == self.Status.SUCCEEDED and bool(self.result_name)

    @property
    def status_tone(self) -> str:
        """The Bootstrap colour of the status badge and bar."""
        return {
            self.Status.QUEUED: "secondary",
            self.Status.RUNNING: "primary",
            self.Status.SUCCEEDED: "success",
            self.Status.FAILED: "danger",
        }[self.status]

    @property
    def waiting_long(self) -> bool:
        """Queued for over a minute: the worker is probably not running."""
        return self.status == self.Status.QUEUED and timezone.now() - self.created_at > datetime.timedelta(minutes=1)

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, self.done * 100 // self.total)
