"""Writes of the assessment: spot-checks and their reproducible sample, verifications, evaluations.

Who may check whom follows DOMAIN "3 + 3": street main leaders check district-managed cadres; leaders in charge
check the staff of the departments they oversee; the Social Affairs Section checks community staff, and a community
main leader may check his own community's staff. Nobody checks or verifies a visit of their own.
"""

from __future__ import annotations

import datetime
import math
import random
import secrets
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import Evaluation, SpotCheck, SpotCheckItem, VisitVerification
from households.models import Community
from visits.models import Visit
from wenxin.audit import audit_update, log_bulk_created
from wenxin.models import AuditEntry, Department, User
from wenxin.roles import Role
from wenxin.services import audit_record, field_changes

# Whose visits each level checks.
LEVEL_ROLES = {
    SpotCheck.Level.CADRE: (Role.CADRE,),
    SpotCheck.Level.DEPARTMENT: (Role.DEPARTMENT_STAFF, Role.SECTION_CHIEF),
    SpotCheck.Level.COMMUNITY: (Role.SOCIAL_WORKER,),
}


# --- Who may check whom ----------------------------------------------------------------------------------------


def _is_social_affairs(user: User) -> bool:
    return bool(user.department_id) and user.department.is_social_affairs and user.role in LEVEL_ROLES["department"]


def check_may_spot_check(
    checker: User, *, level: str, department: Department | None = None, community: Community | None = None
) -> None:
    """Refuse, with the reason, a spot-check the checker may not run (DOMAIN "3 + 3")."""
    if not (checker.is_authenticated and checker.is_active):
        raise PermissionDenied
    if checker.sees_everything:
        return
    if department is not None and department.street_id != checker.street_id:
        raise ValidationError({"department": _("该科室不在您的街道。")})
    if community is not None and community.street_id != checker.street_id:
        raise ValidationError({"community": _("该村社不在您的街道。")})
    if level == SpotCheck.Level.CADRE:
        if not checker.is_street_leader:
            raise ValidationError({"level": _("区管干部的走访由街道主要领导抽查。")})
    elif level == SpotCheck.Level.DEPARTMENT:
        if checker.is_street_leader:
            return
        if not checker.is_leader_in_charge:
            raise ValidationError({"level": _("科室人员的走访由分管领导抽查。")})
        if department is not None and not checker.overseen_departments.filter(pk=department.pk).exists():
            raise ValidationError({"department": _("只能抽查您分管科室人员的走访。")})
    elif level == SpotCheck.Level.COMMUNITY:
        if checker.is_street_leader or _is_social_affairs(checker):
            return
        if checker.is_community_leader:
            if community is None or community.pk != checker.community_id:
                raise ValidationError({"community": _("社区主要领导只能抽查本村社工作人员的走访。")})
            return
        raise ValidationError({"level": _("村社工作人员的走访由社会事务科抽查。")})
    else:
        raise ValidationError({"level": _("请选择抽查层级。")})


def spot_check_population(spot_check: SpotCheck) -> QuerySet[Visit]:
    """The visits a spot-check draws from: the level's people, the period, never the checker's own.

    A visit the checker went along on is his own too: he would be confirming what he saw himself.
    """
    visits = (
        Visit.objects.filter(
            street_id=spot_check.street_id,
            visitor__role__in=LEVEL_ROLES[spot_check.level],
            visited_on__gte=spot_check.period_start,
            visited_on__lte=spot_check.period_end,
        )
        .exclude(visitor_id=spot_check.checker_id)
        .exclude(companions=spot_check.checker_id)
    )
    if spot_check.level == SpotCheck.Level.DEPARTMENT:
        if spot_check.department_id:
            visits = visits.filter(visitor__department_id=spot_check.department_id)
        elif spot_check.checker.is_leader_in_charge:
            visits = visits.filter(visitor__department__in=spot_check.checker.overseen_departments.values("pk"))
    if spot_check.level == SpotCheck.Level.COMMUNITY and spot_check.community_id:
        visits = visits.filter(visitor__community_id=spot_check.community_id)
    return visits


