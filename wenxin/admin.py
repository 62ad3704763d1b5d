"""Admin pages of users, departments, the audit trail and the role groups, each scoped by visible_to(user)."""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from wenxin.admin_base import ReadOnlyAdminMixin, ScopedAdmin
from wenxin.models import AuditEntry, Department, User
from wenxin.services import user_sync_role
from wenxin.text import join_list

admin.site.site_header = _("文新一线工作法平台 · 管理后台")
admin.site.site_title = _("文新管理后台")
admin.site.index_title = _("数据管理")


@admin.register(User)
class UserAdmin(ScopedAdmin, DjangoUserAdmin):
    """Staff accounts. Groups and admin access follow the role (user_sync_role), so they are shown, not edited."""

    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("full_name", "phone", "email")}),
        (_("角色与范围"), {"fields": ("role", "street", "department", "community", "overseen_departments")}),
        (_("状态"), {"fields": ("is_active", "is_staff", "role_groups", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        (_("个人信息"), {"fields": ("full_name", "phone")}),
        (_("角色与范围"), {"fields": ("role", "street", "department", "community", "overseen_departments")}),
    )
    readonly_fields = ("is_staff", "role_groups", "last_login", "date_joined")
    list_display = ("username", "full_name", "role", "street", "community", "department", "phone", "is_active")
    list_select_related = ("street", "community", "department")
    list_filter = ("role", "is_active", "street", "community", "department")
    search_fields = ("username", "full_name", "phone", "email")
    filter_horizontal = ("overseen_departments",)
    ordering = ("username",)

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and request.user.is_superuser:
            # Only a superuser may make another one; a system administrator's role already sees everything.
            fieldsets = (*fieldsets, (_("超级用户"), {"fields": ("is_superuser",)}))
        return fieldsets

    @admin.display(description=_("权限组"))
    def role_groups(self, obj: User) -> str:
        return join_list(group.name for group in obj.groups.all())

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        user_sync_role(user=obj)


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    list_display = ("name", "street", "is_social_affairs")
    list_select_related = ("street",)
    list_filter = ("is_social_affairs", "street")
    search_fields = ("name", "street__name")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    """The audit trail is written by services only: nobody adds, changes or deletes an entry here."""

    list_display = ("created_at", "actor", "action", "content_type", "object_repr")
    list_select_related = ("actor", "content_type")
    list_filter = ("action", "content_type", "actor")
    search_fields = ("object_repr", "object_id", "actor__username", "actor__full_name")
    date_hierarchy = "created_at"
    fields = ("created_at", "actor", "action", "content_type", "object_id", "object_repr", "changes")
    readonly_fields = fields


# Importing django.contrib.auth.admin above registered its editable GroupAdmin; a read-only one replaces it.
admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Role groups are rebuilt from wenxin.roles.ROLE_PERMISSIONS after every migrate: shown here, never edited."""

    list_display = ("name",)
    search_fields = ("name",)
    ordering = ("name",)  # the autocomplete pages them, and paging an unordered list is not repeatable
    fields = ("name", "permissions")
    readonly_fields = fields


# django-axes' lockout records (system administrators read and clear them): newest first, so their lists and
# autocomplete pages are in a repeatable order.
def _order_newest_first(model, admin_class) -> None:
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(admin_class.__name__, (admin_class,), {"ordering": ("-pk",)}))


_order_newest_first(AccessAttempt, AccessAttemptAdmin)
_order_newest_first(AccessLog, AccessLogAdmin)
_order_newest_first(AccessFailureLog, AccessFailureLogAdmin)
