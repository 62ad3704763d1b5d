"""Writes to the visit diary and its rules. Each runs in one transaction with its audit record."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from households.models import (
    AssistancePlan,
    Community,
    Enterprise,
    Estate,
    Household,
    OwnersCommittee,
    PairedVillage,
    PlanSection,
    PropertyCompany,
)
from households.services import plan_record_sections
from visits.models import Visit
from wenxin.models import AuditEntry, User
from wenxin.services import audit_record, field_changes

# The registry each target field points into; a visit may only be to something the visitor can see.
TARGET_MODELS = {
    "household": Household,
    "estate": Estate,
    "enterprise": Enterprise,
    "owners_committee": OwnersCommittee,
    "property_company": PropertyCompany,
    "paired_village": PairedVillage,
    "target_community": Community,
}
DIARY_FIELDS = (
    "met_whom",
    "situation",
    "living_conditions",
    "state_of_mind",
    "difficulty",
    "action_taken",
    "follow_up_needed",
    "follow_up_by",
)


def _place_of(visit: Visit, visitor: User) -> tuple[int, int | None]:
    """The street and community a visit belongs to: its target's, or for street-level targets the visitor's."""
    target = visit.target
    if isinstance(target, Household):
        community = target.grid_area.community
    elif isinstance(target, Estate):
        community = target.community
    elif isinstance(target, OwnersCommittee):
        community = target.estate.community
    elif isinstance(target, Community):
        community = target
    elif isinstance(target, Enterprise) and target.community_id:
        community = target.community
    else:
        street_id = getattr(target, "street_id", None) or visitor.street_id
        return street_id, visitor.community_id
    return community.street_id, community.pk


def check_target_in_scope(visit: Visit, visitor: User, *, new_target: bool = True) -> None:
    """The visit's target is something the visitor may see; a new household target must still be registered.

    Public so that forms (the admin's) can show the refusal beside the field before saving.
    """
    field = Visit.TARGET_FIELD.get(visit.kind)
    target_id = getattr(visit, f"{field}_id", None) if field else None
    if target_id and not TARGET_MODELS[field].objects.visible_to(visitor).filter(pk=target_id).exists():
        raise ValidationError({field: _("走访对象不在您的管辖范围内。")})
    # A typo fix to last year's visit must still be possible after the household moved out.
    if new_target and isinstance(visit.target, Household) and not visit.target.is_active:
        raise ValidationError({"household": _("该户已迁出，不能再记录走访。")})


def check_companions(companions: Iterable[User], visitor: User) -> list[User]:
    """The companions other than the visitor, each a colleague the visitor may see."""
    companions = [c for c in companions if c.pk != visitor.pk]
    visible = set(
        User.objects.visible_to(visitor).filter(pk__in=[c.pk for c in companions]).values_list("pk", flat=True)
    )
    if any(c.pk not in visible for c in companions):
        raise ValidationError({"companions": _("同行人员不在您的管辖范围内。")})
    return companions


@transaction.atomic
def visit_create(
    *,
    visitor: User,
    visited_on: datetime.date,
    kind: str,
    companions: Iterable[User] = (),
    update_plan: bool = False,
    **fields: Any,
) -> Visit:
    """Write a visit into the visitor's diary: to something in her scope, not in the future.

    update_plan: also record what she found (living conditions, state of mind) in the household's
    one-household-one-plan, in the same transaction.
    """
    unknown = set(fields) - set(DIARY_FIELDS) - set(Visit.TARGET_FIELDS)
    if unknown:
        raise TypeError(f"unknown visit fields: {sorted(unknown)}")
    visit = Visit(visitor=visitor, visited_on=visited_on, kind=kind, **fields)
    # The model's own rules first (a target for the kind, no future date), then scope.
    visit.full_clean(exclude=["street", "community"])
    check_target_in_scope(visit, visitor)
    visit.street_id, visit.community_id = _place_of(visit, visitor)
    companions = check_companions(companions, visitor)
    visit.save()
    visit.companions.set(companions)
    audit_record(actor=visitor, action=AuditEntry.Action.CREATE, obj=visit)
    if update_plan and visit.household_id:
        plan = AssistancePlan.objects.filter(household_id=visit.household_id).first()
        if plan is None:
            raise ValidationError({"household": _("该户还没有一户一策，请先建立。")})
        plan_record_sections(
            actor=visitor,
            plan=plan,
            sections={PlanSection.Must.LIVING: visit.living_conditions, PlanSection.Must.MIND: visit.state_of_mind},
            source_visit=visit,
        )
    return visit


@transaction.atomic
def visit_update(*, actor: User, visit: Visit, data: dict[str, Any], companions: Iterable[User] | None = None) -> Visit:
    """Change a diary entry; only its author (or a worker of its household) until it is spot-checked."""
    # Locked, so a spot-check that lands meanwhile is seen, and the comparison is with what is stored.
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if not Visit.objects.editable_by(actor).filter(pk=visit.pk).exists():
        if visit.is_spot_checked:
            raise ValidationError(_("这条走访记录已被抽查，不能再修改。"))
        raise PermissionDenied
    allowed = {"visited_on", "kind", *DIARY_FIELDS, *Visit.TARGET_FIELDS}
    if set(data) - allowed:
        raise TypeError(f"unknown visit fields: {sorted(set(data) - allowed)}")
    changes = field_changes(visit, data)
    for name, value in data.items():
        setattr(visit, name, value)
    visit.full_clean(exclude=["street", "community"])
    check_target_in_scope(visit, actor, new_target=bool({"kind", *Visit.TARGET_FIELDS} & set(changes)))
    visit.street_id, visit.community_id = _place_of(visit, visit.visitor)
    if changes:
        fields = [f"{name}_id" if name in Visit.TARGET_FIELDS else name for name in changes]
        visit.save(update_fields=[*fields, "street", "community", "updated_at"])
    if companions is not None:
        companions = check_companions(companions, visit.visitor)
        before = sorted(visit.companions.values_list("pk", flat=True))
        if before != sorted(c.pk for c in companions):
            visit.companions.set(companions)
            changes["companions"] = [before, sorted(c.pk for c in companions)]
    if changes:
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=visit, changes=changes)
    return visit
