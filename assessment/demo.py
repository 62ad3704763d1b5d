"""The demo street's assessment: cadres' links, a few quarters of spot-checks with mixed results, community
leaders' verifications, and the three evaluations.

A step of households.demo.STEPS, after the visits: it reads the visits the diary step wrote (the cadres' three
musts among them, visited there every quarter) and checks them.
Deterministic from its random generator; the verifications (the big table) are read a worker at a time and written
through demo.rows, so a city's streets cost constant memory.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from assessment.models import (
    AssessmentRule,
    CadreLink,
    Evaluation,
    SpotCheck,
    SpotCheckItem,
    VisitVerification,
)
from assessment.services import draw_sample, sample_size, spot_check_population
from households.models import Estate
from visits.models import Visit
from visits.periods import Quarter
from wenxin.roles import Role

if TYPE_CHECKING:
    from households.demo import Demo

BATCH_SIZE = 2000
# Completed quarters with spot-checks, verifications and evaluations; the last of them is left for the leader to
# spot-check the cadres himself (the "done when").
QUARTERS_BACK = 4
RESULT_WEIGHTS = (
    (SpotCheckItem.Result.CONFIRMED, 0.86),
    (SpotCheckItem.Result.DISCREPANCY, 0.09),
    (SpotCheckItem.Result.NOT_CONFIRMED, 0.05),
)
DISCREPANCY_NOTES = (
    "回访时户主说走访日期记错了一周",
    "走访人数与记录不一致，实际为电话联系",
    "记录的困难诉求与户主反映的有出入",
    "业委会主任说当天只是路过交谈",
)
NOT_CONFIRMED_NOTES = (
    "户主表示近三个月没有工作人员上门",
    "电话回访无人知晓此次走访",
    "现场核查该户已空置，无法确认",
)
QUERY_NOTES = ("走访时间与社区值班安排冲突，待核实", "记录过于简单，需补充走访情况", "同一天记录走访户数过多")
PERFORMANCE_COMMENTS = (
    "走访扎实，民情日记记录完整",
    "能及时回应群众诉求，问题跟进到位",
    "走访数量达标，质量有待提高",
    "一户一策落实较好，帮扶措施具体",
    "工作主动，群众评价较好",
)
MUTUAL_COMMENTS = ("配合积极，响应及时", "沟通顺畅，事项办理有反馈", "个别事项推进偏慢", "支持村社工作力度大")


def add_assessment(demo: Demo, rng: random.Random) -> None:
    """The assessment rule, cadre links with their quarterly three musts, spot-checks, verifications, evaluations."""
    street = demo.street
    if street is None:
        return
    AssessmentRule.objects.create(street=street)
    quarters = _completed_quarters(demo.today)
    links = _add_cadre_links(demo, quarters[0].start)
    demo.counts["区管干部联系点"] = len(links)
    checks, items = _add_spot_checks(demo, rng, quarters)
    demo.counts["抽查"] = checks
    demo.counts["抽查记录"] = items
    demo.counts["走访核实"] = _add_verifications(demo, rng, quarters)
    demo.counts["测评"] = _add_evaluations(demo, rng, quarters)


def _completed_quarters(today: datetime.date) -> list[Quarter]:
    """The last QUARTERS_BACK completed quarters, oldest first."""
    quarter = Quarter.containing(today).previous()
    quarters = []
    for _i in range(QUARTERS_BACK):
        quarters.append(quarter)
        quarter = quarter.previous()
    return quarters[::-1]


def _users(demo: Demo, *roles: str) -> list:
    return [user for user in demo.users.values() if user.role in roles]


def _add_cadre_links(demo: Demo, starts_on: datetime.date) -> list[CadreLink]:
    """Each cadre linked to the first estate of every n-th community, as the visit diary's three musts assume."""
    cadres = _users(demo, Role.CADRE)
    if not cadres:
        return []
    first_estate: dict[int, Estate] = {}
    for estate in demo.estates:
        first_estate.setdefault(estate.community_id, estate)
    links = [
        CadreLink(cadre=cadre, community=community, estate=first_estate.get(community.pk), starts_on=starts_on)
        for number, cadre in enumerate(cadres)
        for community in demo.communities[number :: len(cadres)]
    ]
    return CadreLink.objects.bulk_create(links)


