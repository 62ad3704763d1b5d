"""The demo street's one-household-one-plan work, written by `add_assistance`, a step of households.demo.

What it makes, for the active key households (categories with is_key) the earlier steps wrote:
- Plans (一户一策) in every state: most complete (all five musts written by the area's worker, with assistance
  measures), some incomplete (two to four musts), some past their review date, and about a tenth of the key
  households without a plan yet, one of them `worker`'s. Every plan has its history: PlanVersion 1..plan.version.
- Pairs (帮扶结对): most key households paired with their area's worker, some with their community's leader, from
  a day in the last two years; a few pairs have ended.
- Caring visits (每月一次爱心走访): kind CARING, written by the household's grid-area worker (a pair with the
  community leader has the leader as companion, as the visits step does), most months kept, some missed.
  In the current quarter a caring visit is only added to a household its worker already visited this quarter,
  so the quota statuses the visits step set up stay as they are. `worker` has a key household with no caring
  visit this month and a pair with a missed month.
- Hardship subsidies (困难补助) over last year and this year, exact to the fen, scaled to the article's
  "36.78万元 to about 190 households in hardship" per key household.
- Innovation initiatives (创新载体) for about half of the social workers, `worker` among them.

Rows are written as they are made through demo.rows (COPY on PostgreSQL), a street's key households being the
most it holds in memory; record dates are never after demo.today (a review
date or a measure's due date, which are deadlines, may be).
"""

from __future__ import annotations

import calendar
import datetime
import random
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone

from households.models import (
    AssistanceMeasure,
    AssistancePair,
    AssistancePlan,
    GridArea,
    Household,
    HouseholdCategory,
    Initiative,
    PlanSection,
    PlanVersion,
    Resident,
    Subsidy,
)
from visits.demo import VisitWriter
from visits.models import Visit
from visits.periods import Quarter
from wenxin.models import User
from wenxin.roles import Role

if TYPE_CHECKING:
    from households.demo import Demo

BATCH_SIZE = 2000

SHARE_WITHOUT_PLAN = 0.10
SHARE_INCOMPLETE = 0.18
SHARE_OVERDUE = 0.15
SHARE_PAIRED = 0.85
SHARE_PAIRED_WITH_LEADER = 0.2
SHARE_PAIR_ENDED = 0.05
# Each pair keeps its monthly caring visit in about this share of months.
PAIR_KEPT = (0.7, 0.97)
SHARE_WORKERS_WITH_INITIATIVE = 0.5
# The article: 36.78万元 of hardship subsidies to about 190 households in hardship in a year.
YEARLY_SUBSIDY_PER_KEY_HOUSEHOLD = Decimal("367800") / 190
SUBSIDY_SOURCES = ("街道财政", "区民政局", "慈善总会", "社会捐赠")
CENT = Decimal("0.01")
MEASURE_STATUS = AssistanceMeasure.Status

