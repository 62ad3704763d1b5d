"""No lost updates: the version of a record, and the refusal given to a save made from an outdated page.

Households, assistance plans and opinions carry a version number that every change raises by one, in the same
UPDATE and under the row lock the service takes (select_for_update). A page that edits one of them carries, in
a hidden field, the version it was opened at; the service locks the row, compares, and raises EditConflict when
someone saved in between. The conflict says who changed the record and when (from the audit trail, the plan's
history or the opinion's events), and what changed: field by field, the stored value beside the one typed. The
form is shown again with what she typed and the new version, so a second save is a deliberate choice and
nothing is overwritten silently.

Services take ``expected_version=None`` to mean "no check": imports, the demo data and internal callers (a visit
recording a plan section) change records without a page opened at a version. The Django admin's forms do not
carry the version, so an admin save is not checked; it still raises the version, so product pages opened before
it are refused.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

# The name of the hidden field that carries the version on every form that edits a versioned record.
VERSION_FIELD = "version"
# A value longer than this is cut in the message: the form below shows it in full.
SHOWN_CHARS = 60
# Two records of one change (the service's audit entry, the row-change log) are written this close together.
SAME_CHANGE = datetime.timedelta(seconds=5)
# Fields every change touches: not what a colleague changed.
BOOKKEEPING_FIELDS = {"version", "updated_at", "created_at"}


@dataclass(frozen=True)
class FieldChange:
    """One field as it is stored now beside what this user typed (None: she left the field as it was)."""

    label: str
    theirs: str
    yours: str | None = None


def shown(value: Any) -> str:
    """A stored or typed value as the message quotes it: empty said so, long texts cut."""
    if value is None or value == "" or value == []:
        return _("（空）")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


class EditConflict(ValidationError):
    """The record moved on past the version the user's page was opened at; nothing was saved.

    `record` names it as the message's subject ("该户的信息", "意见建议 #12"); `summary` says in a few words
    what the other save did.

    A ValidationError, so every page that shows a service's errors shows this one too; forms that know what
    they showed (ServiceErrorsMixin) replace `changes` with a field-by-field comparison and take `current` as
    their new version. `current_values` holds the stored values (as a form's initial data) for that purpose.
    """

    def __init__(
        self,
        *,
        record: str,
        expected: int,
        current: int,
        changed_by: str = "",
        changed_at: datetime.datetime | None = None,
        summary: str = "",
        changes: Sequence[FieldChange] = (),
        current_values: dict[str, Any] | None = None,
    ) -> None:
        self.record, self.expected, self.current = record, expected, current
        self.changed_by, self.changed_at, self.summary = changed_by, changed_at, summary
        self.changes = list(changes)
        self.current_values = current_values or {}
        super().__init__(self.lines(), code="edit_conflict")

    def with_changes(self, changes: Sequence[FieldChange]) -> EditConflict:
        """The same conflict with another field-by-field comparison (the form's, which knows what it showed)."""
        return EditConflict(
            record=self.record,
            expected=self.expected,
            current=self.current,
            changed_by=self.changed_by,
            changed_at=self.changed_at,
            summary=self.summary,
            changes=changes,
            current_values=self.current_values,
        )

    def headline(self) -> str:
        """Who changed what, when, and the two versions: the first line of the message."""
        params = {
            "record": self.record,
            "who": self.changed_by or _("他人"),
            "expected": self.expected,
            "current": self.current,
        }
        if self.changed_at is not None:
            params["when"] = f"{timezone.localtime(self.changed_at):%Y-%m-%d %H:%M}"
            return (
                _(
                    "保存未成功：%(record)s已被%(who)s于 %(when)s 修改"
                    "（您打开页面时是第 %(expected)s 版，现在是第 %(current)s 版）。"
                )
                % params
            )
        return (
            _("保存未成功：%(record)s已被%(who)s修改（您打开页面时是第 %(expected)s 版，现在是第 %(current)s 版）。")
            % params
        )

    def lines(self) -> list[str]:
        """The whole message, one line each: who and when, what they did, each field, what to do now."""
        lines = [self.headline()]
        if self.summary:
            lines.append(_("对方所做的修改：%(summary)s") % {"summary": self.summary})
        for change in self.changes:
            params = {"label": change.label, "theirs": change.theirs, "yours": change.yours}
            if change.yours is None:
                lines.append(_("%(label)s：现为「%(theirs)s」（您没有改动这一项）。") % params)
            else:
                lines.append(_("%(label)s：现为「%(theirs)s」，您填写的是「%(yours)s」。") % params)
        lines.append(
            _(
                "为避免覆盖他人的修改，本次没有保存。请核对最新内容；"
                "如仍要按您的内容修改，再次保存即可（第 %(current)s 版）。"
            )
            % {"current": self.current}
        )
        return lines


@dataclass(frozen=True)
class LastChange:
    """Who last changed a record, when, and which fields, as the audit trail recorded it."""

    by: str = ""
    at: datetime.datetime | None = None
    fields: tuple[str, ...] = ()


def last_change(instance: models.Model) -> LastChange:
    """The latest change to `instance` in the audit trail: the row-change log (django-auditlog) and the services'
    own entries (wenxin.AuditEntry, e.g. a move-out), whichever is newer; the actor of either record of the
    same change, since one may lack it (auditlog names the actor only within a request or a job).
    """
    from wenxin.models import AuditEntry  # the models import this module's callers

    found: list[tuple[datetime.datetime, Any, tuple[str, ...]]] = []
    content_type = ContentType.objects.get_for_model(instance)
    if apps.is_installed("auditlog"):
        from auditlog.models import LogEntry

        entry = (
            LogEntry.objects.filter(content_type=content_type, object_pk=str(instance.pk))
            .exclude(action=LogEntry.Action.ACCESS)
            .select_related("actor")
            .order_by("-timestamp", "-pk")
            .first()
        )
        if entry is not None:
            found.append((entry.timestamp, entry.actor, tuple(entry.changes or {})))
    entry = (
        AuditEntry.objects.filter(
            content_type=content_type,
            object_id=str(instance.pk),
            action__in=[AuditEntry.Action.CREATE, AuditEntry.Action.UPDATE, AuditEntry.Action.ARCHIVE],
        )
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )
    if entry is not None:
        archived = ("status", "moved_out_on", "moved_out_reason")
        fields = archived if entry.action == AuditEntry.Action.ARCHIVE else tuple(entry.changes or {})
        found.append((entry.created_at, entry.actor, fields))
    if not found:
        return LastChange()
    found.sort(key=lambda item: item[0], reverse=True)
    at, actor, fields = found[0]
    if actor is None:
        actor = next((a for when, a, _f in found[1:] if a is not None and at - when <= SAME_CHANGE), None)
    return LastChange(
        by=str(actor) if actor is not None else "",
        at=at,
        fields=tuple(name for name in fields if name not in BOOKKEEPING_FIELDS),
    )


def check_version(*, expected: int | None, current: int, conflict: Any) -> None:
    """Raise the conflict `conflict()` builds when a page's version is not the stored one; None checks nothing."""
    if expected is not None and expected != current:
        raise conflict()
