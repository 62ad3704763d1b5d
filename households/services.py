"""Writes to the household registry. Each runs in one transaction with its audit record."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from households.models import (
    AssistanceMeasure,
    AssistancePair,
    AssistancePlan,
    Estate,
    GridArea,
    Household,
    HouseholdCategory,
    Initiative,
    PlanSection,
    PlanVersion,
    Resident,
    Subsidy,
)
from wenxin.concurrency import EditConflict, FieldChange, check_version, last_change, shown
from wenxin.models import AuditEntry, User
from wenxin.services import audit_record, field_changes
from wenxin.text import join_list
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


# The household's fields an edit page shows, as the page's initial data: what a conflict compares and re-shows.
HOUSEHOLD_EDIT_FIELDS = ("estate", "grid_area", "building", "unit", "room", "phone", "note")


def _lock_household(household: Household) -> None:
    """Reload the household under a row lock: a concurrent save waits here, then reads what the first stored."""
    household.refresh_from_db(from_queryset=Household.objects.select_for_update())


def household_edit_values(household: Household) -> dict[str, Any]:
    """The household as an edit page's initial data (ids for places, sorted ids for categories)."""
    values: dict[str, Any] = {
        name: getattr(household, f"{name}_id" if name in {"estate", "grid_area"} else name)
        for name in HOUSEHOLD_EDIT_FIELDS
    }
    values["categories"] = sorted(household.categories.values_list("pk", flat=True))
    return values


def household_conflict(
    household: Household,
    *,
    expected: int,
    data: dict[str, Any],
    categories: Iterable[HouseholdCategory] | None,
) -> EditConflict:
    """The refusal of a save made at `expected`: who changed the household last and when (the audit trail), and
    the fields this save would write whose stored value differs (a form adds the fields only the colleague changed).
    """
    last = last_change(household)
    known = {field.name for field in Household._meta.get_fields()}
    summary = join_list(_field_label(Household, name) for name in last.fields if name in known)
    changes = [
        FieldChange(label=_field_label(Household, name), theirs=shown(old), yours=shown(new))
        for name, (old, new) in field_changes(household, data).items()
    ]
    if categories is not None:
        stored = sorted(c.name for c in household.categories.all())
        typed = sorted(c.name for c in categories)
        if stored != typed:
            changes.append(
                FieldChange(
                    label=_field_label(Household, "categories"),
                    theirs=shown(join_list(stored)),
                    yours=shown(join_list(typed)),
                )
            )
    return EditConflict(
        record=_("该户的信息"),
        expected=expected,
        current=household.version,
        changed_by=last.by,
        changed_at=last.at or household.updated_at,
        summary=summary,
        changes=changes,
        current_values=household_edit_values(household),
    )


def _field_label(model: type, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


@transaction.atomic
def household_update(
    *,
    actor: User,
    household: Household,
    data: dict[str, Any],
    categories: Iterable[HouseholdCategory] | None = None,
    expected_version: int | None = None,
) -> Household:
    """Change a household's address, phone, note or categories; only the changed fields are written.

    `expected_version` is the version the edit page was opened at: if a colleague saved since, EditConflict and
    nothing is written. None (imports, the admin, internal callers) checks nothing; every change raises the
    version either way, under the row lock, so two saves at the same version cannot both succeed.
    """
    if not Household.objects.editable_by(actor).filter(pk=household.pk).exists():
        raise PermissionDenied
    _lock_household(household)
    check_version(
        expected=expected_version,
        current=household.version,
        conflict=lambda: household_conflict(household, expected=expected_version, data=data, categories=categories),
    )
    changes = field_changes(household, data)
    for name, value in data.items():
        setattr(household, name, value)
    if "estate" in data or "grid_area" in data:
        _check_place_in_scope(actor=actor, estate=household.estate, grid_area=household.grid_area)
    household.full_clean()
    if categories is not None:
        before = sorted(c.name for c in household.categories.all())
        household.categories.set(categories)
        after = sorted(c.name for c in categories)
        if before != after:
            changes["categories"] = [before, after]
    if changes:
        fields = [f"{name}_id" if name in {"estate", "grid_area"} else name for name in changes if name != "categories"]
        household.version += 1
        household.save(update_fields=[*fields, "version", "updated_at"])
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=household, changes=changes)
    return household