# fmt: off
HEALTH = (
    "患慢性病", "患高血压、糖尿病", "身体尚可", "腿脚不便", "患冠心病，长期服药", "术后康复中", "视力较差",
    "身体健康", "患慢性肺病，行动不便",
)
LIVING_TEXTS = {
    "低保户": (
        "家中无固定收入，依靠低保金维持生活", "住房为老旧公房，面积小，陈设简单", "每月低保金按时到账，基本生活有保障",
    ),
    "低保边缘户": ("家庭收入略高于低保标准，打零工维持生活", "医疗支出较大，生活比较拮据"),
    "重点优抚对象": ("按月领取优抚金，生活基本稳定", "住房条件一般，子女偶尔回来照顾"),
    "困难残疾人家庭": ("家中残疾人需家属全天照料，家属无法外出工作", "已做无障碍改造，生活基本能自理"),
    "失独家庭": ("老两口相依为命，依靠退休金生活", "收支基本平衡，逢年过节情绪低落"),
}
LIVING_DEFAULT = ("生活基本稳定，收支平衡", "家中整洁，生活能自理")
MIND_TEXTS = (
    "情绪稳定，对社区的帮助表示感谢", "性格内向，不愿麻烦别人，需多上门关心", "对低保复核政策有顾虑，已耐心解释",
    "心态乐观，愿意参加社区活动", "因病情反复情绪低落，已联系心理志愿者", "希望子女多回家看看，略感孤独",
    "关心孩子学业，对未来有信心",
)
# (description, what kind of responsible person: worker or leader)
MEASURE_TEXTS = (
    "协助办理低保年审", "申请临时救助", "联系社区卫生服务站每月上门随访", "安装紧急呼叫器", "申请居家养老服务",
    "链接志愿者每周上门陪伴", "协助申请医疗救助", "联系助学项目资助孩子学费", "申请残疾人两项补贴",
    "协调物业维修卫生间漏水", "适老化改造：卫生间加装扶手", "春节、中秋上门慰问", "推荐公益性岗位就业",
    "联系残联适配轮椅", "办理老年优待证",
)
RELATIVES = (("女儿", "F"), ("儿子", "M"), ("侄子", "M"), ("外甥女", "F"), ("妹妹", "F"), ("弟弟", "M"))
CARING_MET = ("户主本人", "户主及家属", "老人本人", "户主")
CARING_SITUATIONS = (
    "结对爱心走访，了解近期身体和生活情况", "每月爱心走访，带去米、油等慰问品", "结对走访，陪户主聊天，了解所需",
    "爱心走访，了解帮扶措施落实情况",
)
CARING_ACTIONS = ("送去慰问品，叮嘱按时服药", "帮助整理房间，检查燃气和电器安全", "告知临时救助政策", "留下应急联系卡")
# (kind, weight, amount range in yuan, round amounts or to the fen, sources)
SUBSIDY_KINDS = (
    (Subsidy.Kind.FESTIVAL, 0, (500, 1000), True, ("街道财政", "慈善总会")),
    (Subsidy.Kind.TEMPORARY, 30, (800, 5000), True, ("街道财政", "区民政局")),
    (Subsidy.Kind.MEDICAL, 25, (1200, 9000), False, ("区民政局", "慈善总会")),
    (Subsidy.Kind.EDUCATION, 10, (1000, 3000), True, ("慈善总会", "社会捐赠")),
    (Subsidy.Kind.HOUSING, 5, (2000, 6000), False, ("区民政局",)),
    (Subsidy.Kind.DISABILITY, 20, (600, 2400), False, ("区民政局", "街道财政")),
    (Subsidy.Kind.OTHER, 10, (300, 1500), True, ("社会捐赠", "慈善总会")),
)
SUBSIDY_NOTES = {
    Subsidy.Kind.FESTIVAL: ("春节慰问金", "中秋慰问金"),
    Subsidy.Kind.TEMPORARY: ("突发困难临时救助", "家庭成员住院，生活困难"),
    Subsidy.Kind.MEDICAL: ("住院自付部分救助", "慢性病门诊费用救助"),
    Subsidy.Kind.EDUCATION: ("子女学费资助",),
    Subsidy.Kind.HOUSING: ("房屋漏水维修补助",),
    Subsidy.Kind.DISABILITY: ("残疾人护理补贴", "康复辅具补贴"),
    Subsidy.Kind.OTHER: ("爱心企业捐赠", "冬季取暖补助"),
}
INITIATIVES = (
    ("邻里互助小组", "组织楼道里的低龄老人结对照看高龄独居老人，每天敲门问候一次。"),
    ("银发课堂", "每月两次在社区活动室开设智能手机、防诈骗课程，由大学生志愿者授课。"),
    ("楼道议事角", "在单元楼道设置议事板，居民写下诉求，社工每周收集并在网格会上协商解决。"),
    ("爱心早餐站", "联合辖区餐饮企业，为困难老人和环卫工人提供免费早餐。"),
    ("四点半课堂", "为双职工家庭的孩子提供放学后的作业辅导和兴趣活动。"),
    ("红色代办员", "党员志愿者为行动不便的老人代办证件、代缴费用、代配药品。"),
    ("网格微心愿", "收集困难家庭的小心愿，在社区公众号发布，由爱心居民和企业认领。"),
    ("健康小屋", "每周三请社区医生坐诊，为慢性病老人测血压、血糖，建立健康档案。"),
)
# fmt: on


