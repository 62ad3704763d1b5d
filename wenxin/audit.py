"""The audit trail of row changes: which records django-auditlog watches, how, and who reads what it wrote.

Two records of what happened live side by side, and both are written inside the transaction of the change:

- ``wenxin.AuditEntry`` records **domain events**, written by the services that cause them: an export (who took
  which households home), an import (one entry with its counts), the reveal of a full ID number, a move-out.
- ``auditlog.LogEntry`` records **row changes**: every create, change and delete of the registered models below,
  field by field (old and new value, ID numbers masked), with the person, the time and the client address. It is
  written by django-auditlog's model signals, so a write the services forget to audit is recorded all the same.
  Writes that send no signals (bulk_create, QuerySet.update) call log_bulk_created / audit_update here instead.

A record's trail (wenxin.audit_views) shows its LogEntry rows; street leaders and system administrators read it.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import functools
import ipaddress
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditlog.cid import get_cid
from auditlog.context import auditlog_disabled, auditlog_value, set_actor
from auditlog.diff import get_field_value, get_mask_function, model_instance_diff
from auditlog.middleware import AuditlogMiddleware
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.db.models.signals import pre_save
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import smart_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wenxin.validators import mask_id_number

# The models whose every create, change and delete is recorded, with their options. Every concrete field is
# recorded except the automatic timestamps (the entry has its own); many-to-many fields named here are recorded
# as added and removed names. Masked fields keep enough to tell two values apart, never the value itself.
# Subsidy amounts are recorded in full on purpose: a changed amount is exactly what an audit must show.
AUDITED_MODELS: dict[str, dict[str, Any]] = {
    "households.Household": {"m2m_fields": {"categories"}},
    "households.Resident": {"mask_fields": ["id_number"], "mask_callable": "wenxin.audit.mask_id_number_text"},
    "households.AssistancePlan": {},
    "households.PlanSection": {},
    "households.AssistanceMeasure": {},
    "households.AssistancePair": {},
    "households.Subsidy": {},
    "visits.Visit": {"m2m_fields": {"companions"}},
    # The tracking code lets anyone follow the opinion on the public page: it is a password, never shown.
    "feedback.Opinion": {"mask_fields": ["tracking_code"], "mask_callable": "wenxin.audit.mask_completely"},
    "assessment.SpotCheck": {},
    "assessment.SpotCheckItem": {},
    "assessment.Evaluation": {},
}

# Entries of a trail page.
TRAIL_PAGE_SIZE = 50
# Longer values (a visit's diary text) are cut on the trail page; the admin shows them whole.
VALUE_DISPLAY_MAX = 300


def mask_id_number_text(value: str) -> str:
    """An ID number as the trail keeps it: region and last four (330106********1234); nothing for no number."""
    return "" if value in ("", "None") else mask_id_number(value)


def mask_completely(value: str) -> str:
    """A secret the trail only says was set or changed."""
    return "" if value in ("", "None") else "******"


def recorded_field_names(model: type[models.Model]) -> list[str]:
    """The concrete fields of `model` whose changes are recorded: all but the key and automatic timestamps.

    Named one by one (include_fields) because auditlog would otherwise also diff reverse relations on create.
    """
    names = []
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key or getattr(model_field, "auto_now", False):
            continue  # the entry names the row itself, and has its own time
        if getattr(model_field, "auto_now_add", False):
            continue
        names.append(model_field.name)
    return names


def register_audited_models() -> None:
    """Connect django-auditlog to AUDITED_MODELS; called once from WenxinConfig.ready()."""
    for label, options in AUDITED_MODELS.items():
        model = apps.get_model(label)
        if auditlog.contains(model):
            continue
        auditlog.register(model, include_fields=recorded_field_names(model), **options)


def audited_models() -> list[type[models.Model]]:
    return [apps.get_model(label) for label in AUDITED_MODELS]


# --- Who may read trails -------------------------------------------------------------------------------------------


def can_read_audit_trail(user) -> bool:
    """Street leaders and system administrators read the trail of the records they see.

    Community leaders do not: they and their social workers write most of the registry, and the trail is how the
    street oversees those writes (the same people who read wenxin.AuditEntry in the admin).
    """
    if not (user is not None and user.is_authenticated and user.is_active):
        return False
    return bool(user.sees_everything or user.is_street_leader)


def _visible_pks(model: type[models.Model], user) -> QuerySet:
    """The pks of `model` rows the user sees, as a subquery."""
    if model._meta.label == "households.PlanSection":
        plan_model = apps.get_model("households", "AssistancePlan")
        return model._default_manager.filter(plan__in=plan_model.objects.visible_to(user)).values("pk")
    return model._default_manager.visible_to(user).values("pk")


def logentries_visible_to(user) -> QuerySet[LogEntry]:
    """The log entries a trail reader may read: all for system administrators, else those of records she sees."""
    entries = LogEntry.objects.all()
    if not can_read_audit_trail(user):
        return entries.none()
    if user.sees_everything:
        return entries
    models_ = audited_models()
    types = ContentType.objects.get_for_models(*models_)
    scope = Q(pk__in=[])
    for model in models_:
        scope |= Q(content_type=types[model], object_id__in=_visible_pks(model, user))
    return entries.filter(scope)


# --- The actor ------------------------------------------------------------------------------------------------------


def _client_address(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or the header our own proxy sets (ONLINE_CLIENT_ADDRESS_HEADER), if it is an IP address."""
    header = getattr(settings, "ONLINE_CLIENT_ADDRESS_HEADER", "")
    raw = request.META.get(header, "") if header else ""
    raw = raw.split(",")[-1].strip() or request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        return None