# --- The sample -------------------------------------------------------------------------------------------------


def sample_size(*, mode: str, value: int, population: int, people: int) -> int:
    """How many visits to draw: the asked count or share, at least one per person, at most the population."""
    asked = value if mode == SpotCheck.SampleMode.COUNT else math.ceil(population * value / 100)
    return min(population, max(asked, people))


def draw_sample(visits_by_person: Mapping[int, Sequence[int]], *, size: int, seed: int) -> list[int]:
    """A stratified random sample of visit ids: one visit of every person, the rest drawn from all remaining.

    Deterministic for the same input and seed (people and visits are sorted first), so a draw can be repeated
    and audited from the stored seed.
    """
    rng = random.Random(seed)
    chosen: list[int] = []
    rest: list[int] = []
    for person in sorted(visits_by_person):
        ids = sorted(visits_by_person[person])
        if not ids:
            continue
        pick = rng.choice(ids)
        chosen.append(pick)
        rest.extend(i for i in ids if i != pick)
    extra = max(0, min(size, len(chosen) + len(rest)) - len(chosen))
    chosen.extend(rng.sample(rest, extra))
    return sorted(chosen)


@transaction.atomic
def spot_check_create(
    *,
    checker: User,
    level: str,
    period_start: datetime.date,
    period_end: datetime.date,
    sample_value: int,
    sample_mode: str = SpotCheck.SampleMode.COUNT,
    department: Department | None = None,
    community: Community | None = None,
    note: str = "",
) -> SpotCheck:
    """Set up a spot-check of one level's visits in a period; the sample is drawn separately."""
    check_may_spot_check(checker, level=level, department=department, community=community)
    street_id = checker.street_id or (
        community.street_id if community else department.street_id if department else None
    )
    spot_check = SpotCheck(
        street_id=street_id,
        level=level,
        department=department,
        community=community,
        period_start=period_start,
        period_end=period_end,
        sample_mode=sample_mode,
        sample_value=sample_value,
        checker=checker,
        note=note,
    )
    spot_check.full_clean()
    spot_check.save()
    audit_record(actor=checker, action=AuditEntry.Action.CREATE, obj=spot_check)
    return spot_check


SPOT_CHECK_FIELDS = (
    "level",
    "department",
    "community",
    "period_start",
    "period_end",
    "sample_mode",
    "sample_value",
    "note",
)


@transaction.atomic
def spot_check_update(*, actor: User, spot_check: SpotCheck, **fields: Any) -> SpotCheck:
    """Change a spot-check's set-up until its sample is drawn; after the draw only its note, so the draw stays
    reproducible from what is stored."""
    unknown = set(fields) - set(SPOT_CHECK_FIELDS)
    if unknown:
        raise TypeError(f"unknown spot-check fields: {sorted(unknown)}")
    spot_check = SpotCheck.objects.select_for_update().get(pk=spot_check.pk)
    if actor.pk != spot_check.checker_id and not actor.sees_everything:
        raise ValidationError(_("只有抽查人本人可以修改抽查。"))
    changes = field_changes(spot_check, fields)
    if not changes:
        return spot_check
    if spot_check.is_drawn and set(changes) - {"note"}:
        raise ValidationError(_("已经抽样的抽查只能修改说明。"))
    for name in changes:
        setattr(spot_check, name, fields[name])
    check_may_spot_check(
        actor, level=spot_check.level, department=spot_check.department, community=spot_check.community
    )
    spot_check.full_clean()
    spot_check.save(update_fields=list(changes))
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=spot_check, changes=changes)
    return spot_check


