"""The staff pages of opinions (意见建议): the list and its export, my tasks, overdue, an opinion and its steps,
and the topic meetings (专题会议) that take up a group of opinions.

Every page starts from Opinion.objects.visible_to(user) (through feedback.selectors): an opinion outside the
user's scope answers 404, whether it exists or not; one she sees but whose step her role may not take answers
403. Each step is a one-screen form on a phone (GET shows it, POST calls the service); a step the opinion is not
ready for (already sorted, not yet in progress) sends her back to the opinion with a word why. Writes go through
feedback.services, which record who took each step and when.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from feedback import selectors, services
from feedback.exports import opinion_workbook
from feedback.forms import (
    AssignForm,
    ExplainForm,
    NoteForm,
    OpinionFilterForm,
    OpinionForm,
    ResolveForm,
    SortForm,
    SplitForm,
    TopicMeetingForm,
)
from feedback.models import Meeting, Opinion, OpinionCategory, TopicMeeting
from visits.models import Visit
from wenxin.models import User
from wenxin.xlsx import xlsx_response

PAGE_SIZE = 25
TOPIC_PAGE_SIZE = 25
# Open opinions offered as checkboxes on the topic-meeting form; the category filter narrows a longer list.
TOPIC_CANDIDATES_LIMIT = 200

Status = Opinion.Status
require_get = require_http_methods(["GET", "HEAD"])
require_form = require_http_methods(["GET", "HEAD", "POST"])


def _today() -> datetime.date:
    return timezone.localdate()


def _mark(opinions: Iterable[Opinion], today: datetime.date) -> list[Opinion]:
    """The opinions with what their cards show: overdue or not, and the days left to the completion date."""
    marked = list(opinions)
    for opinion in marked:
        opinion.overdue = opinion.is_overdue(today)
        opinion.days_left = (opinion.due_on - today).days if opinion.due_on else None
        opinion.days_late = -opinion.days_left if opinion.overdue else 0
    return marked


def _page(request: HttpRequest, rows, size: int = PAGE_SIZE):
    return Paginator(rows, size).get_page(request.GET.get("page"))


def _may_handle(user: User, opinion: Opinion) -> bool:
    """Start, resolve, explain: the responsible person, or someone who dispatches opinions."""
    return opinion.responsible_id == user.pk or user.can_dispatch_opinions


def _reviews_overdue(user: User) -> bool:
    """The overdue list is the leaders' and dispatchers' lookout; a worker follows her own in my tasks."""
    return user.can_dispatch_opinions or user.can_review_meetings


def _actions(user: User, opinion: Opinion) -> dict[str, bool]:
    """The steps this user may take on this opinion now: the page shows these and no others."""
    dispatch = user.can_dispatch_opinions
    handle = _may_handle(user, opinion)
    return {
        "sort": dispatch and opinion.can_move_to(Status.SORTED),
        "split": dispatch and opinion.can_move_to(Status.SPLIT),
        "assign": dispatch and opinion.can_move_to(Status.ASSIGNED),
        "start": handle and opinion.can_move_to(Status.IN_PROGRESS),
        "resolve": handle and opinion.can_move_to(Status.RESOLVED),
        "explain": handle and opinion.can_move_to(Status.EXPLAINED),
    }


# --- Lists ------------------------------------------------------------------------------------------------------


@login_required
@require_get
def opinion_list(request: HttpRequest) -> HttpResponse:
    """The opinions she sees, per status, category and source, narrowed by the filters, newest first."""
    user, today = request.user, _today()
    form = OpinionFilterForm(request.GET, user=user)
    filters = form.filters()
    page = _page(request, selectors.opinion_list(viewer=user, filters=filters, today=today))
    context = {
        "form": form,
        "filters": filters,
        # The filters stay open (on phones they fold away) while any filter besides the search box is in use.
        "filtering": replace(filters, q="") != selectors.OpinionFilters(),
        "page": page,
        "opinions": _mark(page.object_list, today),
        "counts": selectors.opinion_counts(viewer=user, today=today),
        "today": today,
        "may_review_overdue": _reviews_overdue(user),
    }
    return render(request, "feedback/opinion_list.html", context)


@login_required
@require_get
def opinion_export(request: HttpRequest) -> HttpResponse:
    """The rows of the list, as filtered, in a spreadsheet."""
    user, today = request.user, _today()
    filters = OpinionFilterForm(request.GET, user=user).filters()
    opinions = selectors.opinion_list(viewer=user, filters=filters, today=today)
    filename = _("意见建议-%(date)s.xlsx") % {"date": f"{today:%Y%m%d}"}
    return xlsx_response(opinion_workbook(opinions.iterator(chunk_size=500), today=today), filename)


@login_required
@require_get
def my_tasks(request: HttpRequest) -> HttpResponse:
    """我的任务: the open opinions she answers for, the nearest deadline first, as cards with one-tap steps."""
    user, today = request.user, _today()
    page = _page(request, selectors.my_tasks(viewer=user))
    opinions = _mark(page.object_list, today)
    for opinion in opinions:
        opinion.actions = _actions(user, opinion)
    context = {
        "page": page,
        "opinions": opinions,
        "overdue_count": selectors.my_tasks(viewer=user).overdue(today).count(),
        "today": today,
    }
    return render(request, "feedback/opinion_mine.html", context)


@login_required
@require_get
def overdue(request: HttpRequest) -> HttpResponse:
    """Past their completion date and not closed: for leaders in charge, those of their departments and topics."""
    user, today = request.user, _today()
    if not _reviews_overdue(user):
        raise PermissionDenied
    page = _page(request, selectors.overdue_opinions(viewer=user, today=today))
    context = {"page": page, "opinions": _mark(page.object_list, today), "today": today}
    return render(request, "feedback/opinion_overdue.html", context)


# --- Recording an opinion ---------------------------------------------------------------------------------------


def _int_param(request: HttpRequest, name: str) -> int | None:
    """A number from the query string; anything else there is a link that leads nowhere (404)."""
    raw = request.GET.get(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise Http404 from None


def _fixed_source(request: HttpRequest, user: User) -> tuple[str, Visit | Meeting] | None:
    """The visit or meeting the page was opened from (?visit= / ?meeting=), if she may see it; else 404."""
    visit_pk, meeting_pk = _int_param(request, "visit"), _int_param(request, "meeting")
    if visit_pk is not None:
        visit = (
            Visit.objects.visible_to(user)
            .select_related("visitor", "household__estate", "estate", "community", "enterprise", "paired_village")
            .filter(pk=visit_pk)
            .first()
        )
        if visit is None:
            raise Http404
        return "visit", visit
    if meeting_pk is not None:
        meeting = selectors.get_meeting_for_user(user, meeting_pk)
        return "meeting", meeting
    return None


def _prefill(link: str, obj: Visit | Meeting) -> dict[str, Any]:
    """What the visit or the meeting already says: the place, and on a visit the difficulty raised."""
    if link == "meeting":
        return {"community": obj.community_id}
    estate = obj.estate or (obj.household.estate if obj.household_id else None)
    return {
        "text": obj.difficulty,
        "community": obj.community_id,
        "estate": estate.pk if estate else None,
        "raised_by": obj.met_whom[:50],
    }


@login_required
@require_form
def opinion_create(request: HttpRequest) -> HttpResponse:
    """Record an opinion heard on a visit, at a meeting, from an enterprise or a paired village."""
    user = request.user
    if not user.can_log_visits:
        raise PermissionDenied
    fixed = _fixed_source(request, user)
    initial = _prefill(*fixed) if fixed else {}
    posted = request.POST if request.method == "POST" else None
    form = OpinionForm(posted, user=user, fixed=fixed is not None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        if fixed:
            link, obj = fixed
            data.update(source=link, **{link: obj})
        try:
            opinion = services.opinion_create(actor=user, **data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("已记录意见建议 #%(pk)s。") % {"pk": opinion.pk})
            if "another" in request.POST:
                # At a meeting opinions come one after another: the next one starts from the same meeting.
                url = reverse("feedback:create")
                if opinion.meeting_id:
                    url += f"?meeting={opinion.meeting_id}"
                return redirect(url)
            return redirect("feedback:detail", pk=opinion.pk)
    context = {
        "form": form,
        "link": fixed[0] if fixed else "",
        "linked": fixed[1] if fixed else None,
        # The form posts back to the same visit or meeting, so the link stays fixed on a refused save.
        "query": f"{fixed[0]}={fixed[1].pk}" if fixed else "",
    }
    return render(request, "feedback/opinion_form.html", context)


# --- An opinion -------------------------------------------------------------------------------------------------


def _source_link(user: User, opinion: Opinion) -> str:
    """The page of the visit or meeting it came from, if she may open it; else no link."""
    if opinion.visit_id and Visit.objects.visible_to(user).filter(pk=opinion.visit_id).exists():
        return reverse("visits:detail", args=[opinion.visit_id])
    if opinion.meeting_id and Meeting.objects.visible_to(user).filter(pk=opinion.meeting_id).exists():
        return reverse("feedback:meeting_detail", args=[opinion.meeting_id])
    return ""


@login_required
@require_get
def opinion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user, today = request.user, _today()
    opinion = selectors.get_opinion_for_user(user, pk)
    visible = Opinion.objects.visible_to(user)
    parts = list(visible.filter(parent=opinion).select_related(*selectors.OPINION_RELATED).order_by("pk"))
    actions = _actions(user, opinion)
    context = {
        "opinion": _mark([opinion], today)[0],
        "source_url": _source_link(user, opinion),
        "parts": _mark(parts, today),
        "parent_visible": bool(opinion.parent_id) and visible.filter(pk=opinion.parent_id).exists(),
        "topic_visible": bool(opinion.topic_meeting_id)
        and TopicMeeting.objects.visible_to(user).filter(pk=opinion.topic_meeting_id).exists(),
        "history": list(selectors.opinion_history(opinion)),
        "actions": actions,
        "any_action": any(actions.values()),
        "sort_form": _versioned(SortForm(user=user, auto_id="sort_%s"), opinion) if actions["sort"] else None,
        "resolve_form": _versioned(ResolveForm(auto_id="resolve_%s"), opinion) if actions["resolve"] else None,
        "explain_form": _versioned(ExplainForm(auto_id="explain_%s"), opinion) if actions["explain"] else None,
        "today": today,
    }
    return render(request, "feedback/opinion_detail.html", context)


# --- The steps --------------------------------------------------------------------------------------------------


def _versioned(form: forms.Form, opinion: Opinion) -> forms.Form:
    """The step's form carrying the opinion's version: a step from an outdated page is refused (EditConflict)."""
    form.add_version_field(opinion.version)
    return form


def _posted_version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


# Each step: the status it moves the opinion to, and who may take it (those who dispatch opinions, or also the
# responsible person).
STEPS = {
    "sort": (Status.SORTED, "dispatch"),
    "split": (Status.SPLIT, "dispatch"),
    "assign": (Status.ASSIGNED, "dispatch"),
    "start": (Status.IN_PROGRESS, "handle"),
    "resolve": (Status.RESOLVED, "handle"),
    "explain": (Status.EXPLAINED, "handle"),
}


def _step_titles() -> dict[str, tuple[str, str]]:
    return {
        "sort": (_("梳理分类"), _("保存分类")),
        "split": (_("分解意见"), _("分解")),
        "assign": (_("交办"), _("交办")),
        "start": (_("开始办理"), _("开始办理")),
        "resolve": (_("办结：已解决"), _("办结")),
        "explain": (_("办结：已解释"), _("办结")),
    }


def _step_page(
    request: HttpRequest,
    pk: int,
    step: str,
    *,
    make_form: Callable[..., forms.Form],
    perform: Callable[[User, Opinion, forms.Form], Any],
    done: Callable[[Any], str],
    initial: Callable[[Opinion, User], dict] | None = None,
    template: str = "feedback/opinion_step.html",
) -> HttpResponse:
    """One step of an opinion: 404 outside her scope, 403 if her role may not take it, back to the opinion if
    it is not ready for this step; otherwise the form, and on POST the service, with its errors on the form.

    `perform` calls the service and returns what it returns; `done` turns that into the success message. The
    form carries the opinion's version: a step from a page opened before someone else's step is refused with who
    took it, when and what changed (wenxin.concurrency), her typed values kept.
    """
    user = request.user
    opinion = selectors.get_opinion_for_user(user, pk)
    to_status, who = STEPS[step]
    allowed = user.can_dispatch_opinions if who == "dispatch" else _may_handle(user, opinion)
    if not allowed:
        raise PermissionDenied
    if not opinion.can_move_to(to_status):
        posted = _posted_version(request) if request.method == "POST" else None
        if posted is not None and posted != opinion.version:
            # Someone else took a step after her page was opened: say who, when and what, not only "not now".
            conflict = services.opinion_conflict(opinion, expected=posted)
            messages.warning(request, "".join(conflict.lines()[: 2 if conflict.summary else 1]))
        messages.warning(
            request,
            _("这条意见目前是“%(current)s”，不能进行这一步。") % {"current": opinion.get_status_display()},
        )
        return redirect("feedback:detail", pk=opinion.pk)
    bound = request.POST if request.method == "POST" else None
    form = _versioned(make_form(bound, initial=initial(opinion, user) if initial else None), opinion)
    if request.method == "POST" and form.is_valid():
        try:
            result = perform(user, opinion, form)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, done(result))
            if request.POST.get("next") == "mine":
                return redirect("feedback:mine")
            return redirect("feedback:detail", pk=opinion.pk)
    title, button = _step_titles()[step]
    if step == "assign" and opinion.status != Status.SORTED:
        title = button = _("改派")
    context = {"opinion": opinion, "form": form, "step": step, "title": title, "button": button}
    return render(request, template, context)


@login_required
@require_form
def opinion_sort(request: HttpRequest, pk: int) -> HttpResponse:
    return _step_page(
        request,
        pk,
        "sort",
        make_form=lambda data, initial: SortForm(data, user=request.user, initial=initial),
        perform=lambda user, opinion, form: services.opinion_sort(
            actor=user, opinion=opinion, expected_version=form.expected_version, **form.cleaned_data
        ),
        done=lambda opinion: _("已分类：%(category)s。") % {"category": opinion.category},
    )


@login_required
@require_form
def opinion_split(request: HttpRequest, pk: int) -> HttpResponse:
    return _step_page(
        request,
        pk,
        "split",
        make_form=lambda data, initial: SplitForm(data, user=request.user),
        perform=lambda user, opinion, form: services.opinion_split(
            actor=user,
            opinion=opinion,
            parts=form.parts(),
            note=form.cleaned_data["note"],
            expected_version=form.expected_version,
        ),
        done=lambda parts: (
            _("已分解为 %(count)s 条：%(parts)s，请分别交办。")
            % {"count": len(parts), "parts": "、".join(f"#{part.pk}" for part in parts)}
        ),
        template="feedback/opinion_split.html",
    )


@login_required
@require_form
def opinion_assign(request: HttpRequest, pk: int) -> HttpResponse:
    return _step_page(
        request,
        pk,
        "assign",
        make_form=lambda data, initial: AssignForm(data, user=request.user, initial=initial),
        initial=AssignForm.initial_for,
        perform=lambda user, opinion, form: services.opinion_assign(
            actor=user, opinion=opinion, expected_version=form.expected_version, **form.cleaned_data
        ),
        done=lambda opinion: (
            _("已交办给%(person)s，完成期限 %(date)s。")
            % {"person": opinion.responsible, "date": f"{opinion.due_on:%Y-%m-%d}"}
        ),
    )


@login_required
@require_form
def opinion_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _step_page(
        request,
        pk,
        "start",
        make_form=lambda data, initial: NoteForm(data),
        perform=lambda user, opinion, form: services.opinion_start(
            actor=user, opinion=opinion, expected_version=form.expected_version, **form.cleaned_data
        ),
        done=lambda opinion: _("已开始办理 #%(pk)s。") % {"pk": opinion.pk},
    )


@login_required
@require_form
def opinion_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    return _step_page(
        request,
        pk,
        "resolve",
        make_form=lambda data, initial: ResolveForm(data),
        perform=lambda user, opinion, form: services.opinion_resolve(
            actor=user, opinion=opinion, expected_version=form.expected_version, **form.cleaned_data
        ),
        done=lambda opinion: _("已办结（已解决）#%(pk)s。") % {"pk": opinion.pk},
    )


@login_required
@require_form
def opinion_explain(request: HttpRequest, pk: int) -> HttpResponse:
    return _step_page(
        request,
        pk,
        "explain",
        make_form=lambda data, initial: ExplainForm(data),
        perform=lambda user, opinion, form: services.opinion_explain(
            actor=user, opinion=opinion, expected_version=form.expected_version, **form.cleaned_data
        ),
        done=lambda opinion: _("已办结（已解释）#%(pk)s。") % {"pk": opinion.pk},
    )


# --- Topic meetings ---------------------------------------------------------------------------------------------


@login_required
@require_get
def topic_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    page = _page(request, selectors.topic_meeting_list(viewer=user), TOPIC_PAGE_SIZE)
    context = {"page": page, "can_create": user.can_hold_topic_meetings and bool(user.street_id)}
    return render(request, "feedback/topic_list.html", context)


def _category_param(request: HttpRequest) -> OpinionCategory | None:
    """The category the candidate opinions are narrowed to; an unknown or malformed one is no filter."""
    raw = request.GET.get("category", "")
    if not raw.isdecimal():
        return None
    return OpinionCategory.objects.visible_to(request.user).filter(pk=int(raw)).first()


@login_required
@require_form
def topic_create(request: HttpRequest) -> HttpResponse:
    """A topic meeting: tick the open opinions it studied (narrowed by category), then what it decided."""
    user = request.user
    if not (user.can_hold_topic_meetings and user.street_id):
        raise PermissionDenied
    category = _category_param(request)
    form = TopicMeetingForm(request.POST if request.method == "POST" else None, user=user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            topic = services.topic_meeting_create(actor=user, **data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("已记录专题会议：%(title)s。") % {"title": topic.title})
            return redirect("feedback:topic_detail", pk=topic.pk)
    candidates = list(selectors.topic_candidates(viewer=user, category=category)[:TOPIC_CANDIDATES_LIMIT])
    checked = form.checked_ids()
    # A ticked opinion stays on the page after a narrower filter or a refused save, so nothing ticked is lost.
    shown = {str(opinion.pk) for opinion in candidates}
    # Within a bigint: a tampered 30-digit id would crash `pk IN (...)` on SQLite and PostgreSQL.
    extra = [int(pk) for pk in checked - shown if pk.isdecimal() and int(pk) < 2**63]
    if extra:
        candidates = list(selectors.topic_candidates(viewer=user).filter(pk__in=extra)) + candidates
    context = {
        "form": form,
        "candidates": candidates,
        "checked": checked,
        "category": category,
        "categories": list(OpinionCategory.objects.visible_to(user)),
        "limited": len(candidates) >= TOPIC_CANDIDATES_LIMIT,
        "limit": TOPIC_CANDIDATES_LIMIT,
        "query": f"category={category.pk}" if category else "",
    }
    return render(request, "feedback/topic_form.html", context)


@login_required
@require_get
def topic_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user, today = request.user, _today()
    topic = selectors.get_topic_meeting_for_user(user, pk)
    opinions = (
        Opinion.objects.visible_to(user)
        .filter(topic_meeting=topic)
        .select_related(*selectors.OPINION_RELATED)
        .order_by("pk")
    )
    context = {"topic": topic, "opinions": _mark(opinions, today), "today": today}
    return render(request, "feedback/topic_detail.html", context)