@dataclass(eq=False)
class _Key:
    """An active key household, as the plan needs it."""

    pk: int
    area_id: int
    community_id: int
    phone: str
    categories: list[str]
    residents: list[tuple[str, str, datetime.date | None, str, str, str]] = field(default_factory=list)


def add_assistance(demo: Demo, rng: random.Random) -> None:
    """Plans, pairs and their caring visits, subsidies and initiatives for the demo street."""
    today = demo.today
    worker_of = _area_workers(demo)
    leader_of = {u.community_id: u for u in demo.users.values() if u.role == Role.COMMUNITY_LEADER}
    keys = _key_households(demo, rng, worker_of)
    showcase = demo.users.get("worker")
    showcase_areas = {a for a, u in worker_of.items() if showcase and u.pk == showcase.pk}

    plans_rng, pairs_rng, subsidies_rng, initiatives_rng = (random.Random(rng.getrandbits(64)) for _ in range(4))
    counts = _add_plans(demo, plans_rng, keys, worker_of, leader_of, showcase_areas)
    counts.update(_add_pairs(demo, pairs_rng, keys, worker_of, leader_of, showcase_areas))
    counts.update(_add_subsidies(demo, subsidies_rng, keys))
    counts.update(_add_initiatives(demo, initiatives_rng, today))
    demo.counts.update(counts)


# --- Reading what the earlier steps wrote -------------------------------------------------------------------------


def _area_workers(demo: Demo) -> dict[int, User]:
    users = {u.pk: u for u in demo.users.values()}
    return {
        area_id: users[user_id]
        for area_id, user_id in GridArea.workers.through.objects.filter(gridarea__community__street=demo.street)
        .order_by("gridarea_id", "user_id")
        .values_list("gridarea_id", "user_id")
        if user_id in users
    }


def _key_households(demo: Demo, rng: random.Random, worker_of: dict[int, User]) -> list[_Key]:
    """The street's active key households with their residents, in pk order; `worker` is given at least three."""
    street = demo.street
    key_names = {c.name for c in HouseholdCategory.objects.filter(is_key=True)}
    names: dict[int, list[str]] = defaultdict(list)
    for household_id, name in (
        Household.categories.through.objects.filter(household__grid_area__community__street=street)
        .order_by("household_id", "householdcategory__sort_order")
        .values_list("household_id", "householdcategory__name")
    ):
        names[household_id].append(name)
    active = list(
        Household.objects.filter(grid_area__community__street=street, status=Household.Status.ACTIVE)
        .order_by("pk")
        .values_list("pk", "grid_area_id", "grid_area__community_id", "phone")
    )
    # The showcase worker needs key households of her own to show plan and caring work: at a small demo size her
    # areas may hold none, so a few of her households become 低保边缘户 (near-subsistence) here.
    showcase = demo.users.get("worker")
    if showcase:
        own = [row for row in active if worker_of.get(row[1]) == showcase]
        own_key = [row for row in own if key_names & set(names[row[0]])]
        wanted = min(3, len(own)) - len(own_key)
        if wanted > 0:
            category = (
                HouseholdCategory.objects.filter(name="低保边缘户").first()
                or HouseholdCategory.objects.filter(is_key=True).order_by("sort_order").first()
            )
            if category:
                extra = [row for row in own if row not in own_key][:wanted]
                Household.categories.through.objects.bulk_create(
                    [
                        Household.categories.through(household_id=row[0], householdcategory_id=category.pk)
                        for row in extra
                    ]
                )
                for row in extra:
                    names[row[0]].append(category.name)
    keys = [
        _Key(pk=pk, area_id=area, community_id=community, phone=phone, categories=names[pk])
        for pk, area, community, phone in active
        if key_names & set(names[pk])
    ]
    by_pk = {k.pk: k for k in keys}
    for row in (
        Resident.objects.filter(household__in=list(by_pk))
        .order_by("household_id", "pk")
        .values_list("household_id", "name", "relation", "birth_date", "gender", "phone", "disability")
    ):
        by_pk[row[0]].residents.append(row[1:])
    return keys