@transaction.atomic
def household_archive(*, actor: User, household: Household, moved_out_on: datetime.date, reason: str) -> Household:
    """Mark a household as moved out. Households are never deleted: their visits and plans stay readable."""
    if not Household.objects.editable_by(actor).filter(pk=household.pk).exists():
        raise PermissionDenied
    _lock_household(household)
    if not household.is_active:
        raise ValidationError(_("该户已迁出。"))
    household.status = Household.Status.MOVED_OUT
    household.moved_out_on = moved_out_on
    household.moved_out_reason = reason
    household.version += 1  # an edit page opened before the move-out is refused, not saved over it
    household.save(update_fields=["status", "moved_out_on", "moved_out_reason", "version", "updated_at"])
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
    # The same reveal as a read in the resident's row-change trail (an ACCESS entry), so her trail shows it too.
    from wenxin.audit import log_access

    log_access(actor=actor, instance=resident, field_name="id_number")
    return resident.id_number


# --- One household, one plan; pairing; subsidies; initiatives ------------------------------------------------------


def _plan_snapshot(plan: AssistancePlan) -> dict[str, Any]:
    return {
        "review_on": str(plan.review_on),
        "sections": {s.must: s.text for s in plan.sections.all()},
        "measures": [
            {
                "description": m.description,
                "responsible": str(m.responsible),
                "due_on": str(m.due_on),
                "status": m.status,
            }
            for m in plan.measures.select_related("responsible")
        ],
    }


def _plan_changed(*, actor: User, plan: AssistancePlan, change: str) -> None:
    """Every change to a plan becomes a new version in its history and an audit entry, in the same transaction."""
    # Lock the row and read the stored number: two people saving at once get versions n+1 and n+2, not both n+1.
    # (The services that check a page's version locked it already, before changing anything.)
    plan.version = AssistancePlan.objects.select_for_update().values_list("version", flat=True).get(pk=plan.pk) + 1
    plan.save(update_fields=["version", "updated_at"])
    PlanVersion.objects.create(
        plan=plan, number=plan.version, snapshot=_plan_snapshot(plan), saved_by=actor, change=change[:200]
    )
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=plan, changes={"change": change})


def _check_plan_editable(actor: User, plan: AssistancePlan) -> None:
    if not AssistancePlan.objects.editable_by(actor).filter(pk=plan.pk).exists():
        raise PermissionDenied


def plan_edit_values(plan: AssistancePlan) -> dict[str, Any]:
    """The plan as its edit page shows it: the review date and the text of each of the five musts."""
    return {
        "review_on": plan.review_on,
        "sections": dict(PlanSection.objects.filter(plan=plan).values_list("must", "text")),
    }


def _lock_plan(plan: AssistancePlan, expected_version: int | None) -> None:
    """Lock the plan's row, take its stored review date and version, and refuse a page opened at an older one.

    The lock comes before any change, so of two saves at the same version the second waits, then sees the
    first one's version and is refused (PostgreSQL re-reads a row locked FOR UPDATE once the other commits).
    """
    plan.review_on, plan.version = (
        AssistancePlan.objects.select_for_update().values_list("review_on", "version").get(pk=plan.pk)
    )
    check_version(
        expected=expected_version, current=plan.version, conflict=lambda: _plan_conflict(plan, expected_version)
    )


def _plan_conflict(plan: AssistancePlan, expected: int) -> EditConflict:
    """Who changed the plan since `expected`, when, and what (the plan's own history, PlanVersion)."""
    since = list(
        PlanVersion.objects.filter(plan=plan, number__gt=expected).select_related("saved_by").order_by("number")
    )
    last = since[-1] if since else None
    return EditConflict(
        record=_("该户的一户一策"),
        expected=expected,
        current=plan.version,
        changed_by=str(last.saved_by) if last else "",
        changed_at=last.saved_at if last else None,
        summary="；".join(version.change for version in since[-5:]),
        current_values=plan_edit_values(plan),
    )


