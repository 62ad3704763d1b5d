"""Admin pages of the four listenings and the opinion pipeline, every one scoped by visible_to(user).

The kinds of meeting (with their cadence) and the opinion categories are the office's data: system
administrators and street leaders add and change them here, and retire one by unticking "启用" (rows that
opinions and meetings point to are never deleted). Meetings, opinions and topic meetings are records written on
the product pages through feedback.services, which keep each opinion's history (OpinionEvent) and the audit log;
here leaders look them up, filter and search them, and follow a link to the page where the work is done.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from feedback.models import Meeting, MeetingKind, Opinion, OpinionCategory, OpinionEvent, TopicMeeting
from wenxin.admin_base import ReadOnlyAdminMixin, ScopedAdmin, ScopedTabularInline


def _product_link(url: str, text: str) -> str:
    return format_html('<a class="button" href="{}">{}</a>', url, text)


def _opinion_count(field: str) -> Coalesce:
    """How many opinions point to the row, as a subquery: a join would be spoilt by visible_to's own filters."""
    counts = (
        Opinion.objects.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(counts, output_field=models.IntegerField()), 0)


# --- The office's data: kinds of meeting and opinion categories ------------------------------------------------


class _RetireNotDeleteMixin:
    """Meetings and opinions point to these rows: they are retired (is_active), never deleted."""

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


@admin.register(MeetingKind)
class MeetingKindAdmin(_RetireNotDeleteMixin, ScopedAdmin):
    list_display = ("name", "code", "held_by", "host", "cadence", "sort_order", "is_active")
    list_filter = ("held_by", "is_active")
    search_fields = ("name", "code", "host")
    fields = ("name", "code", "held_by", "host", "cadence_months", "sort_order", "is_active")
    ordering = ("sort_order", "name")

    def get_readonly_fields(self, request: HttpRequest, obj: MeetingKind | None = None) -> tuple[str, ...]:
        # Code looks the seeded kinds up (the cadence calendar, the online channel): set once, then kept.
        return ("code",) if obj is not None else ()

    @admin.display(description=_("频次"), ordering="cadence_months")
    def cadence(self, obj: MeetingKind) -> str:
        if obj.cadence_months is None:
            return _("随时")
        if obj.cadence_months == 12:
            return _("每年")
        return _("每%(months)s个月") % {"months": obj.cadence_months}


@admin.register(OpinionCategory)
class OpinionCategoryAdmin(_RetireNotDeleteMixin, ScopedAdmin):
    list_display = ("name", "group", "sort_order", "is_active")
    list_filter = ("group", "is_active")
    search_fields = ("name",)
    fields = ("name", "group", "sort_order", "is_active")
    ordering = ("group", "sort_order", "name")


# --- Records written on the product pages ----------------------------------------------------------------------


class _OpinionRowsInline(ScopedTabularInline):
    """Opinions of a meeting, topic meeting or split opinion, as the user may see them; each links to its page."""

    model = Opinion
    fields = ("short_text", "source", "category", "status", "responsible", "due_on")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Opinion]:
        return super().get_queryset(request).select_related("category", "responsible")

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    @admin.display(description=_("意见建议"))
    def short_text(self, obj: Opinion) -> str:
        return _short(obj.text)


