"""Writes of the four listenings and the opinion pipeline, each in one transaction with its history and audit.

An opinion moves only along Opinion.TRANSITIONS: new → sorted (or split into parts, each sorted) → assigned →
in progress → resolved or explained. Every step writes an OpinionEvent (who, when, what was said) and an audit
entry; a step out of order, or without what it needs, raises ValidationError and changes nothing.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.models import Meeting, MeetingKind, Opinion, OpinionCategory, OpinionEvent, TopicMeeting
from households.models import Community, Enterprise, Estate, PairedVillage
from visits.models import Visit
from wenxin.audit import audit_update
from wenxin.concurrency import EditConflict, FieldChange, check_version, shown
from wenxin.models import AuditEntry, Department, User
from wenxin.services import audit_record, field_changes

# Tracking codes avoid letters and digits a resident could misread (0/O, 1/I/L).
TRACKING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TRACKING_LENGTH = 8

MEETING_FIELDS = (
    "kind",
    "community",
    "held_on",
    "place",
    "host_unit",
    "topic",
    "minutes",
    *Meeting.ATTENDEE_FIELDS,
)


# --- Meetings ---------------------------------------------------------------------------------------------------


def _check_meeting_unit(meeting: Meeting, actor: User) -> None:
    """A community's meeting is in a community the actor sees; a street's meeting is recorded by street staff."""
    kind = meeting.kind if meeting.kind_id else None
    if kind is None:
        raise ValidationError({"kind": _("请选择会议类型。")})
    if kind.held_by == MeetingKind.HeldBy.COMMUNITY:
        if not meeting.community_id:
            raise ValidationError({"community": _("村社召开的会议请选择村社。")})
        community = Community.objects.visible_to(actor).filter(pk=meeting.community_id).first()
        if community is None:
            raise ValidationError({"community": _("该村社不在您的管辖范围内。")})
        meeting.street_id = community.street_id
    else:
        if meeting.community_id:
            raise ValidationError({"community": _("街道层面的会议不填写村社。")})
        if not (actor.sees_whole_street and actor.street_id):
            raise ValidationError({"kind": _("街道层面的会议由街道工作人员记录。")})
        meeting.street_id = actor.street_id


@transaction.atomic
def meeting_create(*, actor: User, kind: MeetingKind, held_on: datetime.date, **fields: Any) -> Meeting:
    """Record a listening meeting held by the actor's community, or by the street."""
    if not actor.can_record_meetings:
        raise PermissionDenied
    unknown = set(fields) - set(MEETING_FIELDS)
    if unknown:
        raise TypeError(f"unknown meeting fields: {sorted(unknown)}")
    meeting = Meeting(kind=kind, held_on=held_on, recorded_by=actor, **fields)
    _check_kind_active(kind)
    _check_meeting_unit(meeting, actor)
    meeting.full_clean()
    _check_not_future(held_on, "held_on")
    meeting.save()
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=meeting)
    return meeting


