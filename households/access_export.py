"""Everything the platform holds about one household, as one file: the answer to a resident's access request.

A resident may ask what the street office records about their family. The household's community leader (or a
system administrator) downloads it from the household's page as .xlsx (one sheet per kind of record, for reading)
or JSON (for another system): the household, its residents, the visits to it, its one-household-one-plan with
sections, measures and every version, its assistance pairs, its subsidies, and the opinions raised on its visits
with their handling. Every read goes through the exporter's visible_to; full ID numbers are included only when
asked for and allowed, each recorded as a reveal, and the download itself is recorded as an export.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Case, When
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.models import Opinion, OpinionEvent
from households import services
from households.models import (
    AssistanceMeasure,
    AssistancePair,
    AssistancePlan,
    Household,
    PlanSection,
    PlanVersion,
    Resident,
    Subsidy,
)
from visits.models import Visit
from wenxin.models import AuditEntry, User
from wenxin.services import audit_record
from wenxin.text import join_list, yes_no
from wenxin.xlsx import XLSX_CONTENT_TYPE, Table, tables_workbook

FORMATS = ("xlsx", "json")
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


@dataclass
class RecordSet:
    """One kind of record about the household: a JSON key, a sheet title, (field, label) columns and the rows."""

    key: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    content_type: str


def may_export_household(user: User, household: Household) -> bool:
    """The household's community leader or a system administrator answers a resident's access request.

    The community leader is the one who knows the family and may read all of its records; social workers and
    street-wide roles see parts of them (a worker not the plans of other areas, a department not the subsidies).
    """
    if not (user.is_authenticated and user.is_active):
        return False
    if not (user.sees_everything or user.is_community_leader):
        return False
    return Household.objects.visible_to(user).filter(pk=household.pk).exists()


@transaction.atomic
def household_access_export(
    *, actor: User, household: Household, file_format: str, full_id_numbers: bool = False
) -> ExportFile:
    """Build the household's file and record it: one reveal per full ID number, one export for the download."""
    if file_format not in FORMATS:
        raise ValueError(file_format)
    if not may_export_household(actor, household):
        raise PermissionDenied
    full_id_numbers = full_id_numbers and actor.can_see_sensitive_data
    id_numbers: dict[int, str] = {}
    if full_id_numbers:
        for resident in Resident.objects.visible_to(actor).filter(household=household).exclude(id_number=""):
            # The same door as the household page's "show the full number": checked and recorded one by one.
            id_numbers[resident.pk] = services.id_number_reveal(actor=actor, resident=resident)
    record_sets = household_records(viewer=actor, household=household, id_numbers=id_numbers)
    now = timezone.localtime()
    about = {
        "exported_at": now.strftime("%Y-%m-%d %H:%M"),
        "exported_by": f"{actor} ({actor.username})",
        "household_id": household.pk,
        "full_id_numbers": full_id_numbers,
    }
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EXPORT,
        obj=household,
        changes={
            "page": "access_request",
            "format": file_format,
            "full_id_numbers": full_id_numbers,
            "records": {records.key: len(records.rows) for records in record_sets},
        },
    )
    name = _("户档案-%(pk)s-%(date)s") % {"pk": household.pk, "date": f"{now:%Y%m%d}"}
    if file_format == "json":
        return ExportFile(_json_bytes(about, record_sets), f"{name}.json", JSON_CONTENT_TYPE)
    return ExportFile(_xlsx_bytes(about, record_sets), f"{name}.xlsx", XLSX_CONTENT_TYPE)


def household_records(*, viewer: User, household: Household, id_numbers: dict[int, str]) -> list[RecordSet]:
    """Every record about the household the viewer may see, each kind in a RecordSet; ID numbers masked unless
    `id_numbers` holds the revealed one of a resident."""
    household = (
        Household.objects.visible_to(viewer).select_related("estate", "grid_area__community").get(pk=household.pk)
    )
    record_sets = [
        _household_set(household),
        _resident_set(viewer, household, id_numbers),
        _visit_set(viewer, household),
        *_plan_sets(viewer, household),
        _pair_set(viewer, household),
        _subsidy_set(viewer, household),
        *_opinion_sets(viewer, household),
    ]
    return record_sets


# --- The record sets ----------------------------------------------------------------------------------------------


