"""The audit trail in the admin: django-auditlog's LogEntry pages, read-only and for trail readers only.

auditlog registers an admin for LogEntry that any user with its view permission may list whole. This one replaces
it: only street leaders and system administrators (wenxin.audit.can_read_audit_trail) open it, a street leader
sees the entries of the records she sees, and nobody adds, changes or deletes an entry.
"""

from __future__ import annotations

# auditlog.admin registers its LogEntryAdmin when imported; importing it here first lets us replace it, and
# admin autodiscovery then finds the module already imported.
from auditlog.admin import LogEntryAdmin as AuditlogLogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from wenxin.admin_base import ReadOnlyAdminMixin
from wenxin.audit import can_read_audit_trail, logentries_visible_to

admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class TrailEntryAdmin(ReadOnlyAdminMixin, AuditlogLogEntryAdmin):
    """Row changes recorded by django-auditlog: listed and viewed by trail readers, never edited."""

    search_fields = ["object_repr", "actor__username", "actor__full_name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[LogEntry]:
        self.request = request  # auditlog's list columns read it
        return logentries_visible_to(request.user).select_related("content_type", "actor")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_read_audit_trail(request.user) and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        if not self.has_module_permission(request):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()