@transaction.atomic
def plan_create(*, actor: User, household: Household, review_on: datetime.date) -> AssistancePlan:
    """Open the one-household-one-plan record of a key household in the actor's area."""
    if not actor.can_see_sensitive_data or not Household.objects.editable_by(actor).filter(pk=household.pk).exists():
        raise PermissionDenied
    if not household.is_active:
        raise ValidationError(_("该户已迁出，不再建立一户一策。"))
    if not household.categories.filter(is_key=True).exists():
        raise ValidationError(_("只有重点户（低保户、重点优抚对象、困难残疾人家庭等）才建立一户一策。"))
    if AssistancePlan.objects.filter(household=household).exists():
        raise ValidationError(_("该户已有一户一策。"))
    plan = AssistancePlan(household=household, review_on=review_on, version=0)
    plan.full_clean()
    plan.save()
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=plan)
    _plan_changed(actor=actor, plan=plan, change=_("建立一户一策"))
    return plan


@transaction.atomic
def plan_record_sections(
    *,
    actor: User,
    plan: AssistancePlan,
    sections: dict[str, str],
    source_visit=None,
    expected_version: int | None = None,
) -> AssistancePlan:
    """Record the texts of some of the five musts; unchanged or empty texts are left as they are.

    `expected_version`: the version the edit page was opened at (EditConflict if the plan moved on since);
    None for a visit recording a must, which opens no plan page.
    """
    _check_plan_editable(actor, plan)
    known = set(PlanSection.Must.values)
    if set(sections) - known:
        raise ValidationError(_("未知的“五个要”项目。"))
    _lock_plan(plan, expected_version)
    # Read under the lock, not from a prefetched copy: compared with what is stored now.
    existing = {s.must: s for s in PlanSection.objects.filter(plan=plan)}
    now = timezone.now()
    changed = []
    for must, text in sections.items():
        text = (text or "").strip()
        if not text or (must in existing and existing[must].text == text):
            continue
        section = existing.get(must) or PlanSection(plan=plan, must=must)
        section.text, section.recorded_by, section.recorded_at, section.source_visit = text, actor, now, source_visit
        section.full_clean(exclude=["plan"])
        section.save()
        changed.append(str(PlanSection.Must(must).label))
    if changed:
        _plan_changed(actor=actor, plan=plan, change=_("更新：%(musts)s") % {"musts": join_list(changed)})
    return plan


@transaction.atomic
def plan_set_review(
    *, actor: User, plan: AssistancePlan, review_on: datetime.date, expected_version: int | None = None
) -> AssistancePlan:
    """Set the date the plan is next reviewed (EditConflict if the page's `expected_version` is outdated)."""
    _check_plan_editable(actor, plan)
    _lock_plan(plan, expected_version)
    if review_on != plan.review_on:
        plan.review_on = review_on
        plan.save(update_fields=["review_on", "updated_at"])
        _plan_changed(actor=actor, plan=plan, change=_("复核日期改为 %(date)s") % {"date": review_on})
    return plan


@transaction.atomic
def measure_add(
    *, actor: User, plan: AssistancePlan, description: str, responsible: User, due_on: datetime.date
) -> AssistanceMeasure:
    """Add an assistance measure with its responsible person and due date."""
    _check_plan_editable(actor, plan)
    if not User.objects.visible_to(actor).filter(pk=responsible.pk).exists():
        raise ValidationError({"responsible": _("责任人不在您的管辖范围内。")})
    measure = AssistanceMeasure(plan=plan, description=description, responsible=responsible, due_on=due_on)
    measure.full_clean()
    measure.save()
    _plan_changed(actor=actor, plan=plan, change=_("新增帮扶措施：%(text)s") % {"text": description})
    return measure