@transaction.atomic
def spot_check_draw(*, actor: User, spot_check: SpotCheck, seed: int | None = None) -> list[SpotCheckItem]:
    """Draw the sample once: store the seed, the population size and one item per sampled visit.

    The sampled visits are locked against their authors from now on, not only once checked: the spot-checks are
    readable street-wide, and a sampled visit must not be polished before the call-back.
    """
    spot_check = SpotCheck.objects.select_for_update().select_related("checker").get(pk=spot_check.pk)
    if actor.pk != spot_check.checker_id and not actor.sees_everything:
        raise ValidationError(_("只有抽查人本人可以抽样。"))
    if spot_check.is_drawn:
        raise ValidationError(_("这次抽查已经抽过样，不能重抽。"))
    by_person: dict[int, list[int]] = {}
    for visit_id, visitor_id in spot_check_population(spot_check).values_list("pk", "visitor_id"):
        by_person.setdefault(visitor_id, []).append(visit_id)
    population = sum(len(ids) for ids in by_person.values())
    if population == 0:
        raise ValidationError(_("这一期间没有可抽查的走访记录。"))
    seed = seed if seed is not None else secrets.randbits(62)
    size = sample_size(
        mode=spot_check.sample_mode, value=spot_check.sample_value, population=population, people=len(by_person)
    )
    sample = draw_sample(by_person, size=size, seed=seed)
    spot_check.seed, spot_check.population_size, spot_check.drawn_at = seed, population, timezone.now()
    # Only if still undrawn: where select_for_update does not lock (SQLite), a second click cannot draw again.
    # audit_update / log_bulk_created: these writes send no signals, so they record their rows' audit trail.
    if not audit_update(
        SpotCheck.objects.filter(pk=spot_check.pk, drawn_at__isnull=True),
        seed=seed,
        population_size=population,
        drawn_at=spot_check.drawn_at,
    ):
        raise ValidationError(_("这次抽查已经抽过样，不能重抽。"))
    items = SpotCheckItem.objects.bulk_create(SpotCheckItem(spot_check=spot_check, visit_id=pk) for pk in sample)
    log_bulk_created(items)
    audit_update(
        Visit.objects.filter(pk__in=sample, spot_checked_at__isnull=True).select_related("visitor"),
        spot_checked_at=spot_check.drawn_at,
    )
    audit_record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=spot_check,
        changes={"seed": [None, str(seed)], "sample": [None, sample]},
    )
    return items


def check_may_record(actor: User, item: SpotCheckItem, *, method: str, result: str, note: str = "") -> None:
    """Refuse, with the reasons, a result the actor may not record; forms ask it first to show them in place."""
    if actor.pk != item.spot_check.checker_id and not actor.sees_everything:
        raise ValidationError(_("只有抽查人本人可以记录核查结果。"))
    if item.visit.visitor_id == actor.pk or item.visit.companions.filter(pk=actor.pk).exists():
        raise ValidationError(_("不能核查自己的走访记录。"))
    errors = {}
    if method not in SpotCheckItem.Method.values:
        errors["method"] = _("请选择核查方式。")
    if result not in SpotCheckItem.Result.values:
        errors["result"] = _("请选择核查结果。")
    if result in (SpotCheckItem.Result.NOT_CONFIRMED, SpotCheckItem.Result.DISCREPANCY) and not note.strip():
        errors["note"] = _("不属实或有出入时请写明情况。")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def spot_check_record(*, actor: User, item: SpotCheckItem, method: str, result: str, note: str = "") -> SpotCheckItem:
    """Record how a sampled visit was checked and what was found; from then on its author cannot edit it."""
    item = SpotCheckItem.objects.select_for_update().select_related("spot_check", "visit").get(pk=item.pk)
    check_may_record(actor, item, method=method, result=result, note=note)
    before = {"method": item.method, "result": item.result, "note": item.note}
    item.method, item.result, item.note = method, result, note.strip()
    item.checked_by = actor
    item.checked_at = timezone.now()
    item.save(update_fields=["method", "result", "note", "checked_by", "checked_at"])
    audit_update(
        Visit.objects.filter(pk=item.visit_id, spot_checked_at__isnull=True).select_related("visitor"),
        spot_checked_at=item.checked_at,
    )
    after = {"method": item.method, "result": item.result, "note": item.note}
    audit_record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=item,
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
    )
    return item