def _moment(rng: random.Random, day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(rng.randint(9, 17), rng.randrange(60))))


def _add_spot_checks(demo: Demo, rng: random.Random, quarters: list[Quarter]) -> tuple[int, int]:
    """Each completed quarter: the leader checks the cadres, the deputy his departments' staff, the Social Affairs
    chief the community staff; drawn with the service's own sampling and recorded with mixed results. The last
    quarter's cadre check is created but not drawn: the leader draws it in the admin."""
    checkers = {
        SpotCheck.Level.CADRE: demo.users.get("leader"),
        SpotCheck.Level.DEPARTMENT: demo.users.get("deputy"),
        SpotCheck.Level.COMMUNITY: demo.users.get("chief"),
    }
    if not all(checkers.values()):
        return 0, 0
    sizes = {SpotCheck.Level.CADRE: (SpotCheck.SampleMode.COUNT, 6), SpotCheck.Level.DEPARTMENT: ("percent", 10)}
    checks: list[SpotCheck] = []
    samples: list[list[int]] = []
    for quarter in quarters:
        for level, checker in checkers.items():
            mode, value = sizes.get(level, (SpotCheck.SampleMode.COUNT, 30))
            check = SpotCheck(
                street=demo.street,
                level=level,
                period_start=quarter.start,
                period_end=quarter.end,
                sample_mode=mode,
                sample_value=value,
                checker=checker,
            )
            checks.append(check)
            samples.append([])
            if quarter == quarters[-1] and level == SpotCheck.Level.CADRE:
                continue  # left for the leader to draw in the admin
            # The population as the service defines it (one query per check), so the draw can be reproduced.
            by_person: dict[int, list[int]] = defaultdict(list)
            for pk, visitor_id in spot_check_population(check).values_list("pk", "visitor_id"):
                by_person[visitor_id].append(pk)
            if not by_person:
                continue
            check.seed = rng.randrange(2**62)
            check.population_size = sum(len(ids) for ids in by_person.values())
            size = sample_size(mode=mode, value=value, population=check.population_size, people=len(by_person))
            check.drawn_at = _moment(rng, min(quarter.end + datetime.timedelta(days=5), demo.today))
            samples[-1] = draw_sample(by_person, size=size, seed=check.seed)
    checks = SpotCheck.objects.bulk_create(checks)

    items = []
    checked: dict[int, datetime.datetime] = {}
    for check, sample in zip(checks, samples, strict=True):
        for visit_id in sample:
            result = rng.choices([r for r, _w in RESULT_WEIGHTS], weights=[w for _r, w in RESULT_WEIGHTS])[0]
            note = ""
            if result == SpotCheckItem.Result.DISCREPANCY:
                note = rng.choice(DISCREPANCY_NOTES)
            elif result == SpotCheckItem.Result.NOT_CONFIRMED:
                note = rng.choice(NOT_CONFIRMED_NOTES)
            at = check.drawn_at + datetime.timedelta(days=rng.randint(0, 10), hours=rng.randint(0, 6))
            at = min(at, timezone.now())
            checked[visit_id] = at
            items.append(
                SpotCheckItem(
                    spot_check=check,
                    visit_id=visit_id,
                    method=rng.choice((SpotCheckItem.Method.PHONE, SpotCheckItem.Method.PHONE, "on_site")),
                    result=result,
                    note=note,
                    checked_by=check.checker,
                    checked_at=at,
                )
            )
    SpotCheckItem.objects.bulk_create(items, batch_size=BATCH_SIZE)
    # A checked visit can no longer be edited by its author.
    by_moment: dict[datetime.datetime, list[int]] = defaultdict(list)
    for visit_id, at in checked.items():
        by_moment[at.replace(minute=0, second=0, microsecond=0)].append(visit_id)
    for at, ids in by_moment.items():
        Visit.objects.filter(pk__in=ids).update(spot_checked_at=at)
    return len(checks), len(items)