def _short(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[:length] + "…"


class MeetingOpinionInline(_OpinionRowsInline):
    fk_name = "meeting"
    verbose_name_plural = _("会上收集的意见建议")


class TopicOpinionInline(_OpinionRowsInline):
    fk_name = "topic_meeting"
    verbose_name_plural = _("研究的意见建议")


class OpinionPartInline(_OpinionRowsInline):
    fk_name = "parent"
    verbose_name_plural = _("分解出的意见建议")


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    """Meetings are recorded and edited on the meeting pages (meeting_create/meeting_update, audited)."""

    list_display = ("held_on", "kind", "unit", "place", "topic", "attendees", "opinion_count")
    list_select_related = ("kind", "community", "street")
    list_filter = ("kind", "community", "street")
    search_fields = ("place", "topic", "host_unit", "minutes")
    date_hierarchy = "held_on"
    ordering = ("-held_on", "-pk")
    fieldsets = (
        (None, {"fields": ("product_page",)}),
        (_("会议"), {"fields": ("kind", "held_on", "street", "community", "place", "host_unit", "topic")}),
        (_("参会人员"), {"fields": (*Meeting.ATTENDEE_FIELDS, "attendees")}),
        (_("会议纪要"), {"fields": ("minutes",)}),
        (_("记录信息"), {"fields": ("recorded_by", "created_at", "updated_at")}),
    )
    readonly_fields = ("product_page", "attendees")
    inlines = [MeetingOpinionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Meeting]:
        return super().get_queryset(request).annotate(opinions_collected=_opinion_count("meeting"))

    @admin.display(description=_("召开单位"), ordering="community__name")
    def unit(self, obj: Meeting) -> str:
        return obj.community.name if obj.community_id else obj.street.name

    @admin.display(description=_("参会人数"))
    def attendees(self, obj: Meeting) -> int:
        return obj.attendee_total

    @admin.display(description=_("意见建议"), ordering="opinions_collected")
    def opinion_count(self, obj: Meeting) -> int:
        return obj.opinions_collected

    @admin.display(description=_("业务页面"))
    def product_page(self, obj: Meeting) -> str:
        return _product_link(reverse("feedback:meeting_detail", args=[obj.pk]), _("打开会议页面"))


class OverdueFilter(admin.SimpleListFilter):
    """Assigned or in progress and past the completion date, by the office's today (OpinionQuerySet.overdue)."""

    title = _("逾期")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", _("已逾期"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Opinion]) -> QuerySet[Opinion]:
        if self.value() == "yes":
            return queryset.overdue(timezone.localdate())
        return queryset


class OpinionEventInline(admin.TabularInline):
    """The opinion's history, never edited; shown whenever the opinion is (its page is already scoped)."""

    model = OpinionEvent
    fields = ("at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("at", "pk")

    def get_queryset(self, request: HttpRequest) -> QuerySet[OpinionEvent]:
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


@admin.register(Opinion)
class OpinionAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    """Opinions move along their workflow on the opinion pages (sort, split, assign, start, resolve, explain), each
    step an OpinionEvent and an audit entry; here they are found and read, with their history."""

    list_display = (
        "number",
        "short_text",
        "source",
        "category",
        "status",
        "community",
        "responsible",
        "due_on",
        "overdue",
    )
    list_display_links = ("number", "short_text")
    list_select_related = ("category", "community", "responsible")
    list_filter = ("status", "source", "category", OverdueFilter, "community")
    search_fields = ("text", "location", "raised_by", "estate__name")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
    # Counting every opinion in scope again for "n total" costs a query over the whole table on each page.
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("product_page",)}),
        (
            _("意见建议"),
            {
                "fields": (
                    "text",
                    "source",
                    "meeting",
                    "visit",
                    "enterprise",
                    "paired_village",
                    "raised_by",
                    "contact",
                    "community",
                    "estate",
                    "location",
                    "created_by",
                    "created_at",
                )
            },
        ),
        (
            _("办理"),
            {
                "fields": (
                    "status",
                    "category",
                    "parent",
                    "topic_meeting",
                    "leader_in_charge",
                    "department",
                    "responsible",
                    "due_on",
                    "overdue",
                    "resolution",
                    "explanation",
                    "closed_at",
                )
            },
        ),
        (_("其他"), {"fields": ("tracking_code", "street", "updated_at")}),
    )
    readonly_fields = ("product_page", "overdue")
    inlines = [OpinionPartInline, OpinionEventInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Opinion]:
        # The change page reads every relation of one opinion; fetch them with it.
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name == "feedback_opinion_change":
            queryset = queryset.select_related(
                "meeting__kind",
                "visit",
                "enterprise",
                "paired_village",
                "community",
                "estate",
                "category",
                "parent",
                "topic_meeting",
                "leader_in_charge",
                "department",
                "responsible",
                "created_by",
                "street",
            )
        return queryset

    @admin.display(description=_("编号"), ordering="pk")
    def number(self, obj: Opinion) -> str:
        return f"#{obj.pk}"

    @admin.display(description=_("意见建议"))
    def short_text(self, obj: Opinion) -> str:
        return _short(obj.text)

    @admin.display(description=_("逾期"), boolean=True)
    def overdue(self, obj: Opinion) -> bool:
        return obj.is_overdue(timezone.localdate())

    @admin.display(description=_("业务页面"))
    def product_page(self, obj: Opinion) -> str:
        return _product_link(reverse("feedback:detail", args=[obj.pk]), _("在业务页面办理"))


@admin.register(TopicMeeting)
class TopicMeetingAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    """Topic meetings are held on the topic pages (topic_meeting_create), which also link the opinions taken up."""

    list_display = ("held_on", "title", "chaired_by", "opinion_count")
    list_select_related = ("chaired_by",)
    search_fields = ("title", "attendees", "decisions")
    date_hierarchy = "held_on"
    ordering = ("-held_on", "-pk")
    fields = ("product_page", "title", "held_on", "chaired_by", "attendees", "decisions", "recorded_by", "created_at")
    readonly_fields = ("product_page",)
    inlines = [TopicOpinionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[TopicMeeting]:
        return super().get_queryset(request).annotate(opinions_taken_up=_opinion_count("topic_meeting"))

    @admin.display(description=_("意见建议"), ordering="opinions_taken_up")
    def opinion_count(self, obj: TopicMeeting) -> int:
        return obj.opinions_taken_up

    @admin.display(description=_("业务页面"))
    def product_page(self, obj: TopicMeeting) -> str:
        return _product_link(reverse("feedback:topic_detail", args=[obj.pk]), _("打开专题会议页面"))
