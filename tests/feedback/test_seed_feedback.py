"""`manage.py seed_demo` writes the four listenings and the opinion pipeline: meetings on their cadence with some
missed, opinions from every source in every state with a history that follows the workflow, topic meetings, and
the article's examples (the drying rack at 香港城, the benches opposite 文新小学)."""

from __future__ import annotations

import datetime
import random
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone

from feedback import demo as feedback_demo
from feedback.models import Meeting, Opinion, OpinionCategory, OpinionEvent, TopicMeeting
from feedback.selectors import my_tasks, overdue_opinions
from households import demo
from households.models import Community
from visits.periods import Quarter
from wenxin.models import User

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
S = Opinion.Status


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture(scope="class")
def demo_street(django_db_setup, django_db_blocker):
    """The demo street with 120 households, built once for the class and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS):
            output = seed(households=120)
        yield output
        transaction.set_rollback(True)


def period_start(day: datetime.date) -> datetime.date:
    """The two-month period (Jan–Feb, Mar–Apr …) a day is in."""
    return day.replace(month=(day.month - 1) // 2 * 2 + 1, day=1)


def months_before(month: datetime.date, months: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


def group(source: str) -> str:
    return {Opinion.Source.ENTERPRISE: "enterprise", Opinion.Source.PAIRED_VILLAGE: "village"}.get(source, "resident")


@pytest.mark.usefixtures("demo_street")
class TestTheDemoOpinions:
    def test_every_state_and_every_source_occurs(self, db):
        assert set(Opinion.objects.values_list("status", flat=True)) == set(S.values)
        assert set(Opinion.objects.values_list("source", flat=True)) == set(Opinion.Source.values)
        assert 150 <= Opinion.objects.count() <= 500

    def test_the_drying_rack_at_hong_kong_city_was_built(self, db):
        rack = Opinion.objects.get(estate__name="香港城", text__contains="晾衣架")
        deputy = User.objects.get(username="deputy")

        assert rack.status == S.RESOLVED
        assert rack.department.name == "城管科"
        assert rack.leader_in_charge == deputy
        assert rack.responsible.department == rack.department
        assert "现场踏勘、提出方案、落实资金" in rack.resolution
        assert "已建成公共晾衣架" in rack.resolution
        assert rack.topic_meeting.chaired_by == deputy
        assert rack.meeting.community == rack.community == rack.estate.community

    def test_the_benches_opposite_wenxin_school_were_explained(self, db):
        benches = Opinion.objects.get(text__contains="文新小学")

        assert benches.status == S.EXPLAINED
        assert "现场测量后提出处理意见" in benches.explanation
        assert "向居民做好解释" in benches.explanation
        assert benches.leader_in_charge.username == "deputy"
        assert benches.source == Opinion.Source.ONLINE and benches.tracking_code

    def test_every_history_walks_the_workflow_in_time_order_and_ends_in_the_status(self, db):
        now = timezone.now()
        opinions = Opinion.objects.prefetch_related("events")

        for opinion in opinions:
            events = sorted(opinion.events.all(), key=lambda e: (e.at, e.pk))
            first, last = events[0], events[-1]
            assert last.to_status == opinion.status, opinion.pk
            assert first.from_status == ""
            assert first.to_status == (S.SORTED if opinion.parent_id else S.NEW)
            assert first.at == opinion.created_at
            assert last.at == opinion.updated_at
            for before, after in zip(events, events[1:], strict=False):
                assert before.at < after.at, opinion.pk
                assert after.from_status == before.to_status
                taken_up = after.from_status == after.to_status and after.note.startswith("专题会议研究")
                allowed = after.to_status in Opinion.TRANSITIONS[after.from_status]
                assert taken_up or allowed, (opinion.pk, after.from_status, after.to_status)
            assert last.at <= now
            if opinion.is_closed:
                assert opinion.closed_at == last.at

    def test_assigned_and_closed_opinions_have_a_responsible_person_and_a_due_date(self, db):
        handled = Opinion.objects.filter(status__in=[*Opinion.ASSIGNED_STATUSES, *Opinion.CLOSED_STATUSES])
        waiting = Opinion.objects.filter(status__in=[S.NEW, S.SORTED, S.SPLIT])

        assert handled.exists()
        assert not handled.filter(responsible=None).exists()
        assert not handled.filter(due_on=None).exists()
        assert not waiting.exclude(responsible=None).exists()
        assert not Opinion.objects.filter(status=S.EXPLAINED, explanation="").exists()
        assert not Opinion.objects.filter(status=S.RESOLVED, resolution="").exists()
        assert not Opinion.objects.closed().filter(closed_at=None).exists()
        assert not Opinion.objects.open().exclude(closed_at=None).exists()
        # Every assignment was made on or before its completion date, and a department's has its leader in charge.
        for opinion in handled.prefetch_related("events"):
            assigned = max(e.at for e in opinion.events.all() if e.to_status == S.ASSIGNED)
            assert timezone.localtime(assigned).date() <= opinion.due_on
        assert not handled.exclude(department=None).filter(leader_in_charge=None).exists()

    def test_the_deputy_leads_his_departments_and_sees_what_is_overdue(self, db):
        deputy = User.objects.get(username="deputy")
        today = timezone.localdate()
        overseen = set(deputy.overseen_departments.all())

        led = Opinion.objects.filter(leader_in_charge=deputy)
        assert led.exists()
        assert {o.department for o in led} <= overseen
        assert not Opinion.objects.filter(department__in=overseen).exclude(leader_in_charge=deputy).exists()
        assert overdue_opinions(viewer=deputy, today=today).exists()
        assert (
            Opinion.objects.overdue(today).count()
            < Opinion.objects.filter(status__in=Opinion.ASSIGNED_STATUSES).count()
        )

    def test_the_showcase_users_have_tasks_of_their_own(self, db):
        for username in ("worker", "community", "staff"):
            assert my_tasks(viewer=User.objects.get(username=username)).exists(), username

    def test_each_source_links_what_it_came_from(self, db):
        for opinion in Opinion.objects.filter(source=Opinion.Source.VISIT).select_related("visit"):
            assert opinion.visit.community_id == opinion.community_id
            assert opinion.visit.difficulty == opinion.text or opinion.parent_id
            assert opinion.visit.visited_on <= timezone.localtime(opinion.created_at).date()
        for opinion in Opinion.objects.filter(source=Opinion.Source.MEETING).select_related("meeting"):
            assert opinion.meeting.held_on <= timezone.localtime(opinion.created_at).date()
            if opinion.meeting.community_id:
                assert opinion.meeting.community_id == opinion.community_id
        assert not Opinion.objects.filter(source=Opinion.Source.ENTERPRISE, enterprise=None).exists()
        assert not Opinion.objects.filter(source=Opinion.Source.PAIRED_VILLAGE, paired_village=None).exists()
        assert not Opinion.objects.filter(source=Opinion.Source.MEETING, meeting=None).exists()
        assert not Opinion.objects.filter(source=Opinion.Source.VISIT, visit=None).exists()

    def test_online_opinions_have_unique_tracking_codes_and_no_others_do(self, db):
        online = Opinion.objects.collected().filter(source=Opinion.Source.ONLINE)
        codes = list(online.values_list("tracking_code", flat=True))

        assert codes and None not in codes
        assert len(set(codes)) == len(codes)
        assert not Opinion.objects.exclude(source=Opinion.Source.ONLINE).exclude(tracking_code=None).exists()
        assert not Opinion.objects.exclude(parent=None).exclude(tracking_code=None).exists()
        assert not online.filter(created_by__isnull=False).exists()

    def test_categories_fit_the_source(self, db):
        enterprise = Opinion.objects.filter(source=Opinion.Source.ENTERPRISE).exclude(category=None)
        others = Opinion.objects.exclude(source=Opinion.Source.ENTERPRISE).exclude(category=None)

        assert enterprise.exists() and others.exists()
        assert set(enterprise.values_list("category__group", flat=True)) == {OpinionCategory.Group.ENTERPRISE}
        assert set(others.values_list("category__group", flat=True)) == {OpinionCategory.Group.RESIDENT}
        assert not Opinion.objects.filter(status__in=[S.NEW, S.SPLIT]).exclude(category=None).exists()
        assert not Opinion.objects.exclude(status__in=[S.NEW, S.SPLIT]).filter(category=None).exists()
        # Every resident category occurs.
        resident = OpinionCategory.objects.filter(group=OpinionCategory.Group.RESIDENT)
        assert set(others.values_list("category", flat=True)) == set(resident.values_list("pk", flat=True))

    def test_split_opinions_carry_on_in_their_parts(self, db):
        split = Opinion.objects.filter(status=S.SPLIT).annotate(n=Count("parts"))

        assert split.exists()
        assert not split.filter(n__lt=2).exists()
        assert not Opinion.objects.exclude(status=S.SPLIT).filter(parts__isnull=False).exists()
        for part in Opinion.objects.exclude(parent=None).select_related("parent"):
            assert part.source == part.parent.source
            assert part.community_id == part.parent.community_id
            assert part.text in part.parent.text
            assert part.created_at >= part.parent.created_at

    def test_this_year_follows_the_articles_figures(self, db):
        today = timezone.localdate()
        yesterday = today - datetime.timedelta(days=1)
        if yesterday.year != today.year:
            pytest.skip("on 1 January this year has no opinions yet")
        this_year = Opinion.objects.filter(created_at__year=today.year)
        collected = Counter(group(s) for s in this_year.collected().values_list("source", flat=True))
        solved = Counter(
            group(s)
            for s in Opinion.objects.filter(status=S.RESOLVED, closed_at__year=today.year).values_list(
                "source", flat=True
            )
        )

        assert solved["resident"] <= 15 + 2 and solved["village"] <= 5 and solved["enterprise"] <= 19
        if yesterday.timetuple().tm_yday >= 330:
            # The article's year, "since the start of the year": 60+ collected, 27 enterprise problems raised,
            # 15 resident, 5 paired-village and 19 enterprise problems solved.
            assert collected["resident"] + collected["village"] >= 60
            assert collected["enterprise"] == 27
            assert (solved["resident"], solved["village"], solved["enterprise"]) == (15, 5, 19)
        # Earlier years were closed within their year: their problems count there.
        earlier = Opinion.objects.filter(created_at__year__lt=today.year, closed_at__year=today.year)
        assert not earlier.exists()

    def test_meetings_follow_the_cadence_with_some_missed(self, db):
        today = timezone.localdate()
        forums = Meeting.objects.filter(kind__code="community_forum")
        current = period_start(today)
        previous = months_before(current, 2)

        assert not Meeting.objects.filter(held_on__gte=today).exists()
        held_recently = forums.filter(held_on__gte=previous).values("community_id")
        assert Community.objects.exclude(pk__in=held_recently).exists()
        # Most units held their forum in the two periods before.
        for months in (4, 6):
            start, end = months_before(current, months), months_before(current, months - 2)
            held = forums.filter(held_on__gte=start, held_on__lt=end).values("community").distinct().count()
            assert held >= 0.8 * Community.objects.count()
        assert not forums.filter(community=None).exists()
        assert not Meeting.objects.exclude(kind__code="community_forum").exclude(community=None).exists()

        last_quarter = Quarter.containing(today).previous()
        deputies = Meeting.objects.filter(kind__code="deputies_forum")
        assert not deputies.filter(held_on__range=(last_quarter.start, last_quarter.end)).exists()
        assert deputies.count() >= 6
        last_year = today.year - 1
        assert Meeting.objects.filter(kind__code="residents_forum", held_on__year=last_year).count() == 1

    def test_meetings_record_who_came_who_wrote_them_up_and_what_was_said(self, db):
        for meeting in Meeting.objects.select_related("recorded_by", "kind").prefetch_related("opinions"):
            assert meeting.attendee_total > 0
            assert meeting.place and meeting.host_unit and meeting.topic and meeting.minutes
            if meeting.community_id:
                assert meeting.recorded_by.community_id == meeting.community_id
            else:
                assert meeting.recorded_by.sees_whole_street
            opinions = list(meeting.opinions.all())
            # The minutes list what was said (up to eight opinions); a part's text is in its opinion's.
            if len([o for o in opinions if o.parent_id is None]) <= 8:
                for opinion in opinions:
                    assert opinion.text in meeting.minutes
        assert Meeting.objects.filter(opinions__isnull=False).exists()

    def test_topic_meetings_take_up_opinions_before_they_are_assigned(self, db):
        topics = TopicMeeting.objects.select_related("chaired_by").prefetch_related("opinions__events")

        assert topics.count() >= 3
        assert {t.chaired_by.username for t in topics} == {"deputy", "leader"}
        for topic in topics:
            assert topic.decisions and topic.attendees
            assert topic.opinions.exists()
            for opinion in topic.opinions.all():
                events = sorted(opinion.events.all(), key=lambda e: (e.at, e.pk))
                statuses = [e.to_status for e in events]
                taken_up = next(i for i, e in enumerate(events) if e.note == f"专题会议研究：{topic.title}")
                assert timezone.localtime(events[taken_up].at).date() == topic.held_on
                assert S.SORTED in statuses[:taken_up]
                assert statuses[taken_up + 1] == S.ASSIGNED
                assert events[taken_up + 1].actor == topic.chaired_by

    def test_it_reports_what_it_made_and_a_tracking_code_to_try(self, demo_street):
        counts = {line.split()[0]: line.split()[-1] for line in demo_street.splitlines() if line.startswith("  ")}
        benches = Opinion.objects.get(text__contains="文新小学")

        assert counts["意见建议"] == str(Opinion.objects.count())
        assert counts["听取会议"] == str(Meeting.objects.count())
        assert counts["专题会议"] == str(TopicMeeting.objects.count())
        assert counts["意见办理记录"] == str(OpinionEvent.objects.count())
        assert f"查询码 {benches.tracking_code}" in demo_street

    def test_running_it_again_adds_nothing(self, db):
        def counts():
            return tuple(model.objects.count() for model in (Meeting, Opinion, OpinionEvent, TopicMeeting))

        before = counts()
        with override_settings(DEBUG=True):
            output = seed(households=120)

        assert "已存在" in output
        assert counts() == before


def opinions_of(seed_value: int) -> list[tuple]:
    """The opinions of a 40-household demo street as comparable rows (without the drawn tracking codes)."""
    with transaction.atomic():
        demo.build_demo(households=40, seed=seed_value)
        rows = list(
            Opinion.objects.order_by("created_at", "text", "pk").values_list(
                "created_at", "text", "status", "source", "category__name", "responsible__username", "due_on"
            )
        )
        rows += list(Meeting.objects.order_by("held_on", "pk").values_list("held_on", "kind__code", "place", "minutes"))
        transaction.set_rollback(True)
    return rows


def test_the_same_seed_gives_the_same_opinions(db):
    first = opinions_of(7)

    assert first
    assert opinions_of(7) == first
    assert opinions_of(8) != first


def test_the_feedback_step_issues_a_bounded_number_of_queries(db, django_assert_max_num_queries):
    steps = [step for step in demo.STEPS if step is not feedback_demo.add_feedback]
    built = demo.build_demo(households=40, steps=steps)

    # Reading the places, kinds, categories and visits, and writing each table in batches: about 30 queries,
    # whatever the number of households (a per-row query would make it hundreds).
    with django_assert_max_num_queries(40):
        feedback_demo.add_feedback(built, random.Random(1))

    assert built.counts["意见建议"] == Opinion.objects.count() >= 150