def _label(model: type[models.Model], name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def _columns(model: type[models.Model], names: list[str]) -> list[tuple[str, str]]:
    return [(name, _label(model, name)) for name in names]


def _moment(value: datetime.datetime | None) -> str | None:
    """A timestamp in the street's time, to the minute, as the pages show it."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else None


def _person(user: User | None) -> str:
    return str(user) if user is not None else ""


def _household_set(household: Household) -> RecordSet:
    names = ["estate", "building", "unit", "room", "grid_area", "phone", "categories", "status"]
    names += ["moved_out_on", "moved_out_reason", "note", "created_at", "updated_at"]
    columns = [("id", _("编号")), ("address", _("地址")), ("community", _("村社")), *_columns(Household, names)]
    row = {
        "id": household.pk,
        "address": household.address,
        "community": household.grid_area.community.name,
        "estate": household.estate.name,
        "building": household.building,
        "unit": household.unit,
        "room": household.room,
        "grid_area": household.grid_area.name,
        "phone": household.phone,
        "categories": join_list(c.name for c in household.categories.all()),
        "status": household.get_status_display(),
        "moved_out_on": household.moved_out_on,
        "moved_out_reason": household.moved_out_reason,
        "note": household.note,
        "created_at": _moment(household.created_at),
        "updated_at": _moment(household.updated_at),
    }
    return RecordSet("household", _("户"), columns, [row])


def _resident_set(viewer: User, household: Household, id_numbers: dict[int, str]) -> RecordSet:
    names = ["name", "relation", "id_number", "gender", "birth_date", "phone", "disability", "disability_grade", "note"]
    head_first = Case(When(relation=Resident.Relation.HEAD, then=0), default=1)
    residents = Resident.objects.visible_to(viewer).filter(household=household).order_by(head_first, "name", "pk")
    rows = [
        {
            "id": resident.pk,
            "name": resident.name,
            "relation": resident.get_relation_display(),
            "id_number": id_numbers.get(resident.pk, resident.masked_id_number),
            "gender": resident.get_gender_display(),
            "birth_date": resident.birth_date,
            "phone": resident.phone,
            "disability": resident.get_disability_display() if resident.disability else "",
            "disability_grade": resident.disability_grade,
            "note": resident.note,
        }
        for resident in residents
    ]
    return RecordSet("residents", _("居民"), [("id", _("编号")), *_columns(Resident, names)], rows)


def _visit_set(viewer: User, household: Household) -> RecordSet:
    names = ["visited_on", "kind", "visitor", "companions", "met_whom", "situation", "living_conditions"]
    names += ["state_of_mind", "difficulty", "action_taken", "follow_up_needed", "follow_up_by", "created_at"]
    visits = (
        Visit.objects.visible_to(viewer)
        .filter(household=household)
        .select_related("visitor")
        .prefetch_related("companions")
        .order_by("visited_on", "created_at", "pk")
    )
    rows = [
        {
            "id": visit.pk,
            "visited_on": visit.visited_on,
            "kind": visit.get_kind_display(),
            "visitor": _person(visit.visitor),
            "companions": join_list(visit.companions.all()),
            "met_whom": visit.met_whom,
            "situation": visit.situation,
            "living_conditions": visit.living_conditions,
            "state_of_mind": visit.state_of_mind,
            "difficulty": visit.difficulty,
            "action_taken": visit.action_taken,
            "follow_up_needed": visit.follow_up_needed,
            "follow_up_by": visit.follow_up_by,
            "created_at": _moment(visit.created_at),
        }
        for visit in visits
    ]
    return RecordSet("visits", _("走访记录"), [("id", _("编号")), *_columns(Visit, names)], rows)


def _plan_sets(viewer: User, household: Household) -> list[RecordSet]:
    plan = AssistancePlan.objects.visible_to(viewer).filter(household=household).first()
    plan_set = RecordSet(
        "assistance_plan",
        _("一户一策"),
        [("id", _("编号")), *_columns(AssistancePlan, ["review_on", "version", "created_at", "updated_at"])],
    )
    section_set = RecordSet(
        "plan_sections",
        _("一户一策内容"),
        _columns(PlanSection, ["must", "text", "recorded_by", "recorded_at", "source_visit"]),
    )
    measure_set = RecordSet(
        "plan_measures",
        _("帮扶措施"),
        _columns(AssistanceMeasure, ["description", "responsible", "due_on", "status", "done_on"]),
    )
    version_set = RecordSet(
        "plan_versions",
        _("一户一策历史版本"),
        _columns(PlanVersion, ["number", "change", "saved_by", "saved_at", "snapshot"]),
    )
    if plan is not None:
        plan_set.rows.append(
            {
                "id": plan.pk,
                "review_on": plan.review_on,
                "version": plan.version,
                "created_at": _moment(plan.created_at),
                "updated_at": _moment(plan.updated_at),
            }
        )
        section_set.rows = [
            {
                "must": section.get_must_display(),
                "text": section.text,
                "recorded_by": _person(section.recorded_by),
                "recorded_at": _moment(section.recorded_at),
                "source_visit": section.source_visit_id,
            }
            for section in plan.sections.select_related("recorded_by").order_by("pk")
        ]
        measure_set.rows = [
            {
                "description": measure.description,
                "responsible": _person(measure.responsible),
                "due_on": measure.due_on,
                "status": measure.get_status_display(),
                "done_on": measure.done_on,
            }
            for measure in plan.measures.select_related("responsible")
        ]
        version_set.rows = [
            {
                "number": version.number,
                "change": version.change,
                "saved_by": _person(version.saved_by),
                "saved_at": _moment(version.saved_at),
                "snapshot": version.snapshot,
            }
            for version in plan.versions.select_related("saved_by").order_by("number")
        ]
    return [plan_set, section_set, measure_set, version_set]


def _pair_set(viewer: User, household: Household) -> RecordSet:
    pairs = AssistancePair.objects.visible_to(viewer).filter(household=household).select_related("staff")
    rows = [
        {"staff": _person(pair.staff), "starts_on": pair.starts_on, "ends_on": pair.ends_on}
        for pair in pairs.order_by("starts_on", "pk")
    ]
    return RecordSet("pairs", _("帮扶结对"), _columns(AssistancePair, ["staff", "starts_on", "ends_on"]), rows)


def _subsidy_set(viewer: User, household: Household) -> RecordSet:
    names = ["kind", "amount", "paid_on", "source", "approved_by", "note", "recorded_by", "created_at"]
    subsidies = Subsidy.objects.visible_to(viewer).filter(household=household).select_related("recorded_by")
    rows = [
        {
            "kind": subsidy.get_kind_display(),
            "amount": subsidy.amount,
            "paid_on": subsidy.paid_on,
            "source": subsidy.source,
            "approved_by": subsidy.approved_by,
            "note": subsidy.note,
            "recorded_by": _person(subsidy.recorded_by),
            "created_at": _moment(subsidy.created_at),
        }
        for subsidy in subsidies.order_by("paid_on", "pk")
    ]
    return RecordSet("subsidies", _("困难补助"), _columns(Subsidy, names), rows)


def _opinion_sets(viewer: User, household: Household) -> list[RecordSet]:
    """The opinions raised on the household's visits (and the parts they were split into), with their path."""
    names = ["visit", "source", "raised_by", "contact", "text", "category", "parent", "status", "due_on"]
    names += ["resolution", "explanation", "closed_at", "created_at"]
    opinions = (
        Opinion.objects.visible_to(viewer)
        .filter(visit__household=household)
        .select_related("category")
        .order_by("created_at", "pk")
    )
    rows = [
        {
            "id": opinion.pk,
            "visit": opinion.visit_id,
            "source": opinion.get_source_display(),
            "raised_by": opinion.raised_by,
            "contact": opinion.contact,
            "text": opinion.text,
            "category": opinion.category.name if opinion.category else "",
            "parent": opinion.parent_id,
            "status": opinion.get_status_display(),
            "due_on": opinion.due_on,
            "resolution": opinion.resolution,
            "explanation": opinion.explanation,
            "closed_at": _moment(opinion.closed_at),
            "created_at": _moment(opinion.created_at),
        }
        for opinion in opinions
    ]
    events = (
        OpinionEvent.objects.filter(opinion__in=[row["id"] for row in rows])
        .select_related("actor")
        .order_by("opinion", "at", "pk")
    )
    event_rows = [
        {
            "opinion": event.opinion_id,
            "at": _moment(event.at),
            "from_status": event.get_from_status_display() if event.from_status else "",
            "to_status": event.get_to_status_display(),
            "actor": _person(event.actor),
            "note": event.note,
        }
        for event in events
    ]
    return [
        RecordSet("opinions", _("意见建议"), [("id", _("编号")), *_columns(Opinion, names)], rows),
        RecordSet(
            "opinion_events",
            _("办理记录"),
            _columns(OpinionEvent, ["opinion", "at", "from_status", "to_status", "actor", "note"]),
            event_rows,
        ),
    ]


# --- The files ----------------------------------------------------------------------------------------------------


def _json_bytes(about: dict[str, Any], record_sets: list[RecordSet]) -> bytes:
    """Field names as keys (stable for another system), labels and choices as the pages show them."""
    document: dict[str, Any] = dict(about)
    for records in record_sets:
        if records.key in {"household", "assistance_plan"}:
            document[records.key] = records.rows[0] if records.rows else None
        else:
            document[records.key] = records.rows
    document["labels"] = {records.key: dict(records.columns) for records in record_sets}
    return json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


def _xlsx_bytes(about: dict[str, Any], record_sets: list[RecordSet]) -> bytes:
    cover = Table(
        title=_("说明"),
        columns=[(_("项目"), 16), (_("内容"), 40)],
        rows=[
            (_("导出时间"), about["exported_at"]),
            (_("导出人"), about["exported_by"]),
            (_("户编号"), about["household_id"]),
            (_("身份证号码"), _("完整") if about["full_id_numbers"] else _("已隐去中间部分")),
        ],
    )
    sheets = [cover]
    for records in record_sets:
        sheets.append(
            Table(
                title=records.title,
                columns=[(label, 24 if key in _WIDE else 14) for key, label in records.columns],
                rows=[[_cell(row.get(key)) for key, _label in records.columns] for row in records.rows],
            )
        )
    return tables_workbook(sheets)


_WIDE = {"address", "situation", "living_conditions", "state_of_mind", "difficulty", "action_taken", "text"}
_WIDE |= {"resolution", "explanation", "snapshot", "note", "description", "change"}


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)
    if isinstance(value, Decimal | int | str | datetime.date) or value is None:
        return value
    return str(value)
