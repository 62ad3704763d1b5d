"""No lost updates under real concurrent transactions (issue 9, item 4), on PostgreSQL.

Each round, two people have the same household (plan, opinion) open at version N and press save at the same
moment: two threads, each with its own database connection, load the record, wait for each other at a barrier,
and call the service with expected_version=N and different changes. Exactly one save succeeds; the other is
refused with EditConflict naming the one who saved; the stored row holds exactly the winner's changes (none of
the loser's, no mix of both) at version N+1, with one history entry. ROUNDS rounds per kind of record; the
figures printed at the end ("concurrent edits tried, nothing lost") are the ones docs/security.md quotes.

SQLite serialises writers (one write transaction at a time, and the in-memory test database is per
connection), so these tests need PostgreSQL (DATABASE_URL=postgres://...); on SQLite they are skipped, and
tests/households/test_lost_updates.py and tests/feedback/test_lost_updates.py cover the same logic with a stale
version in a single thread.
"""

from __future__ import annotations

import datetime
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.utils import timezone

from feedback import services as feedback_services
from feedback.models import Opinion, OpinionEvent
from households import services as household_services
from households.models import AssistancePlan, Household, PlanSection, PlanVersion
from tests.factories import HouseholdCategoryFactory, HouseholdFactory, MeetingFactory, OpinionFactory, opinion_category
from wenxin.audit import audit_actor
from wenxin.concurrency import EditConflict
from wenxin.models import User

ROUNDS = 20
# Long enough for a slow CI machine; a thread stuck longer than this fails the test instead of hanging it.
WAIT_SECONDS = 30

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers, so two transactions never overlap; "
        "tests/*/test_lost_updates.py cover the version check on SQLite",
    ),
    # Each thread commits for real; serialized_rollback puts back the rows the migrations seeded (meeting kinds,
    # categories) that the flush after a transactional test removes, for the tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# What the rounds tried, for the summary line: {record kind: Counter(saved=…, refused=…, lost=…)}.
TRIED: dict[str, Counter] = {}


def _in_own_connection(barrier: threading.Barrier, load: Callable[[], object], save: Callable[[object], None]):
    """One person's save: load the record on her own connection, wait for the other, save; close the connection."""
    try:
        record = load()
        barrier.wait(WAIT_SECONDS)  # both have read version N before either writes
        try:
            save(record)
        except EditConflict as conflict:
            return conflict
        return None
    finally:
        connections.close_all()  # this thread's connections: the test database is flushed after the test


def race(load: Callable[[], object], saves: list[Callable[[object], None]]) -> list[EditConflict | None]:
    """Run the saves at the same moment in two threads; each returns None (saved) or the conflict it got."""
    barrier = threading.Barrier(len(saves))
    with ThreadPoolExecutor(max_workers=len(saves)) as pool:
        futures = [pool.submit(_in_own_connection, barrier, load, save) for save in saves]
        return [future.result(timeout=WAIT_SECONDS * 2) for future in futures]


def tally(kind: str, outcomes: list[EditConflict | None], lost: int) -> None:
    counts = TRIED.setdefault(kind, Counter())
    counts["tried"] += len(outcomes)
    counts["saved"] += sum(outcome is None for outcome in outcomes)
    counts["refused"] += sum(outcome is not None for outcome in outcomes)
    counts["lost"] += lost


def one_winner(outcomes: list[EditConflict | None]) -> tuple[int, EditConflict]:
    """The index of the save that succeeded and the conflict the other got; fails unless exactly one won."""
    winners = [index for index, outcome in enumerate(outcomes) if outcome is None]
    assert len(winners) == 1, f"exactly one save must succeed, got {outcomes}"
    [conflict] = [outcome for outcome in outcomes if outcome is not None]
    return winners[0], conflict


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def save_household(person: User, data: dict, categories: list, version: int) -> Callable[[object], None]:
    """Her press of save on the household's edit page opened at `version` (her request names her in the trail)."""

    def save(record: object) -> None:
        with audit_actor(person):
            household_services.household_update(
                actor=person, household=record, data=data, categories=categories, expected_version=version
            )

    return save


def save_plan(person: User, sections: dict, version: int) -> Callable[[object], None]:
    return lambda record: household_services.plan_record_sections(
        actor=person, plan=record, sections=sections, expected_version=version
    )


def assign(dispatcher: User, responsible: User, due_on: datetime.date, version: int) -> Callable[[object], None]:
    return lambda record: feedback_services.opinion_assign(
        actor=dispatcher, opinion=record, responsible=responsible, due_on=due_on, expected_version=version
    )


# --- households -----------------------------------------------------------------------------------------------