# --- Plans ----------------------------------------------------------------------------------------------------------


def _moment(rng: random.Random, day: datetime.date) -> datetime.datetime:
    """A working-hours moment of a day, in the site's time zone."""
    naive = datetime.datetime.combine(day, datetime.time(rng.randint(8, 17), rng.randrange(60)))
    return timezone.make_aware(naive)


def _moment_at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@contextmanager
def _dated(model: type[models.Model], *names: str) -> Iterator[None]:
    """bulk_create keeping the dates set on the rows of automatic date fields (auto_now, auto_now_add).

    Those fields would stamp every row with the seed's own moment; the demo's rows are dated to the day they
    record. The seed runs alone in its process, so switching the flags off for one insert affects nothing else.
    """
    fields = [model._meta.get_field(name) for name in names]
    saved = [(f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, (auto_now, auto_now_add) in zip(fields, saved, strict=True):
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _surname(name: str) -> str:
    return name[:2] if name[:2] in ("诸葛", "欧阳") else name[:1]


def _mobile(rng: random.Random) -> str:
    from households.demo import _mobile as demo_mobile

    return demo_mobile(rng)


def _section_texts(rng: random.Random, key: _Key, today: datetime.date, measures: list[str]) -> dict[str, str]:
    head = key.residents[0] if key.residents else ("王某某", "head", None, "M", "", "")
    name, _relation, born, gender, phone, disability = head
    age = (today - born).days // 365 if born else rng.randint(50, 85)
    size = max(1, len(key.residents))
    living = "独居" if size == 1 else f"家中{size}口人"
    category = "、".join(key.categories)
    sex = "男" if gender == "M" else "女"
    basic = f"户主{_surname(name)}某，{sex}，{age}岁，{rng.choice(HEALTH)}，{living}；属{category}"
    disabled = [r for r in key.residents if r[5]]
    if disabled:
        basic += (
            f"，家中{'户主' if disabled[0] is head else '有成员'}为{dict(Resident.Disability.choices)[disabled[0][5]]}"
        )
    texts = [t for c in key.categories for t in LIVING_TEXTS.get(c, ())] or list(LIVING_DEFAULT)
    relatives = [r for r in key.residents[1:] if r[4]]
    if relatives:
        relative = relatives[0]
        relation = dict(Resident.Relation.choices)[relative[1]]
        contact_person = f"{relative[0]}（{relation}），电话{relative[4]}"
    else:
        relation, gender = rng.choice(RELATIVES)
        from households.demo import _full_name

        contact_person = f"{_full_name(rng, gender, 1980, _surname(name))}（{relation}，不同住），电话{_mobile(rng)}"
    own_phone = phone or key.phone
    contact = (f"户主电话{own_phone}；" if own_phone else "户主无电话；") + f"紧急联系人：{contact_person}"
    return {
        PlanSection.Must.BASIC: basic + "。",
        PlanSection.Must.LIVING: rng.choice(texts) + "。",
        PlanSection.Must.MIND: rng.choice(MIND_TEXTS) + "。",
        PlanSection.Must.CONTACT: contact + "。",
        PlanSection.Must.MEASURES: "；".join(measures) + "。" if measures else "",
    }


def _add_plans(
    demo: Demo,
    rng: random.Random,
    keys: list[_Key],
    worker_of: dict[int, User],
    leader_of: dict[int, User],
    showcase_areas: set[int],
) -> dict[str, int]:
    today = demo.today
    order = list(keys)
    rng.shuffle(order)
    # The states, a share each; the first households of the shuffled order take one of each state so a small demo
    # shows them all, and one of `worker`'s key households has no plan.
    states = {}
    without = max(1, round(SHARE_WITHOUT_PLAN * len(order))) if len(order) >= 4 else 0
    mine = [k for k in order if k.area_id in showcase_areas]
    if mine and without:
        states[mine[0].pk] = "none"
        without -= 1
    rest = [k for k in order if k.pk not in states]
    forced = ["complete", "incomplete", "overdue"] if len(rest) >= 6 else []
    for k, state in zip(rest, forced, strict=False):
        states[k.pk] = state
    for k in rest[len(forced) :]:
        if without > 0:
            states[k.pk], without = "none", without - 1
            continue
        roll = rng.random()
        states[k.pk] = (
            "incomplete"
            if roll < SHARE_INCOMPLETE
            else "overdue"
            if roll < SHARE_INCOMPLETE + SHARE_OVERDUE
            else "complete"
        )

    planned = [k for k in keys if states.get(k.pk, "none") != "none"]
    by_state: dict[str, int] = defaultdict(int)
    with (
        demo.rows(
            AssistancePlan, ["household_id", "review_on", "version", "created_at", "updated_at"], ids=True
        ) as plans,
        demo.rows(PlanSection, ["plan_id", "must", "text", "recorded_by_id", "recorded_at"], after=[plans]) as sections,
        demo.rows(
            AssistanceMeasure,
            ["plan_id", "description", "responsible_id", "due_on", "status", "done_on"],
            after=[plans],
        ) as measures,
        demo.rows(
            PlanVersion, ["plan_id", "number", "snapshot", "saved_by_id", "saved_at", "change"], after=[plans]
        ) as versions,
    ):
        for key in planned:
            state = states[key.pk]
            created = today - datetime.timedelta(days=rng.randint(60, 700))
            if state == "overdue":
                review = today - datetime.timedelta(days=rng.randint(3, 120))
            else:
                review = today + datetime.timedelta(days=rng.randint(15, 330))
            version_count = rng.choice((1, 2, 2, 3, 4))
            if demo.fast:
                # City scale: the plan as it stands, without the history no benchmarked page reads.
                version_count = 1
            worker = worker_of.get(key.area_id) or leader_of[key.community_id]
            leader = leader_of.get(key.community_id, worker)
            if state == "incomplete":
                musts = rng.sample(PlanSection.Must.values, rng.randint(2, 4))
            else:
                musts = list(PlanSection.Must.values)
            by_state[state] += 1
            # (description, responsible, due, status, done) of each measure.
            plan_measures: list[tuple[str, User, datetime.date, str, datetime.date | None]] = []
            if PlanSection.Must.MEASURES in musts:
                for description in rng.sample(MEASURE_TEXTS, rng.randint(1, 3)):
                    due = created + datetime.timedelta(days=rng.randint(20, 240))
                    if due <= today and rng.random() < 0.75:
                        status = MEASURE_STATUS.DONE
                        done_on = min(today, due - datetime.timedelta(days=rng.randint(0, 15)))
                        done_on = max(done_on, created)
                    else:
                        status = rng.choice(
                            (MEASURE_STATUS.PLANNED, MEASURE_STATUS.IN_PROGRESS, MEASURE_STATUS.IN_PROGRESS)
                        )
                        if rng.random() < 0.05:
                            status = MEASURE_STATUS.CANCELLED
                        done_on = None
                    responsible = leader if rng.random() < 0.2 else worker
                    plan_measures.append((description, responsible, due, status, done_on))
            texts = _section_texts(rng, key, today, [m[0] for m in plan_measures])
            last_recorded = created
            snapshot_sections = {}
            plan_sections = []
            for must in musts:
                day = min(today, created + datetime.timedelta(days=rng.randint(0, 45)))
                last_recorded = max(last_recorded, day)
                text = texts[must] or "定期上门了解需求，视情况落实帮扶。"
                snapshot_sections[must] = text
                plan_sections.append((must, text, _moment(rng, day)))
            # The history: version 1 opened the plan, the last is the plan as it stands; any between recorded musts.
            span = max(0, (today - last_recorded).days)
            days = sorted(
                [created]
                + [last_recorded + datetime.timedelta(days=rng.randint(0, span)) for _ in range(version_count - 1)]
            )
            if version_count == 1:
                days = [last_recorded]
            moments = sorted(_moment(rng, day) for day in days)
            # A plan was opened with its first version and last changed with its latest.
            pk = plans.add(key.pk, review, version_count, moments[0], moments[-1])
            for must, text, at in plan_sections:
                sections.add(pk, must, text, worker.pk, at)
            for description, responsible, due, status, done_on in plan_measures:
                measures.add(pk, description, responsible.pk, due, status, done_on)
            for number, moment in enumerate(moments, start=1):
                last = number == version_count
                snapshot = {
                    "review_on": str(review),
                    "sections": snapshot_sections if last else dict(list(snapshot_sections.items())[:number]),
                    "measures": [
                        {
                            "description": description,
                            "responsible": str(responsible),
                            "due_on": str(due),
                            "status": status,
                        }
                        for description, responsible, due, status, _done in plan_measures
                    ]
                    if last
                    else [],
                }
                change = (
                    "建立一户一策"
                    if number == 1
                    else ("更新：" + "、".join(str(PlanSection.Must(m).label) for m in musts[:number]))
                )
                versions.add(pk, number, snapshot, worker.pk, moment, change)
    return {
        "一户一策": plans.count,
        "其中完整": by_state["complete"],
        "其中不完整": by_state["incomplete"],
        "其中逾期未复核": by_state["overdue"],
        "重点户未建一户一策": len(keys) - plans.count,
        "帮扶措施": measures.count,
        "一户一策历史版本": versions.count,
    }


# --- Pairs and their monthly caring visits ---------------------------------------------------------------------------


def _months(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def _month_end(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _add_pairs(
    demo: Demo,
    rng: random.Random,
    keys: list[_Key],
    worker_of: dict[int, User],
    leader_of: dict[int, User],
    showcase_areas: set[int],
) -> dict[str, int]:
    today = demo.today
    this_month = today.replace(day=1)
    quarter = Quarter.containing(today)
    caring = Visit.objects.filter(street=demo.street, kind=Visit.Kind.CARING)
    done = {(h, u, d.replace(day=1)) for h, u, d in caring.values_list("household_id", "visitor_id", "visited_on")}
    done |= {
        (h, u, d.replace(day=1))
        for h, u, d in Visit.companions.through.objects.filter(visit__in=caring).values_list(
            "visit__household_id", "user_id", "visit__visited_on"
        )
    }
    # Households each worker has visited this quarter: a caring visit to another would change her quota status.
    visited_this_quarter = set(
        Visit.objects.filter(street=demo.street, kind__in=Visit.HOUSEHOLD_KINDS, visited_on__gte=quarter.start)
        .values_list("household_id", "visitor_id")
        .distinct()
    )

    mine = [k for k in keys if k.area_id in showcase_areas]
    # `worker`: every key household of hers paired; one of them (not cared for this month by the visits step)
    # is left without a caring visit this month, and one pair misses last month.
    no_visit_this_month = next((k.pk for k in mine if (k.pk, worker_of[k.area_id].pk, this_month) not in done), None)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)
    missed_last_month = next((k.pk for k in mine if (k.pk, worker_of[k.area_id].pk, last_month) not in done), None)
    kept_months = missed_months = 0
    pairs = demo.rows(AssistancePair, ["household_id", "staff_id", "starts_on", "ends_on"])
    with pairs, VisitWriter(demo) as visits:
        for key in keys:
            showcase = key in mine
            if not showcase and rng.random() >= SHARE_PAIRED:
                continue
            worker = worker_of.get(key.area_id)
            if worker is None:
                continue
            leader = leader_of.get(key.community_id)
            staff = leader if leader and not showcase and rng.random() < SHARE_PAIRED_WITH_LEADER else worker
            starts = today - datetime.timedelta(days=rng.randint(45, 700))
            ends = None
            if not showcase and rng.random() < SHARE_PAIR_ENDED:
                ends = starts + datetime.timedelta(days=rng.randint(90, max(90, (today - starts).days - 20)))
                ends = min(ends, today - datetime.timedelta(days=10))
            pairs.add(key.pk, staff.pk, starts, ends)
            kept_rate = rng.uniform(*PAIR_KEPT)
            forced_miss = None
            if key.pk == missed_last_month and this_month > starts:
                forced_miss = last_month
            for month in _months(starts, ends or today):
                lo = max(month, starts)
                hi = min(_month_end(month), today, ends or today)
                if (key.pk, staff.pk, month) in done:
                    kept_months += month < this_month
                    continue
                skip = month == forced_miss or (month == this_month and key.pk == no_visit_this_month)
                in_quarter = month >= quarter.start
                if in_quarter and (key.pk, worker.pk) not in visited_this_quarter:
                    skip = True
                chance = kept_rate
                if month == this_month:
                    chance *= today.day / calendar.monthrange(month.year, month.month)[1]
                if skip or rng.random() >= chance or hi < lo:
                    missed_months += month < this_month
                    continue
                day = lo + datetime.timedelta(days=rng.randrange((hi - lo).days + 1))
                if day.weekday() >= 5 and (hi - lo).days >= 3:
                    day = max(lo, day - datetime.timedelta(days=day.weekday() - 4))
                kept_months += month < this_month
                # Written up at the end of the day it records, as the visits step dates its entries.
                visits.add(
                    community_id=key.community_id,
                    visitor_id=worker.pk,
                    visited_on=day,
                    kind=Visit.Kind.CARING,
                    household_id=key.pk,
                    met_whom=rng.choice(CARING_MET),
                    situation=rng.choice(CARING_SITUATIONS),
                    action_taken=rng.choice(CARING_ACTIONS),
                    companions=[staff.pk] if staff.pk != worker.pk else [],
                )
    demo.counts["走访记录"] = demo.counts.get("走访记录", 0) + visits.count
    demo.counts["其中爱心走访"] = demo.counts.get("其中爱心走访", 0) + visits.count
    return {
        "帮扶结对": pairs.count,
        "结对爱心走访（新增）": visits.count,
        "结对月份已走访": kept_months,
        "结对月份未走访": missed_months,
    }


# --- Subsidies ------------------------------------------------------------------------------------------------------


def _yuan(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _add_subsidies(demo: Demo, rng: random.Random, keys: list[_Key]) -> dict[str, int]:
    today = demo.today
    chief = demo.users.get("chief")
    leader = demo.users.get("leader")
    recorder = chief or next(iter(demo.users.values()))
    approvers_small = [chief.full_name] if chief else ["社会事务科"]
    approvers_large = [leader.full_name] if leader else approvers_small
    kinds = [k for k in SUBSIDY_KINDS if k[1]]
    weights = [k[1] for k in kinds]
    totals: dict[int, Decimal] = {}
    subsidies = demo.rows(
        Subsidy,
        ["household_id", "kind", "amount", "paid_on", "source", "approved_by", "note", "recorded_by_id", "created_at"],
    )
    with subsidies:
        for year in (today.year - 1, today.year):
            start = datetime.date(year, 1, 1)
            end = min(today, datetime.date(year, 12, 31))
            # The article's figure is "since the start of the year", reached by about the 330th day (as the visits
            # step); last year paid a little less.
            elapsed = Decimal(min(330, (end - start).days + 1)) / 330
            scale = elapsed if year == today.year else Decimal("0.93")
            target = (YEARLY_SUBSIDY_PER_KEY_HOUSEHOLD * len(keys) * scale).quantize(CENT)
            fixed, scalable = [], []
            for key in keys:
                # Festival money at the Spring Festival (late January) and the Mid-Autumn Festival (September).
                for month, day, note in ((1, 20, "春节慰问金"), (9, 15, "中秋慰问金")):
                    paid = datetime.date(year, month, day) + datetime.timedelta(days=rng.randint(0, 8))
                    if paid <= today and rng.random() < 0.8:
                        amount = Decimal(rng.choice((300, 400, 500, 500)))
                        source = rng.choice(("街道财政", "慈善总会"))
                        fixed.append((key, Subsidy.Kind.FESTIVAL, amount, paid, source, note))
                for _n in range(rng.choice((0, 1, 1, 2, 2, 3))):
                    kind, _w, (low, high), round_amount, sources = rng.choices(kinds, weights)[0]
                    if kind == Subsidy.Kind.DISABILITY and not any(r[5] for r in key.residents):
                        kind, round_amount, sources = Subsidy.Kind.TEMPORARY, True, ("街道财政", "区民政局")
                    paid = start + datetime.timedelta(days=rng.randrange((end - start).days + 1))
                    raw = rng.uniform(low, high)
                    scalable.append(
                        (key, kind, raw, round_amount, paid, rng.choice(sources), rng.choice(SUBSIDY_NOTES[kind]))
                    )
            fixed_total = sum((row[2] for row in fixed), Decimal(0))
            raw_total = sum(row[2] for row in scalable) or 1.0
            factor = max(0.2, float(target - fixed_total) / raw_total)
            rows = list(fixed)
            for key, kind, raw, round_amount, paid, source, note in scalable:
                value = raw * factor
                amount = Decimal(max(100, round(value / 100) * 100)) if round_amount else _yuan(max(50.0, value))
                rows.append((key, kind, amount, paid, source, note))
            year_total = Decimal(0)
            # A year's subsidies in the order they were paid, each recorded the afternoon it was paid.
            rows.sort(key=lambda row: row[3])
            for key, kind, amount, paid, source, note in rows:
                approver = rng.choice(approvers_large if amount > 3000 else approvers_small)
                subsidies.add(
                    key.pk, kind, amount.quantize(CENT), paid, source, approver, note, recorder.pk, _moment_at(paid, 16)
                )
                year_total += amount
            totals[year] = year_total
    return {
        "困难补助": subsidies.count,
        f"{today.year - 1}年补助金额（元）": int(totals[today.year - 1]),
        f"{today.year}年补助金额（元）": int(totals[today.year]),
    }


# --- Initiatives ----------------------------------------------------------------------------------------------------


def _add_initiatives(demo: Demo, rng: random.Random, today: datetime.date) -> dict[str, int]:
    workers = sorted((u for u in demo.users.values() if u.role == Role.SOCIAL_WORKER), key=lambda u: u.username)
    showcase = demo.users.get("worker")
    initiatives = []
    for user in workers:
        if user is not showcase and rng.random() >= SHARE_WORKERS_WITH_INITIATIVE:
            continue
        title, description = rng.choice(INITIATIVES)
        status = rng.choices(list(Initiative.Status.values), (20, 60, 20))[0]
        started = (
            None if status == Initiative.Status.PLANNING else today - datetime.timedelta(days=rng.randint(30, 600))
        )
        initiatives.append(
            Initiative(owner=user, title=title, description=description, status=status, started_on=started)
        )
    Initiative.objects.bulk_create(initiatives, batch_size=BATCH_SIZE)
    return {"创新载体": len(initiatives)}
