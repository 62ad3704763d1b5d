"""Writes shared by every app: the audit record."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from wenxin.models import AuditEntry, User
from wenxin.roles import group_name


def audit_record(
    *, actor: User | None, action: str, obj: models.Model, changes: dict[str, Any] | None = None
) -> AuditEntry:
    """Write one audit entry; call it inside the transaction of the change it records."""
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=changes or {},
    )


def audit_export(*, actor: User, page: str, filters: dict[str, str], households: int) -> AuditEntry:
    """Record who took which households' list home, and with which filters (as the registry export does)."""
    return audit_record(
        actor=actor,
        action=AuditEntry.Action.EXPORT,
        obj=actor,
        changes={"page": page, "filters": filters, "households": households},
    )


def field_changes(instance: models.Model, data: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the plain fields in `data` whose value differs, as strings for the audit log."""
    changes = {}
    for name, new in data.items():
        old = getattr(instance, name)
        if old != new:
            changes[name] = [_as_text(old), _as_text(new)]
    return changes


def _as_text(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, models.Model):
        return str(value)
    return str(value)


@transaction.atomic
def user_sync_role(*, user: User) -> User:
    """Put the user in exactly the group of their role, and let admin-site roles into the admin."""
    group, _created = Group.objects.get_or_create(name=group_name(user.role))
    role_groups = Group.objects.filter(name__startswith="role:")
    user.groups.remove(*role_groups.exclude(pk=group.pk))
    user.groups.add(group)
    if user.is_staff != user.uses_admin_site:
        user.is_staff = user.uses_admin_site
        user.save(update_fields=["is_staff"])
    return user
