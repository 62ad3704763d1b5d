"""What the feedback models decide on their own: the transition table, overdue, on time, and their own checks."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from feedback.models import OPINION_TEXT_MAX, Meeting, MeetingKind, Opinion
from tests.factories import MeetingFactory, OpinionFactory, meeting_kind

Status = Opinion.Status
TODAY = datetime.date(2026, 11, 25)
YESTERDAY = TODAY - datetime.timedelta(days=1)
TOMORROW = TODAY + datetime.timedelta(days=1)


# --- The path an opinion may take -------------------------------------------------------------------------------

ALLOWED = {
    (Status.NEW, Status.SORTED),
    (Status.NEW, Status.SPLIT),
    (Status.SORTED, Status.ASSIGNED),
    (Status.ASSIGNED, Status.ASSIGNED),
    (Status.ASSIGNED, Status.IN_PROGRESS),
    (Status.IN_PROGRESS, Status.ASSIGNED),
    (Status.IN_PROGRESS, Status.RESOLVED),
    (Status.IN_PROGRESS, Status.EXPLAINED),
}


@pytest.mark.parametrize("current", list(Status))
@pytest.mark.parametrize("wanted", list(Status))
def test_only_the_steps_of_the_method_are_allowed(current, wanted):
    # The table written out once more by hand, so an edit to TRANSITIONS has to be an edit to this test too.
    assert Opinion(status=current).can_move_to(wanted) is ((current, wanted) in ALLOWED)


def test_the_status_read_from_the_database_is_checked_like_the_enum():
    assert Opinion(status="sorted").can_move_to("assigned")
    assert not Opinion(status="sorted").can_move_to("resolved")


def test_every_status_is_open_closed_or_split():
    for status in Status:
        kinds = [status in Opinion.OPEN_STATUSES, status in Opinion.CLOSED_STATUSES, status == Status.SPLIT]
        assert kinds.count(True) == 1, status


def test_a_closed_opinion_goes_nowhere():
    for status in (*Opinion.CLOSED_STATUSES, Status.SPLIT):
        assert Opinion.TRANSITIONS[status] == ()


# --- Overdue ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "due_on", "overdue"),
    [
        (Status.ASSIGNED, YESTERDAY, True),
        (Status.IN_PROGRESS, YESTERDAY, True),
        (Status.ASSIGNED, TODAY, False),  # the day of the due date is still in time
        (Status.IN_PROGRESS, TODAY, False),
        (Status.ASSIGNED, TOMORROW, False),
        (Status.ASSIGNED, None, False),
        (Status.NEW, YESTERDAY, False),
        (Status.SORTED, YESTERDAY, False),
        (Status.SPLIT, YESTERDAY, False),
        (Status.RESOLVED, YESTERDAY, False),  # closed ones are never overdue
        (Status.EXPLAINED, YESTERDAY, False),
    ],
)
def test_overdue_is_assigned_or_in_progress_past_the_due_date(places, status, due_on, overdue):
    opinion = OpinionFactory(community=places.community_a, status=status, due_on=due_on)
    assert opinion.is_overdue(TODAY) is overdue
    assert list(Opinion.objects.overdue(TODAY)) == ([opinion] if overdue else [])


def test_overdue_counts_from_the_hangzhou_date_not_the_utc_one(places, monkeypatch):
    # 16:30 UTC on 24 November is 00:30 on 25 November in Hangzhou: an opinion due on the 24th is now late.
    monkeypatch.setattr(timezone, "now", lambda: datetime.datetime(2026, 11, 24, 16, 30, tzinfo=datetime.UTC))
    opinion = OpinionFactory(community=places.community_a, status=Status.ASSIGNED, due_on=datetime.date(2026, 11, 24))
    today = timezone.localdate()
    assert today == TODAY
    assert opinion.is_overdue(today)
    assert list(Opinion.objects.overdue(today)) == [opinion]


def test_closed_on_time_compares_the_hangzhou_day_of_closing_with_the_due_date(places):
    # 23:30 on the due date in Hangzhou is 15:30 UTC the same day; 00:30 the next day is 16:30 UTC.
    due = datetime.date(2026, 11, 24)
    in_time = Opinion(status=Status.RESOLVED, due_on=due)
    in_time.closed_at = datetime.datetime(2026, 11, 24, 15, 30, tzinfo=datetime.UTC)
    late = Opinion(status=Status.RESOLVED, due_on=due)
    late.closed_at = datetime.datetime(2026, 11, 24, 16, 30, tzinfo=datetime.UTC)
    assert in_time.closed_on_time() is True
    assert late.closed_on_time() is False
    assert Opinion(status=Status.ASSIGNED, due_on=due).closed_on_time() is None
    assert Opinion(status=Status.RESOLVED, closed_at=timezone.now()).closed_on_time() is None


def test_the_querysets_name_open_closed_and_collected_opinions(places):
    new = OpinionFactory(community=places.community_a)
    split = OpinionFactory(community=places.community_a, status=Status.SPLIT)
    part = OpinionFactory(community=places.community_a, status=Status.SORTED, parent=split)
    resolved = OpinionFactory(community=places.community_a, status=Status.RESOLVED)
    explained = OpinionFactory(community=places.community_a, status=Status.EXPLAINED)
    assert set(Opinion.objects.open()) == {new, part}
    assert set(Opinion.objects.closed()) == {resolved, explained}
    assert part not in Opinion.objects.collected()
    assert set(Opinion.objects.collected()) == {new, split, resolved, explained}


# --- The models' own checks -------------------------------------------------------------------------------------


def test_an_opinion_longer_than_the_limit_is_refused_by_the_model(places):
    # A TextField's max_length is not a model validator: the model checks the length itself.
    opinion = OpinionFactory.build(community=places.community_a, street=places.street, meeting=None)
    opinion.source = Opinion.Source.ONLINE
    opinion.text = "长" * (OPINION_TEXT_MAX + 1)
    with pytest.raises(ValidationError) as error:
        opinion.full_clean()
    assert "text" in error.value.message_dict
    opinion.text = "长" * OPINION_TEXT_MAX
    opinion.full_clean()


@pytest.mark.parametrize(("months", "valid"), [(1, True), (2, True), (3, True), (12, True), (None, True), (5, False)])
def test_a_cadence_divides_the_year(db, months, valid):
    kind = MeetingKind(code="x", name="测试", cadence_months=months)
    if valid:
        kind.full_clean()
    else:
        with pytest.raises(ValidationError):
            kind.full_clean()


def test_the_seeded_kinds_carry_the_cadences_of_the_method(db):
    assert meeting_kind("residents_forum").cadence_months == 12
    assert meeting_kind("deputies_forum").cadence_months == 3
    assert meeting_kind("community_forum").cadence_months == 2
    assert meeting_kind("community_forum").held_by == MeetingKind.HeldBy.COMMUNITY
    assert meeting_kind("online").cadence_months is None


def test_a_meeting_counts_its_attendees_by_group(places):
    meeting = MeetingFactory(community=places.community_a, deputies=2, cppcc_members=1, party_members=3, residents=10)
    assert meeting.attendee_total == 16
    groups = dict(meeting.attendee_groups())
    assert len(groups) == len(Meeting.ATTENDEE_FIELDS)
    assert groups["人大代表"] == 2 and groups["居民群众"] == 10 and groups["企退人员"] == 0
