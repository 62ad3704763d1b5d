"""Writes to the household registry. Each runs in one transaction with its audit record."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from households.models import Estate, GridArea, Household, HouseholdCategory, Resident
from wenxin.models import AuditEntry, User
from wenxin.services import audit_record, field_changes
from wenxin.validators import birth_date_from_id, gender_from_id, normalize_id_number

# Resident fields whose changes are recorded value by value; the ID number is recorded masked.
SENSITIVE_RESIDENT_FIELDS = {"id_number", "disability", "disability_grade"}


def _check_place_in_scope(*, actor: User, estate: Estate, grid_area: GridArea) -> None:
    if not Estate.objects.visible_to(actor).filter(pk=estate.pk).exists():
        raise ValidationError({"estate": _("该小区不在您的管辖范围内。")})
    if not GridArea.objects.visible_to(actor).filter(pk=grid_area.pk).exists():
        raise ValidationError({"grid_area": _("该网格不在您的管辖范围内。")})


def _fill_from_id_number(resident: Resident) -> None:
    """Birth date and gender follow from a valid ID number; typed values never contradict it."""
    resident.id_number = normalize_id_number(resident.id_number)
    if len(resident.id_number) == 18:
        born = birth_date_from_id(resident.id_number)
        if born:
            resident.birth_date = born
            resident.gender = gender_from_id(resident.id_number)


@transaction.atomic
def household_create(
    *,
    actor: User,
    estate: Estate,
    grid_area: GridArea,
    building: str,
    room: str,
    unit: str = "",
    phone: str = "",
    note: str = "",
    categories: Iterable[HouseholdCategory] = (),
    head: dict[str, Any] | None = None,
) -> Household:
    """Register a household in the actor's scope, with its head of household if given."""
    if not actor.can_edit_registry:
        raise PermissionDenied
    _check_place_in_scope(actor=actor, estate=estate, grid_area=grid_area)
    household = Household(
        estate=estate, grid_area=grid_area, building=building, unit=unit, room=room, phone=phone, note=note
    )
    household.full_clean()
    household.save()
    household.categories.set(categories)
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=household,
        changes={"categories": [c.name for c in household.categories.all()]},
    )
    if head:
        resident_create(actor=actor, household=household, **{**head, "relation": Resident.Relation.HEAD})
    return household


@transaction.atomic
def household_update(
    *, actor: User, household: Household, data: dict[str, Any], categories: Iterable[HouseholdCategory] | None = None
) -> Household:
    """Change a household's address, phone, note or categories; only the changed fields are written."""
    if not Household.objects.editable_by(actor).filter(pk=household.pk).exists():
        raise PermissionDenied
    changes = field_changes(household, data)
    for name, value in data.items():
        setattr(household, name, value)
    if "estate" in data or "grid_area" in data:
        _check_place_in_scope(actor=actor, estate=household.estate, grid_area=household.grid_area)
    household.full_clean()
    if changes:
        fields = [f"{name}_id" if name in {"estate", "grid_area"} else name for name in changes]
        household.save(update_fields=[*fields, "updated_at"])
    if categories is not None:
        before = sorted(c.name for c in household.categories.all())
        household.categories.set(categories)
        after = sorted(c.name for c in categories)
        if before != after:
            changes["categories"] = [before, after]
    if changes:
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=household, changes=changes)
    return household


@transaction.atomic
def household_archive(*, actor: User, household: Household, moved_out_on: datetime.date, reason: str) -> Household:
    """Mark a household as moved out. Households are never deleted: their visits and plans stay readable."""
    if not Household.objects.editable_by(actor).filter(pk=household.pk).exists():
        raise PermissionDenied
    if not household.is_active:
        raise ValidationError(_("该户已迁出。"))
    household.status = Household.Status.MOVED_OUT
    household.moved_out_on = moved_out_on
    household.moved_out_reason = reason
    household.save(update_fields=["status", "moved_out_on", "moved_out_reason", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEntry.Action.ARCHIVE,
        obj=household,
        changes={"moved_out_on": str(moved_out_on), "reason": reason},
    )
    return household


def _resident_audit_changes(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    # The audit log must not become a second copy of the ID numbers it protects.
    if "id_number" in changes:
        from wenxin.validators import mask_id_number

        changes["id_number"] = [mask_id_number(v or "") for v in changes["id_number"]]
    return changes


@transaction.atomic
def resident_create(*, actor: User, household: Household, **fields: Any) -> Resident:
    """Add a resident to a household the actor may edit."""
    if not Household.objects.editable_by(actor).filter(pk=household.pk).exists():
        raise PermissionDenied
    resident = Resident(household=household, **fields)
    _fill_from_id_number(resident)
    resident.full_clean()
    resident.save()
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=resident,
        changes=_resident_audit_changes(
            {k: [None, str(getattr(resident, k) or "")] for k in SENSITIVE_RESIDENT_FIELDS if getattr(resident, k)}
        ),
    )
    return resident


@transaction.atomic
def resident_update(*, actor: User, resident: Resident, data: dict[str, Any]) -> Resident:
    """Change a resident's details; changes to the ID number and disability are audited."""
    if not Household.objects.editable_by(actor).filter(pk=resident.household_id).exists():
        raise PermissionDenied
    if "id_number" in data:
        data = {**data, "id_number": normalize_id_number(data["id_number"])}
    changes = field_changes(resident, data)
    for name, value in data.items():
        setattr(resident, name, value)
    _fill_from_id_number(resident)
    resident.full_clean()
    if changes:
        resident.save(update_fields=sorted({*changes, "gender", "birth_date"}))
        audit_record(
            actor=actor, action=AuditEntry.Action.UPDATE, obj=resident, changes=_resident_audit_changes(changes)
        )
    return resident


@transaction.atomic
def id_number_reveal(*, actor: User, resident: Resident) -> str:
    """The full ID number, for those allowed to see it; each reveal is recorded."""
    if not actor.can_see_sensitive_data or not Resident.objects.visible_to(actor).filter(pk=resident.pk).exists():
        raise PermissionDenied
    audit_record(actor=actor, action=AuditEntry.Action.REVEAL, obj=resident, changes={"field": "id_number"})
    return resident.id_number