@transaction.atomic
def measure_set_status(
    *,
    actor: User,
    measure: AssistanceMeasure,
    status: str,
    done_on: datetime.date | None = None,
    expected_version: int | None = None,
) -> AssistanceMeasure:
    """Move a measure along; a measure carried out needs the date it was done.

    The measure is part of its plan: `expected_version` is the plan's version the page showed, so a status
    changed by a colleague meanwhile is not silently changed again.
    """
    _check_plan_editable(actor, measure.plan)
    _lock_plan(measure.plan, expected_version)
    if status == AssistanceMeasure.Status.DONE and not done_on:
        raise ValidationError({"done_on": _("请填写完成日期。")})
    if done_on and done_on > timezone.localdate():
        raise ValidationError({"done_on": _("完成日期不能晚于今天。")})
    measure.status = status
    measure.done_on = done_on if status == AssistanceMeasure.Status.DONE else None
    measure.full_clean()
    measure.save(update_fields=["status", "done_on"])
    _plan_changed(
        actor=actor,
        plan=measure.plan,
        change=_("%(text)s：%(status)s") % {"text": measure.description, "status": measure.get_status_display()},
    )
    return measure


@transaction.atomic
def pair_create(
    *, actor: User, household: Household, staff: User, starts_on: datetime.date, ends_on: datetime.date | None = None
) -> AssistancePair:
    """Pair a member of staff with a household of the actor's area (帮扶结对)."""
    if not actor.can_see_sensitive_data or not Household.objects.editable_by(actor).filter(pk=household.pk).exists():
        raise PermissionDenied
    if not User.objects.visible_to(actor).filter(pk=staff.pk).exists():
        raise ValidationError({"staff": _("结对人不在您的管辖范围内。")})
    pair = AssistancePair(household=household, staff=staff, starts_on=starts_on, ends_on=ends_on)
    pair.full_clean()
    pair.save()
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=pair)
    return pair


@transaction.atomic
def pair_end(*, actor: User, pair: AssistancePair, ends_on: datetime.date) -> AssistancePair:
    """End a pairing on a date."""
    if (
        not actor.can_see_sensitive_data
        or not Household.objects.editable_by(actor).filter(pk=pair.household_id).exists()
    ):
        raise PermissionDenied
    changes = field_changes(pair, {"ends_on": ends_on})
    pair.ends_on = ends_on
    pair.full_clean()
    pair.save(update_fields=["ends_on"])
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=pair, changes=changes)
    return pair


@transaction.atomic
def subsidy_record(
    *,
    actor: User,
    household: Household,
    kind: str,
    amount: Decimal,
    paid_on: datetime.date,
    source: str,
    approved_by: str,
    note: str = "",
) -> Subsidy:
    """Record a hardship subsidy paid to a household, exact to the fen."""
    if not (actor.can_record_subsidies and _sees_private_records(actor, household)):
        raise PermissionDenied
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({"amount": _("金额最多精确到分（两位小数）。")})
    if amount <= 0:
        raise ValidationError({"amount": _("补助金额必须大于零。")})
    subsidy = Subsidy(
        household=household,
        kind=kind,
        amount=amount,
        paid_on=paid_on,
        source=source,
        approved_by=approved_by,
        note=note,
        recorded_by=actor,
    )
    subsidy.full_clean()
    subsidy.save()
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=subsidy,
        changes={"kind": kind, "amount": str(amount), "paid_on": str(paid_on)},
    )
    return subsidy


def _sees_private_records(actor: User, household: Household) -> bool:
    """Whether the actor may see this household's plan and subsidies."""
    return actor.can_see_sensitive_data and Household.objects.visible_to(actor).filter(pk=household.pk).exists()


@transaction.atomic
def initiative_save(
    *,
    actor: User,
    title: str,
    description: str,
    status: str,
    started_on: datetime.date | None = None,
    initiative: Initiative | None = None,
) -> Initiative:
    """Create or change a social worker's own innovation initiative (创新载体)."""
    if initiative is None:
        if not actor.is_social_worker:
            raise PermissionDenied
        initiative = Initiative(owner=actor)
    elif initiative.owner_id != actor.pk:
        raise PermissionDenied
    data = {"title": title, "description": description, "status": status, "started_on": started_on}
    changes = field_changes(initiative, data) if initiative.pk else {}
    for name, value in data.items():
        setattr(initiative, name, value)
    initiative.full_clean()
    action = AuditEntry.Action.UPDATE if initiative.pk else AuditEntry.Action.CREATE
    initiative.save()
    audit_record(actor=actor, action=action, obj=initiative, changes=changes)
    return initiative