def test_two_people_saving_one_household_at_once(places, worker_a, community_leader):
    """Her edit and his, each of the phone, the note and the categories: the household is one of them, whole."""
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, phone="13800000000", note="")
    categories = [HouseholdCategoryFactory(name="低保户", is_key=True), HouseholdCategoryFactory(name="独居老人")]
    people: list[User] = [worker_a, community_leader]
    for round_number in range(ROUNDS):
        version = Household.objects.get(pk=household.pk).version
        changes = [
            {"phone": f"1350000{round_number:04d}", "note": f"张丽第{round_number}次"},
            {"phone": f"1360000{round_number:04d}", "note": f"李书记第{round_number}次"},
        ]
        outcomes = race(
            lambda: Household.objects.get(pk=household.pk),
            [
                save_household(person, data, [category], version)
                for person, data, category in zip(people, changes, categories, strict=True)
            ],
        )
        winner, conflict = one_winner(outcomes)
        stored = Household.objects.get(pk=household.pk)
        kept = {"phone": stored.phone, "note": stored.note, "categories": list(stored.categories.all())}
        wanted = {**changes[winner], "categories": [categories[winner]]}
        tally("household", outcomes, lost=int(kept != wanted))
        assert kept == wanted, "the stored household is the winner's save, whole"
        assert stored.version == version + 1
        assert conflict.current == version + 1 and conflict.changed_by == str(people[winner])
    assert TRIED["household"]["saved"] == ROUNDS


# --- one household, one plan ------------------------------------------------------------------------------------


def test_two_people_saving_one_plan_at_once(places, worker_a, community_leader):
    household = HouseholdFactory(
        grid_area=places.area_a, estate=places.estate_a, categories=[HouseholdCategoryFactory(is_key=True)]
    )
    plan = household_services.plan_create(actor=worker_a, household=household, review_on=days(90))
    people: list[User] = [worker_a, community_leader]
    for round_number in range(ROUNDS):
        version = AssistancePlan.objects.get(pk=plan.pk).version
        before = dict(PlanSection.objects.filter(plan=plan).values_list("must", "text"))
        changes = [
            {"basic": f"张丽记录的基本情况 {round_number}", "mind": f"张丽记录的思想动态 {round_number}"},
            {"basic": f"李书记记录的基本情况 {round_number}", "living": f"李书记记录的生活状况 {round_number}"},
        ]
        outcomes = race(
            lambda: AssistancePlan.objects.get(pk=plan.pk),
            [save_plan(person, sections, version) for person, sections in zip(people, changes, strict=True)],
        )
        winner, conflict = one_winner(outcomes)
        stored = dict(PlanSection.objects.filter(plan=plan).values_list("must", "text"))
        expected = {**before, **changes[winner]}
        tally("plan", outcomes, lost=int(stored != expected))
        assert stored == expected, "the plan holds the winner's texts, and none of the other's"
        assert AssistancePlan.objects.get(pk=plan.pk).version == version + 1
        assert PlanVersion.objects.filter(plan=plan, number=version + 1, saved_by=people[winner]).count() == 1
        assert not PlanVersion.objects.filter(plan=plan, number__gt=version + 1).exists()
        assert conflict.changed_by == str(people[winner])
    assert TRIED["plan"]["saved"] == ROUNDS


# --- opinions -------------------------------------------------------------------------------------------------


def test_two_dispatchers_assigning_one_opinion_at_once(places, community_leader, leader, worker_a, worker_a2):
    """The first round assigns a sorted opinion (sorted → assigned); the others reassign it (assigned → assigned)."""
    forum = MeetingFactory(community=places.community_a, recorded_by=community_leader)
    opinion = OpinionFactory(community=places.community_a, meeting=forum, text="文新小学对面增设长椅")
    feedback_services.opinion_sort(actor=community_leader, opinion=opinion, category=opinion_category("市容市貌"))
    dispatchers: list[User] = [community_leader, leader]
    for round_number in range(ROUNDS):
        version = Opinion.objects.get(pk=opinion.pk).version
        events = OpinionEvent.objects.filter(opinion=opinion).count()
        choices = [(worker_a, days(10 + round_number)), (worker_a2, days(40 + round_number))]
        outcomes = race(
            lambda: Opinion.objects.get(pk=opinion.pk),
            [assign(d, *choice, version) for d, choice in zip(dispatchers, choices, strict=True)],
        )
        winner, conflict = one_winner(outcomes)
        stored = Opinion.objects.get(pk=opinion.pk)
        kept = (stored.responsible, stored.due_on)
        tally("opinion", outcomes, lost=int(kept != choices[winner]))
        assert kept == choices[winner], "the opinion is assigned as the winner chose"
        assert (stored.status, stored.version) == (Opinion.Status.ASSIGNED, version + 1)
        assert OpinionEvent.objects.filter(opinion=opinion).count() == events + 1
        assert conflict.changed_by == str(dispatchers[winner])
    assert TRIED["opinion"]["saved"] == ROUNDS


@pytest.fixture(scope="module", autouse=True)
def _report_the_rounds(request):
    """After the module: how many concurrent saves were tried, saved, refused and lost, in the test report."""
    yield
    if not TRIED:
        return
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    total = sum(TRIED.values(), Counter())
    lines = ["", "concurrent edits (two saves at once from the same version, PostgreSQL):"]
    for kind, counts in [*sorted(TRIED.items()), ("total", total)]:
        lines.append(
            f"  {kind:<10} tried {counts['tried']:>4}  saved {counts['saved']:>3}  "
            f"refused {counts['refused']:>3}  lost {counts['lost']}"
        )
    with capture.global_and_fixture_disabled():
        for line in lines:
            reporter.write_line(line)