@transaction.atomic
def meeting_update(*, actor: User, meeting: Meeting, data: dict[str, Any]) -> Meeting:
    """Correct a meeting's record; the same unit rules as when it was recorded."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if not (actor.can_record_meetings and Meeting.objects.visible_to(actor).filter(pk=meeting.pk).exists()):
        raise PermissionDenied
    unknown = set(data) - set(MEETING_FIELDS)
    if unknown:
        raise TypeError(f"unknown meeting fields: {sorted(unknown)}")
    changes = field_changes(meeting, data)
    for name, value in data.items():
        setattr(meeting, name, value)
    if "kind" in changes:
        _check_kind_active(meeting.kind)
    _check_meeting_unit(meeting, actor)
    meeting.full_clean()
    _check_not_future(meeting.held_on, "held_on")
    if changes:
        meeting.save()
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=meeting, changes=changes)
    return meeting


def _check_kind_active(kind: MeetingKind | None) -> None:
    """A kind the office has retired is kept on old meetings, but no new meeting is recorded under it."""
    if kind is not None and not kind.is_active:
        raise ValidationError({"kind": _("该会议类型已停用。")})


def _check_not_future(day: datetime.date | None, field: str) -> None:
    if day and day > timezone.localdate():
        raise ValidationError({field: _("日期不能晚于今天。")})


# --- Opinions: collecting ---------------------------------------------------------------------------------------

# The link each source needs: an opinion from a meeting names the meeting, and so on. Online has none.
SOURCE_LINK = {
    Opinion.Source.VISIT: "visit",
    Opinion.Source.MEETING: "meeting",
    Opinion.Source.ENTERPRISE: "enterprise",
    Opinion.Source.PAIRED_VILLAGE: "paired_village",
}
LINK_MODELS = {"visit": Visit, "meeting": Meeting, "enterprise": Enterprise, "paired_village": PairedVillage}


def _record_event(opinion: Opinion, *, actor: User | None, from_status: str, note: str = "") -> OpinionEvent:
    return OpinionEvent.objects.create(
        opinion=opinion, from_status=from_status, to_status=opinion.status, actor=actor, note=note
    )


@transaction.atomic
def opinion_create(
    *,
    actor: User,
    source: str,
    text: str,
    community: Community | None = None,
    estate: Estate | None = None,
    visit: Visit | None = None,
    meeting: Meeting | None = None,
    enterprise: Enterprise | None = None,
    paired_village: PairedVillage | None = None,
    raised_by: str = "",
    contact: str = "",
    location: str = "",
) -> Opinion:
    """Record an opinion heard on a visit, at a meeting, from an enterprise or a paired village.

    The place defaults to that of what it came from (the visit's community, the estate's community); every
    link must be something the actor may see.
    """
    if not actor.can_log_visits:
        raise PermissionDenied
    links = {"visit": visit, "meeting": meeting, "enterprise": enterprise, "paired_village": paired_village}
    errors: dict[str, str] = {}
    wanted = SOURCE_LINK.get(source)
    if source not in Opinion.Source.values or source == Opinion.Source.ONLINE:
        errors["source"] = _("请选择意见来源。")
    elif links[wanted] is None:
        errors[wanted] = _("请选择意见的来处。")
    for name, obj in links.items():
        if obj is None:
            continue
        if name != wanted:
            errors[name] = _("这一来源不填写此项。")
        elif not LINK_MODELS[name].objects.visible_to(actor).filter(pk=obj.pk).exists():
            errors[name] = _("不在您的管辖范围内。")
    if errors:
        raise ValidationError(errors)
    linked = links[wanted]
    if estate is None and community is None and isinstance(linked, Visit):
        # A visit to a household or an estate already says which estate the opinion is about.
        estate = linked.estate or (linked.household.estate if linked.household_id else None)
    if estate is not None and community is None:
        community = estate.community
    if community is None:
        community = getattr(linked, "community", None)
    if community is not None and not Community.objects.visible_to(actor).filter(pk=community.pk).exists():
        raise ValidationError({"community": _("该村社不在您的管辖范围内。")})
    if estate is not None and estate.community_id != getattr(community, "pk", None):
        raise ValidationError({"estate": _("小区不在所选村社内。")})
    street_id = community.street_id if community else (actor.street_id or getattr(links[wanted], "street_id", None))
    opinion = Opinion(
        street_id=street_id,
        source=source,
        text=text.strip(),
        community=community,
        estate=estate,
        raised_by=raised_by.strip(),
        contact=contact.strip(),
        location=location.strip(),
        created_by=actor,
        **links,
    )
    opinion.full_clean()
    opinion.save()
    _record_event(opinion, actor=actor, from_status="")
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=opinion)
    return opinion


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _i in range(TRACKING_LENGTH))


def opinion_submit_online(
    *, community: Community, text: str, raised_by: str = "", contact: str = "", location: str = ""
) -> Opinion:
    """A resident's opinion from the public page: no login, a tracking code to follow it with."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                opinion = Opinion(
                    street_id=community.street_id,
                    source=Opinion.Source.ONLINE,
                    text=text.strip(),
                    community=community,
                    raised_by=raised_by.strip(),
                    contact=contact.strip(),
                    location=location.strip(),
                    tracking_code=new_tracking_code(),
                )
                opinion.full_clean(exclude=["tracking_code"])
                opinion.save()
                _record_event(opinion, actor=None, from_status="")
                audit_record(actor=None, action=AuditEntry.Action.CREATE, obj=opinion)
                return opinion
        except IntegrityError:  # the one-in-a-trillion repeat of a code: draw another
            continue
    raise RuntimeError("could not draw a unique tracking code")


# --- Opinions: the workflow -------------------------------------------------------------------------------------


def _locked(opinion: Opinion, actor: User) -> Opinion:
    """The opinion, locked for this transaction, if the actor may see it (as a stranger cannot, 404-like)."""
    locked = Opinion.objects.select_for_update().filter(pk=opinion.pk).first()
    if locked is None or not Opinion.objects.visible_to(actor).filter(pk=opinion.pk).exists():
        raise PermissionDenied
    return locked