def _add_verifications(demo: Demo, rng: random.Random, quarters: list[Quarter]) -> int:
    """Community leaders verify most of their workers' household visits of the completed quarters; a few queried.

    A worker at a time (an index range each), so the memory and each query stay the size of one worker's visits
    however many streets the database holds."""
    leader_of = {u.community_id: u for u in _users(demo, Role.COMMUNITY_LEADER)}
    workers = sorted(_users(demo, Role.SOCIAL_WORKER), key=lambda u: u.pk)
    visits = Visit.objects.household_visits().filter(
        visited_on__gte=quarters[0].start, visited_on__lte=quarters[-1].end
    )
    with demo.rows(VisitVerification, ["visit_id", "status", "note", "verified_by_id"]) as rows:
        for worker in workers:
            leader = leader_of.get(worker.community_id)
            for pk in visits.filter(visitor_id=worker.pk).order_by("pk").values_list("pk", flat=True):
                roll = rng.random()
                if leader is None or roll > 0.7:
                    continue
                queried = roll < 0.02
                rows.add(
                    pk,
                    VisitVerification.Status.QUERIED if queried else VisitVerification.Status.VERIFIED,
                    rng.choice(QUERY_NOTES) if queried else "",
                    leader.pk,
                )
    return rows.count


def _score(rng: random.Random, lo: int, hi: int) -> Decimal:
    return Decimal(rng.randint(lo * 10, hi * 10)) / 10


def _add_evaluations(demo: Demo, rng: random.Random, quarters: list[Quarter]) -> int:
    """Each completed quarter: residents rate workers and communities; departments and communities rate each other;
    the leader reviews every person's and unit's performance."""
    leader = demo.users.get("leader")
    if leader is None:
        return 0
    people = _users(demo, Role.SOCIAL_WORKER, Role.CADRE, Role.DEPARTMENT_STAFF, Role.SECTION_CHIEF)
    workers = _users(demo, Role.SOCIAL_WORKER)
    departments = list(demo.departments.values())
    rows = []

    def add(quarter: Quarter, kind: str, score: Decimal, **subject) -> None:
        rows.append(
            Evaluation(
                street=demo.street,
                kind=kind,
                year=quarter.year,
                quarter=quarter.number,
                score=score,
                recorded_by=leader,
                **subject,
            )
        )

    for quarter in quarters:
        for worker in workers:
            add(
                quarter,
                Evaluation.Kind.PUBLIC_RATING,
                _score(rng, 78, 99),
                person=worker,
                respondents=rng.randint(8, 30),
            )
        for community in demo.communities:
            add(
                quarter,
                Evaluation.Kind.PUBLIC_RATING,
                _score(rng, 80, 98),
                community=community,
                respondents=rng.randint(40, 120),
            )
            for department in rng.sample(departments, min(3, len(departments))):
                add(
                    quarter,
                    Evaluation.Kind.MUTUAL,
                    _score(rng, 75, 98),
                    community=community,
                    by_department=department,
                    comment=rng.choice(MUTUAL_COMMENTS),
                )
            add(quarter, Evaluation.Kind.PERFORMANCE, _score(rng, 70, 98), community=community)
        for department in departments:
            for community in rng.sample(demo.communities, min(4, len(demo.communities))):
                add(
                    quarter,
                    Evaluation.Kind.MUTUAL,
                    _score(rng, 75, 98),
                    department=department,
                    by_community=community,
                    comment=rng.choice(MUTUAL_COMMENTS),
                )
            add(quarter, Evaluation.Kind.PERFORMANCE, _score(rng, 70, 98), department=department)
        for person in people:
            add(
                quarter,
                Evaluation.Kind.PERFORMANCE,
                _score(rng, 65, 99),
                person=person,
                comment=rng.choice(PERFORMANCE_COMMENTS),
            )
    Evaluation.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    return len(rows)