class AuditTrailMiddleware(AuditlogMiddleware):
    """auditlog's middleware (the signed-in user becomes the actor of every entry the request writes), with the
    client address read the way the rest of the product reads it.

    auditlog's own reads X-Forwarded-For whenever a client sends it: anyone could put another address in the
    trail, and a value that is no address at all makes the entry fail to save and so the whole write (a 500).
    """

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        return _client_address(request)

    @staticmethod
    def _get_remote_port(request: HttpRequest) -> int | None:
        return None


@contextlib.contextmanager
def audit_actor(user) -> Iterator[None]:
    """Record `user` as the actor of the entries written inside, where no request does (a background job).

    auditlog's set_actor leaves its context in place when it ends; a job run inside a request (the immediate
    backend) would then take the request's actor away for the rest of it. This puts back what was there before.
    """
    token = auditlog_value.set(auditlog_value.get(None))
    try:
        with set_actor(user):
            yield
    finally:
        auditlog_value.reset(token)


def acting_as_job_user(work: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """Wrap a background job's work (job, progress) so its entries name the job's user as the actor."""

    @functools.wraps(work)
    def run(job, progress):
        with audit_actor(job.user):
            return work(job, progress)

    return run


# --- Entries for writes that send no signals ------------------------------------------------------------------------


def _is_disabled() -> bool:
    return bool(auditlog_disabled.get())


def _save_entries(entries: list[LogEntry]) -> None:
    """Give the entries the actor and address of the running request or job, as auditlog does, and write them."""
    if not entries:
        return
    # The receiver that auditlog's middleware and set_actor connect fills actor and address on pre_save, which
    # bulk_create does not send: send it once for a probe entry and give every entry what it was given.
    probe = LogEntry()
    pre_save.send(sender=LogEntry, instance=probe, raw=False, using=LogEntry.objects.db, update_fields=None)
    for entry in entries:
        entry.actor_id, entry.actor_email = probe.actor_id, probe.actor_email
        entry.remote_addr, entry.remote_port = probe.remote_addr, probe.remote_port
    LogEntry.objects.bulk_create(entries, batch_size=500)


def _entry(
    instance: models.Model, *, action: int, changes: dict[str, Any], cid: str | None, moment: datetime.datetime
) -> LogEntry:
    return LogEntry(
        content_type=ContentType.objects.get_for_model(instance),  # cached by Django after the first
        object_pk=str(instance.pk),
        object_id=instance.pk if isinstance(instance.pk, int) else None,
        object_repr=str(instance),
        action=action,
        changes=changes,
        cid=cid,
        timestamp=moment,
    )


def _created_changes(instance: models.Model) -> dict[str, Any]:
    """What auditlog records when a row is created (every recorded field that has a value, masked where it
    masks), computed directly: its own diff against nothing costs three times as much on a 20,000-row import."""
    options = auditlog.get_model_fields(type(instance))
    mask = get_mask_function(options["mask_callable"])
    changes: dict[str, Any] = {}
    for name in options["include_fields"]:
        value = smart_str(get_field_value(instance, instance._meta.get_field(name)))
        if value == "None":
            continue
        changes[name] = [mask("None"), mask(value)] if name in options["mask_fields"] else ["None", value]
    return changes


def log_bulk_created(
    instances: Sequence[models.Model], *, m2m: dict[str, dict[Any, Iterable[Any]]] | None = None
) -> None:
    """Record the creation of rows written with bulk_create (which sends no signals), as auditlog would.

    m2m: {field name: {pk: related objects}} for many-to-many rows written in bulk with them (a household's
    categories), recorded in the same entry.
    """
    if not instances or _is_disabled() or not auditlog.contains(type(instances[0])):
        return
    cid, moment = get_cid(), timezone.now()
    entries = []
    for instance in instances:
        changes = _created_changes(instance)
        for name, related in (m2m or {}).items():
            names = [str(obj) for obj in related.get(instance.pk, ())]
            if names:
                changes[name] = {"type": "m2m", "operation": "add", "objects": names}
        entries.append(_entry(instance, action=LogEntry.Action.CREATE, changes=changes, cid=cid, moment=moment))
    _save_entries(entries)


def audit_update(queryset: QuerySet, **values: Any) -> int:
    """QuerySet.update(**values) that records each changed row's old and new values; returns the rows updated.

    The rows are read before (locked, inside a transaction) and after the update, so values may be expressions
    (F("version") + 1) and the entry holds what was stored.
    """
    model = queryset.model
    if _is_disabled() or not auditlog.contains(model):
        return queryset.update(**values)
    reading = queryset
    if transaction.get_connection(queryset.db).in_atomic_block:
        reading = queryset.select_for_update(of=("self",))
    rows = list(reading)
    if not rows:
        return 0
    pks = [row.pk for row in rows]
    updated = queryset.filter(pk__in=pks).update(**values)
    stored = model._default_manager.filter(pk__in=pks).only("pk", *values).in_bulk()
    cid, moment = get_cid(), timezone.now()
    entries = []
    for row in rows:
        if row.pk not in stored:
            continue
        new = copy.copy(row)
        for name in values:
            model_field = model._meta.get_field(name)
            setattr(new, model_field.attname, getattr(stored[row.pk], model_field.attname))
        changes = model_instance_diff(row, new, fields_to_check=list(values))
        if changes:
            entries.append(_entry(new, action=LogEntry.Action.UPDATE, changes=changes, cid=cid, moment=moment))
    _save_entries(entries)
    return updated


def log_access(*, actor, instance: models.Model, field_name: str) -> LogEntry | None:
    """Record that `actor` read a masked value of `instance` in full (an ACCESS entry), e.g. the ID number."""
    if not auditlog.contains(type(instance)):
        return None
    return LogEntry.objects.log_create(
        instance,
        action=LogEntry.Action.ACCESS,
        changes=None,
        force_log=True,
        actor=actor,
        actor_email=getattr(actor, "email", None) or None,
        additional_data={"field": field_name},
    )


# --- A record's trail -----------------------------------------------------------------------------------------------


@dataclass
class TrailKind:
    """A kind of record with a trail page: how to find it for a viewer, and which rows its trail gathers."""

    model: str
    related: tuple[str, ...]
    # (model label, lookup from that model to the record): the rows whose entries belong to the record's trail.
    family: tuple[tuple[str, str], ...]
    back_url: Callable[[Any], str]
    title: Callable[[Any], str]


TRAIL_KINDS: dict[str, TrailKind] = {
    "household": TrailKind(
        model="households.Household",
        related=("estate",),
        family=(
            ("households.Household", "pk"),
            ("households.Resident", "household"),
            ("households.AssistancePlan", "household"),
            ("households.PlanSection", "plan__household"),
            ("households.AssistanceMeasure", "plan__household"),
            ("households.Subsidy", "household"),
            ("households.AssistancePair", "household"),
        ),
        back_url=lambda household: reverse("households:detail", args=[household.pk]),
        title=lambda household: household.address,
    ),
    "plan": TrailKind(
        model="households.AssistancePlan",
        related=("household__estate",),
        family=(
            ("households.AssistancePlan", "pk"),
            ("households.PlanSection", "plan"),
            ("households.AssistanceMeasure", "plan"),
        ),
        back_url=lambda plan: reverse("households:plan_detail", args=[plan.household_id]),
        title=lambda plan: _("一户一策") + " · " + plan.household.address,
    ),
    "opinion": TrailKind(
        model="feedback.Opinion",
        related=(),
        family=(("feedback.Opinion", "pk"),),
        back_url=lambda opinion: reverse("feedback:detail", args=[opinion.pk]),
        title=lambda opinion: _("意见建议 #%(pk)s") % {"pk": opinion.pk},
    ),
    "visit": TrailKind(
        model="visits.Visit",
        related=("visitor",),
        family=(("visits.Visit", "pk"), ("assessment.SpotCheckItem", "visit")),
        back_url=lambda visit: reverse("visits:detail", args=[visit.pk]),
        title=lambda visit: str(visit),
    ),
}
_KIND_OF_MODEL = {kind.model: name for name, kind in TRAIL_KINDS.items()}


def trail_url(record: models.Model | None) -> str:
    """The trail page of a record, or "" for a record without one."""
    if record is None or record.pk is None:
        return ""
    kind = _KIND_OF_MODEL.get(record._meta.label)
    return reverse("audit_trail", args=[kind, record.pk]) if kind else ""


@dataclass
class Trail:
    kind: TrailKind
    record: models.Model
    entries: QuerySet[LogEntry]

    @property
    def title(self) -> str:
        return self.kind.title(self.record)

    @property
    def back_url(self) -> str:
        return self.kind.back_url(self.record)


def record_trail(*, viewer, kind: str, pk: int) -> Trail:
    """The trail of one record, newest first; 404 unless the viewer reads trails and sees the record itself."""
    trail_kind = TRAIL_KINDS.get(kind)
    if trail_kind is None or not can_read_audit_trail(viewer):
        raise Http404
    model = apps.get_model(trail_kind.model)
    record = model._default_manager.visible_to(viewer).select_related(*trail_kind.related).filter(pk=pk).first()
    if record is None:
        raise Http404
    labels = [label for label, _lookup in trail_kind.family]
    types = ContentType.objects.get_for_models(*(apps.get_model(label) for label in labels))
    scope = Q(pk__in=[])
    for label, lookup in trail_kind.family:
        member = apps.get_model(label)
        if lookup == "pk":
            rows: Any = [record.pk]
        else:
            rows = member._default_manager.filter(**{lookup: record}).values("pk")
        scope |= Q(content_type=types[member], object_id__in=rows)
    entries = LogEntry.objects.filter(scope).select_related("actor", "content_type").order_by("-timestamp", "-pk")
    return Trail(kind=trail_kind, record=record, entries=entries)


# --- Entries as people read them ------------------------------------------------------------------------------------

ACTION_LABELS = {
    LogEntry.Action.CREATE: (gettext_lazy("新建"), "success"),
    LogEntry.Action.UPDATE: (gettext_lazy("修改"), "primary"),
    LogEntry.Action.DELETE: (gettext_lazy("删除"), "danger"),
    LogEntry.Action.ACCESS: (gettext_lazy("查看完整信息"), "warning"),
}
# What a related row is shown as needs these rows too (their __str__ reads them).
_NAME_RELATED = {
    "households.Household": ("estate",),
    "households.AssistancePlan": ("household__estate",),
    "visits.Visit": ("visitor",),
    "feedback.Meeting": ("kind",),
}


@dataclass
class TrailChange:
    label: str
    old: str
    new: str


@dataclass
class TrailRow:
    """One entry of a trail as the page shows it."""

    entry: LogEntry
    action: str
    tone: str
    subject: str
    actor: str
    changes: list[TrailChange] = field(default_factory=list)
    note: str = ""


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:  # a field removed since the entry was written is shown by its name
        return None


def _field_order(model: type[models.Model] | None, name: str) -> tuple[int, str]:
    """Changes are listed in the order the record's fields are declared (as its form shows them)."""
    names = [model_field.name for model_field in model._meta.get_fields()] if model is not None else []
    return (names.index(name) if name in names else len(names), name)


def _related_names(entries: Sequence[LogEntry], viewer) -> dict[tuple[str, str], str]:
    """{(model label, pk): name} of every row a foreign key in these entries points to, one query per model.

    Read through the related model's visible_to(viewer): a row she may not see stays a bare number.
    """
    wanted: dict[type[models.Model], set[str]] = defaultdict(set)
    for entry in entries:
        model = entry.content_type.model_class()
        for name, values in (entry.changes or {}).items():
            model_field = _field(model, name)
            if model_field is None or not (model_field.many_to_one or model_field.one_to_one):
                continue
            for value in values if isinstance(values, list) else ():
                if value not in (None, "", "None"):
                    wanted[model_field.related_model].add(str(value))
    names: dict[tuple[str, str], str] = {}
    for related, pks in wanted.items():
        manager = related._default_manager
        rows = manager.visible_to(viewer) if hasattr(manager, "visible_to") else manager.all()
        rows = rows.select_related(*_NAME_RELATED.get(related._meta.label, ()))
        valid = [pk for pk in pks if pk.isdigit()]
        for row in rows.filter(pk__in=valid):
            names[(related._meta.label, str(row.pk))] = str(row)
    return names


def _display(model_field: models.Field | None, value: Any, names: dict[tuple[str, str], str]) -> str:
    """A stored value (auditlog keeps text) as the page shows it: labels for choices, names for relations."""
    if value in (None, "None", ""):
        return ""
    text = str(value)
    if model_field is not None:
        if model_field.many_to_one or model_field.one_to_one:
            return names.get((model_field.related_model._meta.label, text), f"#{text}")
        if model_field.flatchoices:
            labels = {str(key): str(label) for key, label in model_field.flatchoices}
            text = labels.get(text, text)
        elif isinstance(model_field, models.BooleanField):
            text = _("是") if text == "True" else _("否")
        elif isinstance(model_field, models.DateTimeField):
            text = _local_time(text)
    return text if len(text) <= VALUE_DISPLAY_MAX else text[:VALUE_DISPLAY_MAX] + "…"


def _local_time(text: str) -> str:
    # auditlog stores datetimes as naive UTC text.
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return text
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=datetime.UTC)
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def describe_entries(entries: Sequence[LogEntry], *, viewer) -> list[TrailRow]:
    """The entries of a trail page as rows to read; a bounded number of queries however many entries."""
    entries = list(entries)
    names = _related_names(entries, viewer)
    rows = []
    for entry in entries:
        model = entry.content_type.model_class()
        action, tone = ACTION_LABELS.get(entry.action, (str(entry.get_action_display()), "secondary"))
        kind_name = str(model._meta.verbose_name) if model else entry.content_type.model
        row = TrailRow(
            entry=entry,
            action=str(action),
            tone=tone,
            subject=f"{kind_name} · {entry.object_repr}",
            actor=entry.actor.get_full_name() if entry.actor else _("系统"),
        )
        if entry.action == LogEntry.Action.ACCESS:
            revealed = _field(model, (entry.additional_data or {}).get("field", ""))
            row.note = str(revealed.verbose_name) if revealed is not None else ""
        for name, values in sorted((entry.changes or {}).items(), key=lambda item: _field_order(model, item[0])):
            model_field = _field(model, name)
            label = str(model_field.verbose_name) if model_field is not None else name
            if isinstance(values, dict):  # a many-to-many change: names added or removed
                objects = "、".join(str(obj) for obj in values.get("objects", []))
                adding = values.get("operation") == "add"
                row.changes.append(TrailChange(label, "" if adding else objects, objects if adding else ""))
                continue
            old, new = (_display(model_field, value, names) for value in values)
            if old != new:
                row.changes.append(TrailChange(label, old, new))
        rows.append(row)
    return rows