def opinion_conflict(
    opinion: Opinion, *, expected: int, to_status: str | None = None, yours: dict[str, Any] | None = None
) -> EditConflict:
    """The refusal of a step taken from a page opened at version `expected`: who took the last step and when
    (the opinion's events), its status now beside the one this step would give, and each field this step would
    write whose stored value differs from the one typed.
    """
    last = OpinionEvent.objects.filter(opinion=opinion).select_related("actor").order_by("-at", "-pk").first()
    summary = ""
    if last is not None:
        if last.from_status and last.from_status != last.to_status:
            summary = f"{last.get_from_status_display()} → {last.get_to_status_display()}"
        else:
            summary = last.get_to_status_display()
        if last.note:
            summary = f"{summary}（{shown(last.note)}）"
    changes = []
    if to_status is not None:
        changes.append(
            FieldChange(
                label=str(Opinion._meta.get_field("status").verbose_name),
                theirs=opinion.get_status_display(),
                yours=str(Opinion.Status(to_status).label),
            )
        )
    for name, value in (yours or {}).items():
        stored = getattr(opinion, name)
        if stored != value:
            changes.append(
                FieldChange(
                    label=str(Opinion._meta.get_field(name).verbose_name), theirs=shown(stored), yours=shown(value)
                )
            )
    return EditConflict(
        record=_("意见建议 #%(pk)s") % {"pk": opinion.pk},
        expected=expected,
        current=opinion.version,
        changed_by=str(last.actor) if last is not None and last.actor else "",
        changed_at=last.at if last is not None else opinion.updated_at,
        summary=summary,
        changes=changes,
    )


def _check_version(opinion: Opinion, expected: int | None, to_status: str, yours: dict[str, Any] | None = None) -> None:
    """Refuse a step from a page opened before someone else's step (the row is locked: see _locked)."""
    check_version(
        expected=expected,
        current=opinion.version,
        conflict=lambda: opinion_conflict(opinion, expected=expected, to_status=to_status, yours=yours),
    )


def _check_step(opinion: Opinion, to_status: str) -> None:
    if not opinion.can_move_to(to_status):
        raise ValidationError(
            _("“%(current)s”的意见不能直接转为“%(wanted)s”。")
            % {"current": opinion.get_status_display(), "wanted": Opinion.Status(to_status).label}
        )


def _require_dispatcher(actor: User) -> None:
    if not actor.can_dispatch_opinions:
        raise PermissionDenied


def _require_handler(actor: User, opinion: Opinion) -> None:
    """The responsible person, or someone who dispatches opinions, carries an assigned opinion forward."""
    if not (opinion.responsible_id == actor.pk or actor.can_dispatch_opinions):
        raise PermissionDenied


def _move(opinion: Opinion, *, actor: User, to_status: str, fields: dict[str, Any], note: str = "") -> Opinion:
    from_status = opinion.status
    changes = field_changes(opinion, {"status": to_status, **fields})
    opinion.status = to_status
    for name, value in fields.items():
        setattr(opinion, name, value)
    opinion.full_clean()
    opinion.version += 1  # under the lock of _locked: the next page opened at the old version is refused
    opinion.save(update_fields=["status", *fields, "version", "updated_at"])
    _record_event(opinion, actor=actor, from_status=from_status, note=note)
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=opinion, changes=changes)
    return opinion


def _check_category(category: OpinionCategory | None, field: str = "category") -> None:
    if category is None:
        raise ValidationError({field: _("请选择分类。")})
    if not category.is_active:
        raise ValidationError({field: _("该分类已停用。")})


