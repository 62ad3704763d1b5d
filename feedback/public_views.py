"""The online channel (网络平台): a resident submits an opinion without logging in and follows it with a code.

Nothing here needs a login, so nothing here trusts the visitor: every limit is checked on the server, each
address may submit ONLINE_OPINIONS_PER_HOUR opinions and look up ONLINE_TRACKING_LOOKUPS_PER_HOUR codes an hour
(429 past that), and the tracking page is built from a small public record that never holds the resident's name
or phone, a staff member's name, an internal note or any other opinion.

The honeypot answers a bot as if it had succeeded (the same redirect to the same thanks page, without a code)
rather than with an error: an error teaches the program which field to leave empty next time. A person does not
fill the field: it is hidden by a CSS class, skipped by the tab key, never autofilled, and labelled "leave empty".
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from feedback import services, throttle
from feedback.models import Opinion
from feedback.public_forms import PublicOpinionForm, TrackingForm, is_well_formed_code

# The code shown once on the thanks page after the redirect; never put in a URL a proxy or history could keep.
SESSION_CODE = "feedback_public_code"
SUBMIT_SCOPE = "opinion-submit"
TRACK_SCOPE = "opinion-track"

S = Opinion.Status


class PublicStatus(models.TextChoices):
    """What a resident is told of the workflow: four plain steps instead of the office's seven."""

    RECEIVED = "received", _("收到待处理")
    IN_HAND = "in_hand", _("正在办理")
    RESOLVED = "resolved", _("已解决")
    EXPLAINED = "explained", _("已答复")


PUBLIC_STATUS = {
    S.NEW: PublicStatus.RECEIVED,
    S.SORTED: PublicStatus.RECEIVED,
    S.SPLIT: PublicStatus.RECEIVED,
    S.ASSIGNED: PublicStatus.IN_HAND,
    S.IN_PROGRESS: PublicStatus.IN_HAND,
    S.RESOLVED: PublicStatus.RESOLVED,
    S.EXPLAINED: PublicStatus.EXPLAINED,
}
CLOSED = (PublicStatus.RESOLVED, PublicStatus.EXPLAINED)
# Only these columns are read: the name, the phone and everything internal never leave the database.
PUBLIC_COLUMNS = ("status", "category__name", "due_on", "closed_at", "resolution", "explanation")


@dataclass(frozen=True)
class PublicProgress:
    """One opinion (or one part of a split one) as its resident may see it."""

    status: PublicStatus
    category: str
    due_on: datetime.date | None
    closed_on: datetime.date | None
    result: str  # what was done, or the explanation the resident was given

    @classmethod
    def of(cls, opinion: Opinion) -> PublicProgress:
        status = PUBLIC_STATUS[opinion.status]
        result = {PublicStatus.RESOLVED: opinion.resolution, PublicStatus.EXPLAINED: opinion.explanation}
        return cls(
            status=status,
            category=opinion.category.name if opinion.category_id else "",
            due_on=opinion.due_on if status == PublicStatus.IN_HAND else None,
            closed_on=timezone.localtime(opinion.closed_at).date() if opinion.closed_at else None,
            result=result.get(status, ""),
        )


@dataclass(frozen=True)
class PublicRecord:
    """What the tracking page shows for a code: the opinion's progress, and that of its parts if it was split."""

    code: str
    received_on: datetime.date
    progress: PublicProgress
    parts: list[PublicProgress] = field(default_factory=list)

    @property
    def status(self) -> PublicStatus:
        """A split opinion is as far along as its parts: closed when all are, in hand once any is taken up."""
        if not self.parts:
            return self.progress.status
        statuses = [part.status for part in self.parts]
        if all(s in CLOSED for s in statuses):
            return PublicStatus.RESOLVED if PublicStatus.RESOLVED in statuses else PublicStatus.EXPLAINED
        if any(s != PublicStatus.RECEIVED for s in statuses):
            return PublicStatus.IN_HAND
        return PublicStatus.RECEIVED


def _public_record(code: str) -> PublicRecord | None:
    """The online opinion with this code, as its resident may see it; None for any code that is not one."""
    if not is_well_formed_code(code):
        return None
    opinion = (
        Opinion.objects.filter(tracking_code=code, source=Opinion.Source.ONLINE, parent__isnull=True)
        .select_related("category")
        .only("pk", "tracking_code", "created_at", *PUBLIC_COLUMNS)
        .first()
    )
    if opinion is None:
        return None
    parts = []
    if opinion.status == S.SPLIT:
        parts = [
            PublicProgress.of(part)
            for part in opinion.parts.select_related("category").only("pk", "parent_id", *PUBLIC_COLUMNS).order_by("pk")
        ]
    return PublicRecord(
        code=opinion.tracking_code,
        received_on=timezone.localtime(opinion.created_at).date(),
        progress=PublicProgress.of(opinion),
        parts=parts,
    )


def _too_many(request: HttpRequest, *, tracking: bool) -> HttpResponse:
    response = render(request, "feedback/public_throttled.html", {"tracking": tracking}, status=429)
    response["Retry-After"] = str(throttle.seconds_left())
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    """The form; on POST store the opinion and send the resident to the page that shows its code."""
    if request.method != "POST":
        return render(request, "feedback/public_submit.html", {"form": PublicOpinionForm()})
    limit = settings.ONLINE_OPINIONS_PER_HOUR
    if throttle.is_over(SUBMIT_SCOPE, request, limit=limit):
        return _too_many(request, tracking=False)
    form = PublicOpinionForm(request.POST)
    if form.is_bot():
        # Counted like a submission, so a bot that keeps trying is stopped too; nothing is stored.
        throttle.hit(SUBMIT_SCOPE, request, limit=limit)
        request.session[SESSION_CODE] = ""
        return redirect("public:thanks")
    if form.is_valid():
        # Counted atomically only now: a resident correcting a mistake in the form does not use up her hour.
        if not throttle.hit(SUBMIT_SCOPE, request, limit=limit):
            return _too_many(request, tracking=False)
        try:
            opinion = services.opinion_submit_online(**form.submit_data())
        except ValidationError as error:
            form.add_service_error(error)
        else:
            request.session[SESSION_CODE] = opinion.tracking_code
            return redirect("public:thanks")
    return render(request, "feedback/public_submit.html", {"form": form})


@never_cache
@require_http_methods(["GET", "HEAD"])
def thanks(request: HttpRequest) -> HttpResponse:
    """The tracking code, big, once: a reload or a stranger with the link is sent back to the form."""
    if SESSION_CODE not in request.session:
        return redirect("public:submit")
    code = request.session[SESSION_CODE]
    if request.method == "GET":
        del request.session[SESSION_CODE]
    return render(request, "feedback/public_thanks.html", {"code": code})


@never_cache
@require_http_methods(["GET", "HEAD"])
def track(request: HttpRequest) -> HttpResponse:
    """The progress of the one opinion whose code was given; an unknown and a malformed code read the same."""
    if "code" not in request.GET:
        return render(request, "feedback/public_track.html", {"form": TrackingForm()})
    form = TrackingForm(request.GET)
    if not form.is_valid():  # sent empty: nothing was looked up
        return render(request, "feedback/public_track.html", {"form": form})
    if not throttle.hit(TRACK_SCOPE, request, limit=settings.ONLINE_TRACKING_LOOKUPS_PER_HOUR):
        return _too_many(request, tracking=True)
    record = _public_record(form.cleaned_data["code"])
    return render(request, "feedback/public_track.html", {"form": form, "record": record, "not_found": record is None})