# --- Verification by the community main leader --------------------------------------------------------------------


def verifiable_visits(leader: User) -> QuerySet[Visit]:
    """The visits a community main leader verifies: those of his community's social workers."""
    if not (leader.is_authenticated and leader.is_active and leader.is_community_leader and leader.community_id):
        return Visit.objects.none()
    return Visit.objects.visible_to(leader).filter(
        visitor__role=Role.SOCIAL_WORKER, visitor__community_id=leader.community_id
    )


@transaction.atomic
def visit_verify(*, actor: User, visit: Visit, status: str, note: str = "") -> VisitVerification:
    """Mark a staff member's visit verified or queried (核实检查); queried needs a note."""
    if not verifiable_visits(actor).filter(pk=visit.pk).exists():
        raise PermissionDenied
    if status not in VisitVerification.Status.values:
        raise ValidationError({"status": _("请选择核实结果。")})
    if status == VisitVerification.Status.QUERIED and not note.strip():
        raise ValidationError({"note": _("存疑时请写明疑点。")})
    existing = VisitVerification.objects.select_for_update().filter(visit=visit).first()
    before = [existing.status, existing.note] if existing else [None, None]
    verification, _created = VisitVerification.objects.update_or_create(
        visit=visit, defaults={"status": status, "note": note.strip(), "verified_by": actor}
    )
    audit_record(
        actor=actor,
        action=AuditEntry.Action.UPDATE if existing else AuditEntry.Action.CREATE,
        obj=verification,
        changes={"status": [before[0], status], "note": [before[1], verification.note]},
    )
    return verification


# --- The three evaluations --------------------------------------------------------------------------------------


def may_record_evaluation(actor: User, evaluation: Evaluation) -> bool:
    """Leaders record every evaluation; a community leader records the mutual evaluation his community gives."""
    if actor.sees_everything or actor.is_street_leader or actor.is_leader_in_charge:
        return True
    return bool(
        actor.is_community_leader
        and evaluation.kind == Evaluation.Kind.MUTUAL
        and evaluation.by_community_id
        and evaluation.by_community_id == actor.community_id
    )


EVALUATION_FIELDS = (
    "kind",
    "year",
    "quarter",
    "person",
    "community",
    "department",
    "by_community",
    "by_department",
    "score",
    "respondents",
    "comment",
)


@transaction.atomic
def evaluation_record(*, actor: User, **fields: Any) -> Evaluation:
    """Record one evaluation of a person or unit for a quarter (score out of 100)."""
    unknown = set(fields) - set(EVALUATION_FIELDS)
    if unknown:
        raise TypeError(f"unknown evaluation fields: {sorted(unknown)}")
    if isinstance(fields.get("score"), int | float | str):
        try:
            fields["score"] = Decimal(str(fields["score"]).strip())
        except InvalidOperation:
            fields["score"] = Decimal("NaN")
    if isinstance(fields.get("score"), Decimal) and not fields["score"].is_finite():
        # "abc" or "nan" would otherwise escape as a 500 (NaN cannot be compared) instead of a message.
        raise ValidationError({"score": _("得分须在 0 到 100 之间。")})
    evaluation = Evaluation(recorded_by=actor, **fields)
    subject = evaluation.person or evaluation.community or evaluation.department
    evaluation.street_id = getattr(subject, "street_id", None) or actor.street_id
    if not may_record_evaluation(actor, evaluation):
        raise PermissionDenied
    if not actor.sees_everything and evaluation.street_id != actor.street_id:
        raise ValidationError({"person": _("被测评对象不在您的街道。")})
    evaluation.full_clean()
    evaluation.save()
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=evaluation)
    return evaluation