@transaction.atomic
def opinion_sort(
    *,
    actor: User,
    opinion: Opinion,
    category: OpinionCategory | None,
    department: Department | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Opinion:
    """Put a new opinion in its category (梳理), and optionally route it to the department that will handle it.

    Routing is how a community's opinion reaches the leader in charge of that department, who then assigns it.
    Every step takes `expected_version`, the version its page showed (None: no check, for internal callers).
    """
    _require_dispatcher(actor)
    opinion = _locked(opinion, actor)
    yours = {"category": category} if department is None else {"category": category, "department": department}
    _check_version(opinion, expected_version, Opinion.Status.SORTED, yours)
    _check_step(opinion, Opinion.Status.SORTED)
    _check_category(category)
    fields: dict[str, Any] = {"category": category}
    if department is not None:
        if department.street_id != opinion.street_id:
            raise ValidationError({"department": _("该科室不在本街道。")})
        fields["department"] = department
    return _move(opinion, actor=actor, to_status=Opinion.Status.SORTED, fields=fields, note=note)


@transaction.atomic
def opinion_split(
    *,
    actor: User,
    opinion: Opinion,
    parts: Iterable[tuple[str, OpinionCategory | None]],
    note: str = "",
    expected_version: int | None = None,
) -> list[Opinion]:
    """Split one opinion that asks several things into parts (分解), each sorted into its own category.

    The original is kept, marked split, so what the resident said stays on record; the parts carry on.
    """
    _require_dispatcher(actor)
    opinion = _locked(opinion, actor)
    _check_version(opinion, expected_version, Opinion.Status.SPLIT)
    _check_step(opinion, Opinion.Status.SPLIT)
    parts = [(text.strip(), category) for text, category in parts if text.strip()]
    if len(parts) < 2:
        raise ValidationError({"parts": _("分解至少需要两条内容。")})
    for _text, category in parts:
        _check_category(category, "parts")
    created = []
    for text, category in parts:
        part = Opinion(
            street_id=opinion.street_id,
            source=opinion.source,
            visit_id=opinion.visit_id,
            meeting_id=opinion.meeting_id,
            enterprise_id=opinion.enterprise_id,
            paired_village_id=opinion.paired_village_id,
            raised_by=opinion.raised_by,
            contact=opinion.contact,
            community_id=opinion.community_id,
            estate_id=opinion.estate_id,
            location=opinion.location,
            text=text,
            status=Opinion.Status.SORTED,
            category=category,
            parent=opinion,
            topic_meeting_id=opinion.topic_meeting_id,
            created_by=actor,
        )
        part.full_clean()
        part.save()
        _record_event(part, actor=actor, from_status="", note=_("由 #%(pk)s 分解而来") % {"pk": opinion.pk})
        audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=part)
        created.append(part)
    note = note or _("分解为 %(parts)s") % {"parts": "、".join(f"#{p.pk}" for p in created)}
    _move(opinion, actor=actor, to_status=Opinion.Status.SPLIT, fields={}, note=note)
    return created


@transaction.atomic
def opinion_assign(
    *,
    actor: User,
    opinion: Opinion,
    responsible: User | None,
    due_on: datetime.date | None,
    leader_in_charge: User | None = None,
    department: Department | None = None,
    community: Community | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Opinion:
    """Assign (交办) a sorted opinion, or reassign an assigned one: a responsible person and a completion date.

    A reassignment (assigned → assigned) is a step like any other: from a page opened before another
    dispatcher's assignment it is refused (EditConflict), never saved over hers.
    """
    _require_dispatcher(actor)
    opinion = _locked(opinion, actor)
    yours = {"responsible": responsible, "due_on": due_on}
    for name, value in (("leader_in_charge", leader_in_charge), ("department", department), ("community", community)):
        if value is not None:
            yours[name] = value
    _check_version(opinion, expected_version, Opinion.Status.ASSIGNED, yours)
    _check_step(opinion, Opinion.Status.ASSIGNED)
    errors: dict[str, str] = {}
    # Everyone named works in the opinion's street: anyone else could never see it (visible_to is per street).
    street_users = User.objects.filter(is_active=True, street_id=opinion.street_id)
    if responsible is None:
        errors["responsible"] = _("请指定责任人。")
    elif not street_users.filter(pk=responsible.pk).filter(pk__in=User.objects.visible_to(actor)).exists():
        errors["responsible"] = _("责任人不在您的管辖范围内。")
    if due_on is None:
        errors["due_on"] = _("请填写完成期限。")
    elif due_on < timezone.localdate():
        errors["due_on"] = _("完成期限不能早于今天。")
    # A community leader names the street's leader in charge too, though he sees only his community's staff.
    if leader_in_charge is not None and not (
        (leader_in_charge.is_leader_in_charge or leader_in_charge.is_street_leader)
        and street_users.filter(pk=leader_in_charge.pk).exists()
    ):
        errors["leader_in_charge"] = _("请选择本街道的分管领导。")
    departments = Department.objects.visible_to(actor).filter(street_id=opinion.street_id)
    if department is not None and not departments.filter(pk=department.pk).exists():
        errors["department"] = _("该科室不在您的管辖范围内。")
    communities = Community.objects.visible_to(actor).filter(street_id=opinion.street_id)
    if community is not None and not communities.filter(pk=community.pk).exists():
        errors["community"] = _("该村社不在您的管辖范围内。")
    if errors:
        raise ValidationError(errors)
    # What is not named again stays as it was: a reassignment keeps the department the opinion was routed to.
    fields = {
        "responsible": responsible,
        "due_on": due_on,
        "leader_in_charge": leader_in_charge if leader_in_charge is not None else opinion.leader_in_charge,
        "department": department if department is not None else opinion.department,
        "community": community if community is not None else opinion.community,
    }
    return _move(opinion, actor=actor, to_status=Opinion.Status.ASSIGNED, fields=fields, note=note)


@transaction.atomic
def opinion_start(*, actor: User, opinion: Opinion, note: str = "", expected_version: int | None = None) -> Opinion:
    """The responsible person takes an assigned opinion in hand (办理中)."""
    opinion = _locked(opinion, actor)
    _require_handler(actor, opinion)
    _check_version(opinion, expected_version, Opinion.Status.IN_PROGRESS)
    _check_step(opinion, Opinion.Status.IN_PROGRESS)
    return _move(opinion, actor=actor, to_status=Opinion.Status.IN_PROGRESS, fields={}, note=note)


@transaction.atomic
def opinion_resolve(*, actor: User, opinion: Opinion, resolution: str, expected_version: int | None = None) -> Opinion:
    """Close an opinion as resolved, saying what was done."""
    opinion = _locked(opinion, actor)
    _require_handler(actor, opinion)
    _check_version(opinion, expected_version, Opinion.Status.RESOLVED)
    _check_step(opinion, Opinion.Status.RESOLVED)
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": _("请写明办理结果。")})
    fields = {"resolution": resolution, "closed_at": timezone.now()}
    return _move(opinion, actor=actor, to_status=Opinion.Status.RESOLVED, fields=fields, note=resolution)


@transaction.atomic
def opinion_explain(*, actor: User, opinion: Opinion, explanation: str, expected_version: int | None = None) -> Opinion:
    """Close an opinion that cannot be done as explained: the explanation given to the resident is required."""
    opinion = _locked(opinion, actor)
    _require_handler(actor, opinion)
    _check_version(opinion, expected_version, Opinion.Status.EXPLAINED)
    _check_step(opinion, Opinion.Status.EXPLAINED)
    explanation = (explanation or "").strip()
    if not explanation:
        raise ValidationError({"explanation": _("请写明向居民所作的解释。")})
    fields = {"explanation": explanation, "closed_at": timezone.now()}
    return _move(opinion, actor=actor, to_status=Opinion.Status.EXPLAINED, fields=fields, note=explanation)


# --- Topic meetings ---------------------------------------------------------------------------------------------


@transaction.atomic
def topic_meeting_create(
    *,
    actor: User,
    title: str,
    held_on: datetime.date,
    chaired_by: User,
    opinions: Iterable[Opinion],
    attendees: str = "",
    decisions: str = "",
) -> TopicMeeting:
    """A topic meeting (专题会议) that takes up open opinions and records what it decided on them."""
    if not (actor.can_hold_topic_meetings and actor.street_id):
        raise PermissionDenied
    opinion_ids = [o.pk for o in opinions]
    if not opinion_ids:
        raise ValidationError({"opinions": _("请选择会议研究的意见建议。")})
    # Locked by id: PostgreSQL cannot lock through visible_to's outer joins (a leader in charge's topics).
    visible = Opinion.objects.visible_to(actor).open().filter(pk__in=opinion_ids, street_id=actor.street_id)
    taken_up = list(Opinion.objects.select_for_update().filter(pk__in=visible.values("pk")).open())
    if len(taken_up) != len(set(opinion_ids)):
        raise ValidationError({"opinions": _("只能选择您可以查看的、尚未办结的意见建议。")})
    # The chair owns the topic's opinions afterwards (visible_to), so he is one of the street's leaders.
    if not (
        (chaired_by.is_leader_in_charge or chaired_by.is_street_leader)
        and User.objects.filter(pk=chaired_by.pk, is_active=True, street_id=actor.street_id).exists()
    ):
        raise ValidationError({"chaired_by": _("主持人须为本街道的领导。")})
    meeting = TopicMeeting(
        street_id=actor.street_id,
        title=title.strip(),
        held_on=held_on,
        chaired_by=chaired_by,
        attendees=attendees.strip(),
        decisions=decisions.strip(),
        recorded_by=actor,
    )
    meeting.full_clean()
    _check_not_future(held_on, "held_on")
    meeting.save()
    # A new version too: a step page opened before the meeting took the opinion up is refused and shows it.
    # audit_update: an update sends no signals, so it records each opinion's change in the audit trail itself.
    audit_update(
        Opinion.objects.filter(pk__in=opinion_ids),
        topic_meeting=meeting,
        updated_at=timezone.now(),
        version=F("version") + 1,
    )
    note = _("专题会议研究：%(title)s") % {"title": meeting.title}
    OpinionEvent.objects.bulk_create(
        OpinionEvent(opinion=o, from_status=o.status, to_status=o.status, actor=actor, note=note) for o in taken_up
    )
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=meeting, changes={"opinions": sorted(opinion_ids)})
    return meeting
