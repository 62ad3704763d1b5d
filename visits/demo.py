"""The demo street's visit diary: `demo.years` of visits ending on demo.today, written by `add_visits`.

A step of households.demo (see its docstring): it reads what the earlier steps built, a community's households at
a time, and writes each visit as it is made through demo.rows (COPY on PostgreSQL), so memory holds one community's
households and never the visits: a street of 45,000 households and three years costs seconds.

What the history looks like:
- `demo.years` of history: two by default, three for a benchmark street (`seed_demo --years 3`).
- Social workers visit households of their own grid areas door to door: key households every quarter, the
  others in turn, longest unvisited first, so over the years they "walk every family"; a share of
  households is never found at home and never visited. Each worker also makes one caring visit (爱心走访) a
  month to one or two key households she is paired with. The visitor is always the household's grid-area
  worker; a community leader or a colleague of the same community comes along now and then (companions).
- In past quarters most workers reach their target; in the current quarter each worker is given a status
  (met, on track, behind, at risk) and visits as many households as that status needs on today's date,
  found with the quota dashboard's own rule (visits.selectors.QuotaRow). `worker` is on track, about as far
  as the days gone; `worker2` is behind.
- Quota targets: the office's rule (50 a quarter) needs grid areas of hundreds of households, as in the
  article. A demo with fewer households per area gets a personal rule per worker (QuotaRule.user, with a
  note saying why): 60% of her visitable households a quarter, so the dashboard still shows every status.
- Department staff and chiefs visit estates, owners' committees and property companies on the monthly
  visit-service day (visits.selectors.service_day: the 20th, or the day it was moved to), keeping it about
  85% of months, and on other days too; problems are raised now and then.
- Enterprises, leaders and paired villages follow the article's figures for a year ("since the start of the
  year": 44 enterprises visited with 27 problems raised; leaders 83 person-visits to 12 communities, 2
  cooperatives and 5 paired villages), scaled to the part of each year in the history. District-managed
  cadres visit the estates, owners' committees and property companies of the communities they are linked to.

Every visit's street and community are those visits.services gives it (its target's community; a property
company or paired village: the visitor's community, none for street staff). No visit is after demo.today,
and none is to a household on or after the day it moved out.
"""

from __future__ import annotations

import datetime
import math
import random
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Min

from households.models import (
    Community,
    Enterprise,
    Estate,
    GridArea,
    Household,
    OwnersCommittee,
    PairedVillage,
    PropertyCompany,
    Resident,
)
from visits.models import (
    DEFAULT_HOUSEHOLDS_PER_QUARTER,
    DEFAULT_SERVICE_DAY,
    QuotaRule,
    ServiceDayMove,
    ServiceDayRule,
    Visit,
)
from visits.periods import Quarter, months_back
from visits.selectors import QuotaRow, QuotaStatus, one_year_before, quota_targets, service_day
from wenxin.models import User
from wenxin.roles import Role

if TYPE_CHECKING:
    from households.demo import Demo, TableWriter

BATCH_SIZE = 2000
# The share of a cadre's three musts he keeps in a quarter.
THREE_MUSTS_KEPT = 0.85
HISTORY_YEARS = 2

# Households a worker never finds at home (rented out, away, refusing): the planner's "never visited".
SHARE_NEVER_VISITED = 0.07
# The personal demo target: this share of a worker's visitable households a quarter, when her areas are too
# small for the office's target.
SHARE_DEMO_TARGET = 0.6
# Past quarters: most workers reach their target, some fall short.
SHARE_QUARTERS_MET = 0.85
# Current quarter: how many workers are given each status (worker and worker2 are set by name).
CURRENT_STATUSES = (
    (QuotaStatus.MET, 15),
    (QuotaStatus.ON_TRACK, 45),
    (QuotaStatus.BEHIND, 25),
    (QuotaStatus.AT_RISK, 15),
)
# At most this share of a quarter's households are key households, so the others get their turn too.
KEY_SHARE = 0.4
# The most distinct households a worker visits a day, on average, early in the current quarter.
MOST_A_DAY = 4
# A second door-to-door visit in the same quarter.
SHARE_REPEAT_KEY = 0.4
SHARE_REPEAT_OTHER = 0.06
SHARE_FOLLOWED_UP = 0.75
# Department staff keep the visit-service day in about this share of months, each with a rate of his own.
SERVICE_DAY_KEPT = (0.75, 0.97)
# The article's figures for a year, "since the start of the year" (DOMAIN.md); a year's figures are reached
# by about this day of it.
ENTERPRISES_A_YEAR = 44
ENTERPRISE_PROBLEMS_A_YEAR = 27
LEADER_PERSON_VISITS_A_YEAR = 83
FIGURES_DAY_OF_YEAR = 330

# fmt: off
# (difficulty, what was done, needs a follow-up): what a door-to-door visit finds, by kind of household.
DIFFICULTIES_COMMON = (
    ("楼道灯坏了，晚上上下楼不方便", "已联系物业报修，约定三天内修好", True),
    ("家门口下水道堵塞，有异味", "已通知物业疏通，提醒住户不要倒油污", True),
    ("询问孩子入学的积分政策", "介绍西湖区入学积分办法，留下教育部门咨询电话", False),
    ("楼上装修噪音大，影响休息", "与楼上住户沟通，约定施工时间", False),
    ("电动车充电难，楼道里私拉电线", "已向社区反映，社区正与物业协商增设充电桩", True),
    ("想了解医保报销流程", "讲解医保报销流程，发放宣传资料", False),
    ("单元楼希望加装电梯", "登记加装意向，转社区加装电梯工作小组", True),
    ("外墙渗水，家中墙面发霉", "拍照记录，协调物业上门查看维修", True),
    ("单元门口垃圾桶满溢", "已反映给物业，要求增加清运频次", False),
    ("小区晚上停车难", "记录诉求，转社区与物业研究错时停车", False),
)
DIFFICULTIES_ELDERLY = (
    ("子女不在身边，担心突发疾病无人知晓", "为老人申请安装紧急呼叫器", True),
    ("想申请居家养老服务", "协助填写居家养老服务申请表，报街道审核", True),
    ("腿脚不便，去医院配药困难", "联系社区卫生服务站上门配药", True),
    ("高龄津贴怎么办理", "讲解高龄津贴申领条件，协助准备材料", True),
    ("卫生间地面滑，担心摔倒", "登记适老化改造需求，报民政部门", True),
    ("希望社区多组织老年人活动", "介绍社区老年食堂和兴趣班，邀请参加", False),
)
DIFFICULTIES_HARDSHIP = (
    ("申请低保咨询", "讲解低保申请条件和流程，协助准备材料", True),
    ("低保年审材料不会填", "帮助填写年审表格，代为提交社区", False),
    ("医疗费用负担重", "告知医疗救助政策，协助申请临时救助", True),
    ("孩子上学费用困难", "联系助学项目，登记助学需求", True),
)
DIFFICULTIES_DISABLED = (
    ("残疾人两项补贴怎么申请", "讲解补贴政策，协助提交申请", True),
    ("希望申请残疾人托养服务", "登记需求，转街道残联专职委员", True),
    ("轮椅老旧需要更换", "联系残联辅具适配中心，登记申领", True),
)
DIFFICULTIES_SPECIAL_CARE = (
    ("优抚金发放时间咨询", "告知发放时间，留下退役军人服务站电话", False),
    ("希望参加退役军人座谈会", "登记报名，转退役军人服务站", False),
)
ACTIONS_ROUTINE = (
    "宣传垃圾分类和防范电信诈骗知识", "了解家庭近况，留下社工联系方式", "提醒注意用电用气安全",
    "告知社区近期活动安排", "宣传医保参保缴费政策", "更新家庭联系电话",
)

SITUATIONS_SINGLE = ("独自居住，在附近公司上班", "一个人住，平时工作忙，晚上在家", "独自居住，身体健康，作息规律")
SITUATIONS_COUPLE = ("夫妻二人居住，都在上班", "夫妻二人居住，孩子在外地读大学", "夫妻俩在附近做小生意")
SITUATIONS_FAMILY = (
    "家中{n}口人，户主在企业上班，孩子在读书", "家庭成员身体健康，工作稳定", "户主近期换了工作，收入基本稳定",
    "一家人刚从外地探亲回来", "孩子明年升学，家长比较关心学区情况", "家中{n}口人，三代同住，相处和睦",
    "户主在附近开小店，早出晚归",
)
SITUATIONS_ELDERLY = (
    "老人今年{age}岁，身体尚可，能自己买菜做饭", "老人患有高血压，每天按时服药", "老人腿脚不便，很少下楼",
    "老人刚出院不久，正在家休养", "老人每天到社区老年食堂吃午饭",
)
SITUATIONS_ALONE = ("老人独自居住，子女在外地工作", "老人独居，女儿每周来看望一次", "老人独居，平时和邻居互相照应")
SITUATIONS_BY_CATEGORY = {
    "低保户": ("家中依靠低保金生活，户主患慢性病无法工作", "低保复核材料已准备齐全"),
    "低保边缘户": ("家中收入不稳定，户主打零工维持生活",),
    "困难残疾人家庭": ("家中残疾人康复情况平稳，每周去康复中心一次", "残疾人生活需家属全天照料"),
    "重点优抚对象": ("退役军人，身体硬朗，关心社区事务",),
    "失独家庭": ("老两口相互照顾，情绪总体稳定",),
    "企退人员": ("户主为企业退休人员，按月领取养老金",),
}
LIVING_SMALL = ("房屋整洁，居住条件较好", "家中收入稳定，生活无忧", "房屋刚装修过，居住舒适")
LIVING_FAMILY = (
    "房屋整洁，居住条件较好", "住房面积较小，三代同住稍显拥挤", "家中收入稳定，生活无忧", "房屋刚装修过，居住舒适",
)
LIVING_ELDERLY = (
    "家中整洁，生活基本能自理", "房屋较旧，卫生间地面较滑", "依靠退休金生活，收支平衡", "保姆白天照料，生活有保障",
)
LIVING_HARDSHIP = ("家中陈设简单，生活较为拮据", "靠低保金和临时救助维持基本生活")
LIVING_DISABLED = ("家中已做无障碍改造，生活需家属照料", "残疾人由家属照料，康复器具齐全")
MINDS = (
    "情绪稳定，对社区工作满意", "心态乐观，愿意参加社区活动", "精神状态良好", "对政策有疑问，经解释后表示理解",
)
MINDS_ELDERLY = (
    "对子女不在身边略感孤独", "因身体原因情绪有些低落，已耐心开导", "思想稳定，精神不错", "很健谈，见到社工很高兴",
)
MET_SINGLE = ("户主本人",)
MET_COUPLE = ("户主", "户主", "配偶", "户主及配偶")
MET_FAMILY = ("户主", "户主", "户主", "配偶", "户主及配偶", "户主母亲", "家中老人")
MET_ELDERLY = ("老人本人", "老人本人", "老人及其子女", "户主", "老人的女儿", "老人的儿子")
MET_ALONE = ("老人本人", "老人本人", "老人本人", "老人本人及其子女", "邻居（老人外出，代为转告）")

CARING_SITUATIONS_ELDERLY = (
    "每月爱心走访，带去米、油等慰问品", "上门看望老人，陪老人聊天", "爱心走访，了解老人近期身体和生活情况",
    "和志愿者一起上门，帮老人打扫卫生",
)
CARING_SITUATIONS_FAMILY = (
    "每月爱心走访，带去米、油等慰问品", "爱心走访，了解家庭近期生活情况", "和志愿者一起上门，给孩子送去学习用品",
)
CARING_ACTIONS_ELDERLY = ("送去慰问品，叮嘱按时服药", "帮助整理房间，检查燃气和电器安全", "留下应急联系卡")
CARING_ACTIONS_FAMILY = ("送去慰问品，了解近期困难", "帮忙代缴水电费", "告知临时救助和就业帮扶政策")
CARING_FESTIVALS = {
    1: "春节前走访慰问，送去慰问金和年货", 2: "春节前走访慰问，送去慰问金和年货", 9: "中秋节前走访，送去月饼",
}
FOLLOW_UP_RESULTS = (
    "问题已解决，住户表示满意", "维修已完成，住户满意", "申请已提交，正在审核，继续跟进", "已答复住户，住户表示理解",
)

# (kind, situations, met whom, [(difficulty, what was done)]) for the visits of street staff and leaders.
PLACE_VISITS = {
    Visit.Kind.ESTATE: (
        ("走访服务日到小区听取居民意见", "走访小区，查看垃圾分类投放点和消防通道", "查看小区加装电梯和老旧小区改造进度",
         "检查小区电动车停放和充电情况", "了解小区物业服务和环境卫生情况"),
        ("物业项目经理", "小区保安队长", "楼道长", "居民代表", "业委会主任"),
        (("小区停车位紧张，夜间车辆乱停", "已反映城管科，研究周边道路夜间停车方案"),
         ("消防通道被杂物占用", "当场督促物业清理，约定一周后复查"),
         ("垃圾分类投放点异味大", "要求物业增加清洗频次，城管科跟进"),
         ("老旧小区雨污管网需要改造", "纳入街道年度实事工程申报"),
         ("小区多处路灯损坏", "已交物业维修，社区跟进"),
         ("快递柜不够用，快递堆放在门岗", "协调快递企业增设快递柜"),
         ("加装电梯居民意见不统一", "组织楼道协商会，做好解释工作")),
    ),
    Visit.Kind.OWNERS_COMMITTEE: (
        ("走访业委会，了解业委会运作和换届筹备情况", "与业委会座谈维修资金使用情况", "听取业委会对物业服务的评价"),
        ("业委会主任", "业委会副主任", "业委会委员"),
        (("维修资金使用审批流程长", "讲解维修资金使用流程，协调区住建部门"),
         ("业委会与物业在续聘问题上有分歧", "组织社区、业委会、物业三方协调会"),
         ("业委会换届筹备人手不足", "社区安排专人协助换届")),
    ),
    Visit.Kind.PROPERTY_COMPANY: (
        ("走访物业公司，了解服务质量和收费情况", "与物业公司座谈小区安全管理", "检查物业消防设施维护记录"),
        ("物业公司经理", "项目经理", "客服主管"),
        (("物业费收缴率偏低", "协助宣传物业服务，引导居民按时缴费"),
         ("保洁、保安人员招聘难", "对接街道就业服务站推送招聘信息"),
         ("部分业主违规搭建，劝阻无效", "城管科介入，依法处置")),
    ),
    Visit.Kind.ENTERPRISE: (
        ("了解企业经营情况和发展需求", "走访企业，宣传惠企政策", "了解企业用工和税收情况",
         "检查企业安全生产和消防情况"),
        ("企业负责人", "总经理", "行政主管", "财务负责人", "人事经理"),
        (("招工难，一线员工流失多", "对接街道就业服务站，推送招聘信息"),
         ("办公用房租金上涨，想了解人才房政策", "讲解区人才住房政策，协助申报"),
         ("员工子女入学咨询", "联系教育部门了解入学政策，已答复企业"),
         ("企业门前停车难", "城管科现场查看，研究划设临时停车位"),
         ("惠企补贴申报流程不清楚", "经济发展科上门辅导申报"),
         ("希望对接高校开展技术合作", "联系辖区高校科技处牵线"),
         ("周边道路施工影响经营", "协调施工单位优化围挡和通行"),
         ("融资难，想了解贷款贴息政策", "对接区金融办和合作银行")),
    ),
    Visit.Kind.PAIRED_VILLAGE: (
        ("走访结对村，了解村集体经济和产业发展情况", "走访结对村，慰问困难党员和低收入农户",
         "到结对村商定年度帮扶项目"),
        ("村党支部书记", "村委会主任"),
        (("村里茶叶、笋干销路不畅", "组织街道机关和社区开展消费帮扶"),
         ("村道部分路段需要修缮", "安排结对帮扶资金予以支持"),
         ("留守老人照护难", "对接社会组织开展助老服务")),
    ),
    Visit.Kind.LEADERSHIP: (
        ("听取社区工作汇报，了解近期民情", "到社区参加民情恳谈会，听取居民代表意见", "调研老旧小区改造和加装电梯工作",
         "调研垃圾分类和环境整治工作"),
        ("社区书记", "社区主任", "社区两委班子"),
        (("社区用房紧张，活动场地不足", "研究调剂街道闲置用房"),
         ("社区工作人员力量不足", "街道统筹调配社工力量"),
         ("辖区背街小巷环境需要整治", "列入城管科整治计划")),
    ),
}
COOPERATIVE_VISITS = (
    ("调研合作社集体经济和物业经营情况", "听取合作社工作汇报"),
    ("合作社董事长", "合作社两委班子"),
    (("合作社物业出租率下降", "经济发展科协助招商"), ("安置房小区管理问题较多", "社区建设科牵头研究")),
)
# fmt: on


# --- Plumbing ---------------------------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class _Household:
    """What the diary needs to know about a household, read once."""

    pk: int
    community_id: int
    moved_out_on: datetime.date | None
    categories: frozenset[str]
    is_key: bool
    size: int
    oldest_age: int
    # The quarter it was last visited in (-1: never), and a fixed random rank that breaks ties.
    last_quarter: int = -1
    rank: float = 0.0

    def last_day(self, hi: datetime.date) -> datetime.date:
        """The last day it can be visited up to hi: the day before it moved out, if it did."""
        if self.moved_out_on and self.moved_out_on <= hi:
            return self.moved_out_on - datetime.timedelta(days=1)
        return hi

    @property
    def is_elderly(self) -> bool:
        return self.oldest_age >= 70

    @property
    def lives_alone(self) -> bool:
        return self.size == 1 and self.oldest_age >= 60


# The columns the diary writes; the others (spot_checked_at ...) take their defaults.
VISIT_COLUMNS = (
    "street_id", "community_id", "visitor_id", "visited_on", "kind", "household_id", "estate_id", "enterprise_id",
    "owners_committee_id", "property_company_id", "paired_village_id", "target_community_id", "met_whom",
    "situation", "living_conditions", "state_of_mind", "difficulty", "action_taken", "follow_up_needed",
    "follow_up_by", "created_at", "updated_at",
)  # fmt: skip
_VISIT_DEFAULTS = {
    "community_id": None, "household_id": None, "estate_id": None, "enterprise_id": None,
    "owners_committee_id": None, "property_company_id": None, "paired_village_id": None,
    "target_community_id": None, "met_whom": "", "situation": "", "living_conditions": "", "state_of_mind": "",
    "difficulty": "", "action_taken": "", "follow_up_needed": False, "follow_up_by": None,
}  # fmt: skip


_POSITION = {name: position for position, name in enumerate(VISIT_COLUMNS)}
_DEFAULT_ROW = tuple(_VISIT_DEFAULTS.get(name) for name in VISIT_COLUMNS)


@dataclass(slots=True)
class VisitMade:
    """What is remembered of a visit once it is written: what a follow-up or a caller needs."""

    pk: int
    kind: str
    visited_on: datetime.date
    met_whom: str
    difficulty: str
    follow_up_needed: bool
    follow_up_by: datetime.date | None


class VisitWriter:
    """Visits and their companions written as they are made, each dated 17:00 (Asia/Shanghai) of its day, as if
    written up at the end of the day it records."""

    def __init__(self, demo: Demo) -> None:
        self.street_id = demo.street.pk
        self.visits: TableWriter = demo.rows(Visit, VISIT_COLUMNS, ids=True)
        self.companions: TableWriter = demo.rows(Visit.companions.through, ["visit_id", "user_id"], after=[self.visits])
        self.kinds: Counter[str] = Counter()
        self._written: dict[datetime.date, datetime.datetime] = {}

    def add(self, *, companions: Sequence[int] = (), **fields: Any) -> VisitMade:
        day = fields["visited_on"]
        written = self._written.get(day)
        if written is None:
            written = self._written[day] = datetime.datetime.combine(day, datetime.time(9), tzinfo=datetime.UTC)
        row = [self.street_id, *_DEFAULT_ROW[1:]]
        for name, value in fields.items():
            row[_POSITION[name]] = value
        row[-2] = row[-1] = written
        pk = self.visits.add(*row)
        for user_id in companions:
            self.companions.add(pk, user_id)
        self.kinds[fields["kind"]] += 1
        return VisitMade(
            pk=pk,
            kind=fields["kind"],
            visited_on=day,
            met_whom=fields.get("met_whom", ""),
            difficulty=fields.get("difficulty", ""),
            follow_up_needed=fields.get("follow_up_needed", False),
            follow_up_by=fields.get("follow_up_by"),
        )

    @property
    def count(self) -> int:
        return self.visits.count

    def close(self) -> None:
        self.companions.close()
        self.visits.close()

    def __enter__(self) -> VisitWriter:
        return self

    def __exit__(self, kind: object, *_rest: object) -> None:
        if kind is None:
            self.close()
        else:
            self.companions.__exit__(kind, None, None)
            self.visits.__exit__(kind, None, None)


@dataclass
class _Diary:
    """The calendar visits are dated on, and the writer they go to."""

    today: datetime.date
    workdays: list[datetime.date]
    writer: VisitWriter

    def add(self, *, companions: Sequence[int] = (), **fields: Any) -> VisitMade:
        return self.writer.add(companions=companions, **fields)

    def day(self, rng: random.Random, lo: datetime.date, hi: datetime.date) -> datetime.date | None:
        """A working day in lo..hi (any day if none is), or None when hi is before lo."""
        hi = min(hi, self.today)
        if hi < lo:
            return None
        first, last = bisect_left(self.workdays, lo), bisect_right(self.workdays, hi)
        if first < last:
            return self.workdays[rng.randrange(first, last)]
        return lo + datetime.timedelta(days=rng.randrange((hi - lo).days + 1))


def _history_start(today: datetime.date, years: int = HISTORY_YEARS) -> datetime.date:
    """The first day of the quarter `years` years back, so every quarter of the history is whole."""
    start = today
    for _year in range(years):
        start = one_year_before(start)
    return Quarter.containing(start).start


def _days(lo: datetime.date, hi: datetime.date) -> list[datetime.date]:
    return [lo + datetime.timedelta(days=n) for n in range((hi - lo).days + 1)]


def _month_end(month: datetime.date) -> datetime.date:
    following = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def _year_spans(start: datetime.date, today: datetime.date) -> list[tuple[datetime.date, datetime.date, float]]:
    """Each calendar year of the history clipped to it, and the share of a year's figures it should reach."""
    spans = []
    for year in range(start.year, today.year + 1):
        lo, hi = max(start, datetime.date(year, 1, 1)), min(today, datetime.date(year, 12, 31))
        spans.append((lo, hi, min(1.0, ((hi - lo).days + 1) / FIGURES_DAY_OF_YEAR)))
    return spans


# --- The step ---------------------------------------------------------------------------------------------------


def add_visits(demo: Demo, rng: random.Random) -> None:
    """`demo.years` of the visit diary: workers' household visits, staff and leaders' visits, the service day."""
    today = demo.today
    start = _history_start(today, demo.years)
    # A generator for each part, so street staff's and leaders' visits do not change with the number of households.
    households_rng, staff_rng, enterprises_rng, leaders_rng = (random.Random(rng.getrandbits(64)) for _part in range(4))

    service_days = _add_service_day(demo, start)
    with VisitWriter(demo) as writer:
        diary = _Diary(today=today, workdays=[d for d in _days(start, today) if d.weekday() < 5], writer=writer)
        quota_rules = _add_household_visits(demo, households_rng, diary, start)
        places = _Places.of(demo)
        _add_staff_visits(demo, staff_rng, diary, places, start, service_days)
        _add_enterprise_visits(demo, enterprises_rng, diary, places, start)
        _add_leader_visits(demo, leaders_rng, diary, places, start)

    kinds = writer.kinds
    demo.counts.update(
        {
            "走访记录": writer.count,
            "其中入户走访": kinds[Visit.Kind.DOOR_TO_DOOR],
            "其中爱心走访": kinds[Visit.Kind.CARING],
            "其中走访小区、业委会、物业": kinds[Visit.Kind.ESTATE]
            + kinds[Visit.Kind.OWNERS_COMMITTEE]
            + kinds[Visit.Kind.PROPERTY_COMPANY],
            "其中走访企业": kinds[Visit.Kind.ENTERPRISE],
            "其中领导走访村社、结对村": kinds[Visit.Kind.LEADERSHIP] + kinds[Visit.Kind.PAIRED_VILLAGE],
            "社工个人走访指标": quota_rules,
        }
    )


def _add_service_day(demo: Demo, start: datetime.date) -> dict[datetime.date, datetime.date]:
    """The street's visit-service day (the 20th), one month's day moved to the Friday before a weekend 20th,
    and the service day of every month of the history as visits.selectors.service_day reads them."""
    street, today = demo.street, demo.today
    ServiceDayRule.objects.create(street=street, day_of_month=DEFAULT_SERVICE_DAY)
    months = months_back(today, (today.year - start.year) * 12 + today.month - start.month + 1)
    for month in reversed(months):
        day = month.replace(day=DEFAULT_SERVICE_DAY)
        friday = day - datetime.timedelta(days=day.weekday() - 4)
        if day.weekday() >= 5 and friday <= today:
            weekday = "星期六" if day.weekday() == 5 else "星期日"
            ServiceDayMove.objects.create(
                street=street, month=month, moved_to=friday, reason=f"{day.month}月20日是{weekday}，提前到星期五"
            )
            break
    rules = dict(ServiceDayRule.objects.filter(street=street).values_list("street_id", "day_of_month"))
    moves = {(m.street_id, m.month): m.moved_to for m in ServiceDayMove.objects.filter(street=street)}
    return {month: service_day(street.pk, month, rules=rules, moves=moves) for month in months}


def _users(demo: Demo, *roles: str) -> list[User]:
    return [user for user in demo.users.values() if user.role in roles]


# --- Social workers ---------------------------------------------------------------------------------------------


def _load_households(demo: Demo, area_ids: list[int]) -> dict[int, list[_Household]]:
    """The households of some grid areas (a community's) by grid area, in the order they were written, in three
    queries."""
    in_areas = {"household__grid_area_id__in": area_ids}
    categories: dict[int, set[str]] = defaultdict(set)
    key: set[int] = set()
    for household_id, name, is_key in Household.categories.through.objects.filter(**in_areas).values_list(
        "household_id", "householdcategory__name", "householdcategory__is_key"
    ):
        categories[household_id].add(name)
        if is_key:
            key.add(household_id)
    people = {
        row["household_id"]: (row["n"], row["oldest"])
        for row in Resident.objects.filter(**in_areas)
        .values("household_id")
        .annotate(n=Count("pk"), oldest=Min("birth_date"))
        .order_by()
    }
    by_area: dict[int, list[_Household]] = defaultdict(list)
    community_of = {area.pk: area.community_id for area in demo.grid_areas}
    for pk, area_id, status, moved_out_on in (
        Household.objects.filter(grid_area_id__in=area_ids)
        .order_by("pk")
        .values_list("pk", "grid_area_id", "status", "moved_out_on")
    ):
        size, oldest = people.get(pk, (1, None))
        age = (demo.today - oldest).days // 365 if oldest else 40
        by_area[area_id].append(
            _Household(
                pk=pk,
                community_id=community_of[area_id],
                moved_out_on=moved_out_on if status == Household.Status.MOVED_OUT else None,
                categories=frozenset(categories.get(pk, ())),
                is_key=pk in key,
                size=size,
                oldest_age=age,
            )
        )
    return by_area


@dataclass
class _Worker:
    user: User
    # Her username without the street's prefix: `worker` and `worker2` are shown in particular states.
    name: str
    households: list[_Household]
    target: int
    caring: list[_Household]
    leader_id: int | None
    colleagues: list[int]


def _add_household_visits(demo: Demo, rng: random.Random, diary: _Diary, start: datetime.date) -> int:
    """Every social worker's door-to-door and caring visits, quarter by quarter; returns the personal rules made.

    A community at a time: its households are read, its workers' whole history written, and both forgotten."""
    names = {user.pk: name for name, user in demo.users.items()}
    workers_users = _users(demo, Role.SOCIAL_WORKER)
    areas_of: dict[int, list[int]] = defaultdict(list)
    for area_id, user_id in GridArea.workers.through.objects.filter(
        gridarea__community__street=demo.street
    ).values_list("gridarea_id", "user_id"):
        areas_of[user_id].append(area_id)
    leaders = {u.community_id: u.pk for u in _users(demo, Role.COMMUNITY_LEADER)}
    by_community: dict[int, list[User]] = defaultdict(list)
    for user in workers_users:
        by_community[user.community_id].append(user)
    office_targets = quota_targets(workers_users)
    statuses = _current_statuses(rng, workers_users, names)
    current = Quarter.containing(demo.today)

    rules = []
    for community in demo.communities:
        users = by_community.get(community.pk, [])
        if not users:
            continue
        by_area = _load_households(demo, sorted(a for user in users for a in areas_of[user.pk]))
        for user in users:
            households = [h for area_id in sorted(areas_of[user.pk]) for h in by_area.get(area_id, ())]
            for household in households:
                household.rank = rng.random()
            never = [h for h in households if not h.is_key and rng.random() < SHARE_NEVER_VISITED]
            never_ids = {h.pk for h in never}
            visitable = [h for h in households if h.pk not in never_ids]
            active = [h for h in visitable if h.moved_out_on is None]
            if not active and [h for h in never if h.moved_out_on is None]:
                # Every worker with a household at home has at least one to visit.
                active = [next(h for h in never if h.moved_out_on is None)]
                visitable.append(active[0])
            target = office_targets[user.pk] or DEFAULT_HOUSEHOLDS_PER_QUARTER
            if len(active) < target / 0.8:
                target = max(1, round(SHARE_DEMO_TARGET * len(active))) if active else 0
                rules.append(
                    QuotaRule(
                        user=user,
                        households_per_quarter=target,
                        note=f"演示数据：责任区域仅{len(active)}户在册，指标按比例调整",
                    )
                )
            key = [h for h in active if h.is_key] or [h for h in active if h.lives_alone]
            caring = rng.sample(key, min(len(key), rng.choice((1, 2))))
            colleagues = [u.pk for u in users if u.pk != user.pk]
            worker = _Worker(
                user, names.get(user.pk, ""), visitable, target, caring, leaders.get(user.community_id), colleagues
            )
            quarter, index = Quarter.containing(start), 0
            while quarter <= current:
                if quarter == current:
                    count = _current_count(rng, worker, statuses[user.pk], quarter, demo.today)
                elif rng.random() < SHARE_QUARTERS_MET:
                    count = round(worker.target * rng.uniform(1.0, 1.3))
                else:
                    count = math.floor(worker.target * rng.uniform(0.6, 1.0))
                _visit_quarter(rng, diary, worker, quarter, index, count)
                quarter, index = quarter.next(), index + 1
    QuotaRule.objects.bulk_create(rules, batch_size=BATCH_SIZE)
    return len(rules)


def _current_statuses(rng: random.Random, workers: list[User], names: dict[int, str]) -> dict[int, QuotaStatus]:
    """The status each worker should show in the current quarter: `worker` on track, `worker2` behind, and
    each status given to at least one other worker."""
    values = [status for status, _weight in CURRENT_STATUSES]
    weights = [weight for _status, weight in CURRENT_STATUSES]
    statuses = {w.pk: rng.choices(values, weights=weights)[0] for w in workers}
    others = [w.pk for w in workers if names.get(w.pk) not in ("worker", "worker2")]
    for status in values:
        if others and status not in {statuses[pk] for pk in others}:
            statuses[rng.choice(others)] = status
    for w in workers:
        if names.get(w.pk) == "worker":
            statuses[w.pk] = QuotaStatus.ON_TRACK
        elif names.get(w.pk) == "worker2":
            statuses[w.pk] = QuotaStatus.BEHIND
    return statuses


# When a worker's status cannot be shown today (none is behind on a quarter's first day; at risk only in its
# second half), the nearest one that can.
FALLBACKS = {
    QuotaStatus.MET: (QuotaStatus.MET, QuotaStatus.ON_TRACK),
    QuotaStatus.ON_TRACK: (QuotaStatus.ON_TRACK, QuotaStatus.MET, QuotaStatus.BEHIND),
    QuotaStatus.BEHIND: (QuotaStatus.BEHIND, QuotaStatus.AT_RISK, QuotaStatus.ON_TRACK),
    QuotaStatus.AT_RISK: (QuotaStatus.AT_RISK, QuotaStatus.BEHIND, QuotaStatus.ON_TRACK),
}


def _current_count(
    rng: random.Random, worker: _Worker, wanted: QuotaStatus, quarter: Quarter, today: datetime.date
) -> int:
    """How many distinct households she has visited so far this quarter, for the dashboard to show `wanted`."""
    available = sum(1 for h in worker.households if h.last_day(today) >= quarter.start)
    days_left = (quarter.end - today).days + 1
    # Nobody visits a quarter's households in its first days: a few a day at most.
    most = MOST_A_DAY * ((today - quarter.start).days + 1)
    by_status: dict[QuotaStatus, list[int]] = defaultdict(list)
    for count in range(min(worker.target, available, most) + 1):
        row = QuotaRow(
            worker=worker.user, visited=count, target=worker.target, days_left=days_left, days_total=quarter.days
        )
        by_status[row.status].append(count)
    for status in FALLBACKS[wanted]:
        counts = by_status.get(status)
        if not counts:
            continue
        if status == QuotaStatus.ON_TRACK:
            # About as far as the days gone, a little ahead at most.
            return rng.choice(counts[: max(1, len(counts) // 4)])
        if status == QuotaStatus.BEHIND and wanted == QuotaStatus.BEHIND and worker.name == "worker2":
            return rng.choice(counts[: max(1, len(counts) // 3)])
        return rng.choice(counts)
    return 0


def _visit_quarter(
    rng: random.Random, diary: _Diary, worker: _Worker, quarter: Quarter, index: int, count: int
) -> None:
    """`count` distinct households of hers visited in the quarter: her caring households, key households for up
    to KEY_SHARE of the visits, then the longest unvisited; some twice, some followed up, one caring visit a month."""
    lo, hi = quarter.start, min(quarter.end, diary.today)
    available = [h for h in worker.households if h.last_day(hi) >= lo]
    caring = [h for h in worker.caring if h in available]
    key = sorted((h for h in available if h.is_key and h not in caring), key=lambda h: (h.last_quarter, h.rank))
    others = sorted((h for h in available if not h.is_key and h not in caring), key=lambda h: (h.last_quarter, h.rank))
    key_count = max(0, math.ceil(KEY_SHARE * count) - len(caring))
    chosen = (caring + key[:key_count] + others + key[key_count:])[:count]
    caring = [h for h in caring if h in chosen]
    visited: set[int] = set()

    # One caring visit a month, taking turns among her caring households.
    month = lo
    while caring and month <= hi:
        end = min(_month_end(month), hi)
        turn = month.month % len(caring)
        for household in caring[turn:] + caring[:turn]:
            day = diary.day(rng, month, household.last_day(end))
            if day:
                _household_visit(rng, diary, worker, household, day, kind=Visit.Kind.CARING)
                visited.add(household.pk)
                break
        month = end + datetime.timedelta(days=1)

    for household in chosen:
        last = household.last_day(hi)
        repeat = SHARE_REPEAT_KEY if household.is_key else SHARE_REPEAT_OTHER
        visits = 1 if household.pk not in visited else 0
        visits += rng.random() < repeat
        for _visit in range(visits):
            day = diary.day(rng, lo, last)
            visit = _household_visit(rng, diary, worker, household, day, kind=Visit.Kind.DOOR_TO_DOOR)
            if visit.follow_up_needed and rng.random() < SHARE_FOLLOWED_UP:
                follow_day = diary.day(rng, day + datetime.timedelta(days=1), min(visit.follow_up_by, last))
                if follow_day:
                    _follow_up_visit(rng, diary, worker, household, follow_day, visit)
        household.last_quarter = index


def _household_visit(
    rng: random.Random, diary: _Diary, worker: _Worker, household: _Household, day: datetime.date, *, kind: str
) -> VisitMade:
    """One visit with its diary: what a visit to this kind of household finds."""
    elderly = household.is_elderly or household.lives_alone
    names = household.categories
    # Whom one meets and what one sees depend on who lives there: one person, a couple, a family, the elderly.
    if household.lives_alone:
        met, situations = MET_ALONE, [*SITUATIONS_ELDERLY, *SITUATIONS_ALONE]
    elif elderly:
        met, situations = MET_ELDERLY, list(SITUATIONS_ELDERLY)
    elif household.size == 1:
        met, situations = MET_SINGLE, list(SITUATIONS_SINGLE)
    elif household.size == 2:
        met, situations = MET_COUPLE, list(SITUATIONS_COUPLE)
    else:
        met, situations = MET_FAMILY, list(SITUATIONS_FAMILY)
    met = rng.choice(met)
    for name in names:
        situations += SITUATIONS_BY_CATEGORY.get(name, ())
    situation = rng.choice(situations).format(n=household.size, age=household.oldest_age)

    hardship = bool(names & {"低保户", "低保边缘户", "困难残疾人家庭"})
    if "困难残疾人家庭" in names:
        living = rng.choice(LIVING_DISABLED)
    elif hardship:
        living = rng.choice(LIVING_HARDSHIP)
    else:
        living = rng.choice(LIVING_ELDERLY if elderly else LIVING_SMALL if household.size < 3 else LIVING_FAMILY)
    mind = rng.choice(MINDS_ELDERLY if elderly else MINDS)
    if rng.random() < 0.15:
        living, mind = "", ""

    companions: list[int] = []
    roll = rng.random()
    if worker.leader_id and roll < (0.25 if household.is_key else 0.06):
        companions.append(worker.leader_id)
    elif worker.colleagues and roll > 0.96:
        companions.append(rng.choice(worker.colleagues))

    if kind == Visit.Kind.CARING:
        festival = CARING_FESTIVALS.get(day.month)
        caring = CARING_SITUATIONS_ELDERLY if elderly else CARING_SITUATIONS_FAMILY
        return diary.add(
            visitor_id=worker.user.pk,
            visited_on=day,
            kind=kind,
            household_id=household.pk,
            community_id=household.community_id,
            met_whom=met,
            situation=festival if festival and rng.random() < 0.6 else rng.choice(caring),
            living_conditions=living,
            state_of_mind=mind,
            action_taken=rng.choice(CARING_ACTIONS_ELDERLY if elderly else CARING_ACTIONS_FAMILY),
            companions=companions,
        )

    difficulty, action, follow_up = "", rng.choice(ACTIONS_ROUTINE), False
    if rng.random() < (0.55 if household.is_key else 0.35):
        pool = list(DIFFICULTIES_COMMON)
        if elderly:
            pool += DIFFICULTIES_ELDERLY * 2
        if hardship:
            pool += DIFFICULTIES_HARDSHIP * 2
        if "困难残疾人家庭" in names:
            pool += DIFFICULTIES_DISABLED * 2
        if "重点优抚对象" in names:
            pool += DIFFICULTIES_SPECIAL_CARE * 2
        difficulty, action, follow_up = rng.choice(pool)
    return diary.add(
        visitor_id=worker.user.pk,
        visited_on=day,
        kind=kind,
        household_id=household.pk,
        community_id=household.community_id,
        met_whom=met,
        situation=situation,
        living_conditions=living,
        state_of_mind=mind,
        difficulty=difficulty,
        action_taken=action,
        follow_up_needed=follow_up,
        follow_up_by=day + datetime.timedelta(days=rng.randint(5, 30)) if follow_up else None,
        companions=companions,
    )


def _follow_up_visit(
    rng: random.Random, diary: _Diary, worker: _Worker, household: _Household, day: datetime.date, first: VisitMade
) -> None:
    diary.add(
        visitor_id=worker.user.pk,
        visited_on=day,
        kind=Visit.Kind.DOOR_TO_DOOR,
        household_id=household.pk,
        community_id=household.community_id,
        met_whom=first.met_whom,
        situation=f"回访{first.visited_on.month}月{first.visited_on.day}日反映的问题：{first.difficulty}",
        action_taken=rng.choice(FOLLOW_UP_RESULTS),
    )


# --- Street staff, enterprises and leaders ----------------------------------------------------------------------


@dataclass
class _Places:
    estates: list[Estate]
    committees: list[OwnersCommittee]
    companies: list[PropertyCompany]
    enterprises: list[Enterprise]
    villages: list[PairedVillage]
    communities: list[Community]

    @classmethod
    def of(cls, demo: Demo) -> _Places:
        street = demo.street
        return cls(
            estates=list(demo.estates),
            committees=list(OwnersCommittee.objects.filter(estate__community__street=street).order_by("pk")),
            companies=list(PropertyCompany.objects.filter(street=street).order_by("pk")),
            enterprises=list(Enterprise.objects.filter(street=street).order_by("pk")),
            villages=list(PairedVillage.objects.filter(street=street).order_by("pk")),
            communities=list(demo.communities),
        )


def _place_visit(
    rng: random.Random,
    diary: _Diary,
    visitor: User,
    day: datetime.date,
    kind: str,
    target: Any,
    *,
    problem: bool,
    companions: Sequence[int] = (),
) -> VisitMade:
    """A visit of street staff or a leader to a place, with its street and community as visits.services sets them."""
    situations, met, problems = PLACE_VISITS[kind]
    if kind == Visit.Kind.LEADERSHIP and target.kind == Community.Kind.COOPERATIVE:
        situations, met, problems = COOPERATIVE_VISITS
    difficulty, action = rng.choice(problems) if problem else ("", "")
    if isinstance(target, Estate):
        community_id = target.community_id
    elif isinstance(target, OwnersCommittee):
        community_id = target.estate.community_id
    elif isinstance(target, Community):
        community_id = target.pk
    elif isinstance(target, Enterprise) and target.community_id:
        community_id = target.community_id
    else:
        community_id = visitor.community_id
    follow_up = bool(difficulty) and rng.random() < 0.5
    return diary.add(
        visitor_id=visitor.pk,
        visited_on=day,
        kind=kind,
        community_id=community_id,
        **{Visit.TARGET_FIELD[kind] + "_id": target.pk},
        met_whom=rng.choice(met),
        situation=rng.choice(situations),
        difficulty=difficulty,
        action_taken=action or "听取意见，宣传街道近期重点工作",
        follow_up_needed=follow_up,
        follow_up_by=day + datetime.timedelta(days=rng.randint(14, 60)) if follow_up else None,
        companions=companions,
    )


@dataclass
class _EstateRound:
    """ "Walk every estate": a member of staff goes round the street's estates in an order of his own, meeting the
    estate, its owners' committee or its property company."""

    order: list[Estate]
    committee_of: dict[int, OwnersCommittee]
    company_of: dict[int, PropertyCompany]
    turn: int = 0

    def next(self, rng: random.Random, estate_share: float) -> tuple[str, Any]:
        estate = self.order[self.turn % len(self.order)]
        self.turn += 1
        roll = rng.random()
        committee = self.committee_of.get(estate.pk)
        company = self.company_of.get(estate.property_company_id)
        if roll < estate_share or not (committee or company):
            return Visit.Kind.ESTATE, estate
        if committee and (roll < (1 + estate_share) / 2 or not company):
            return Visit.Kind.OWNERS_COMMITTEE, committee
        return Visit.Kind.PROPERTY_COMPANY, company


def _add_staff_visits(
    demo: Demo,
    rng: random.Random,
    diary: _Diary,
    places: _Places,
    start: datetime.date,
    service_days: dict[datetime.date, datetime.date],
) -> None:
    """Department staff and chiefs: the visit-service day kept most months, and estates visited on other days."""
    committee_of = {c.estate_id: c for c in places.committees}
    company_of = {c.pk: c for c in places.companies}
    people = _users(demo, Role.DEPARTMENT_STAFF, Role.SECTION_CHIEF)
    by_department: dict[int, list[int]] = defaultdict(list)
    for person in people:
        by_department[person.department_id].append(person.pk)
    if not places.estates:
        return
    for person in people:
        kept_share = rng.uniform(*SERVICE_DAY_KEPT)
        order = list(places.estates)
        rng.shuffle(order)
        estates = _EstateRound(order, committee_of, company_of)
        colleagues = [pk for pk in by_department[person.department_id] if pk != person.pk]
        for month, day in service_days.items():
            if start <= day <= demo.today and rng.random() < kept_share:
                for _visit in range(1 + (rng.random() < 0.25)):
                    kind, target = estates.next(rng, 0.6)
                    along = [rng.choice(colleagues)] if colleagues and rng.random() < 0.2 else []
                    _place_visit(rng, diary, person, day, kind, target, problem=rng.random() < 0.3, companions=along)
            # And on other days of the month, now and then (not on a service day he missed: that stays missed).
            for _visit in range(rng.choice((0, 0, 1, 1, 2))):
                other = diary.day(rng, max(month, start), _month_end(month))
                if other and other != day:
                    kind, target = estates.next(rng, 0.7)
                    _place_visit(rng, diary, person, other, kind, target, problem=rng.random() < 0.25)


def _add_enterprise_visits(
    demo: Demo, rng: random.Random, diary: _Diary, places: _Places, start: datetime.date
) -> None:
    """Enterprises visited each year by the economic development section, other staff and leaders: the article's
    44 enterprises and 27 problems a year."""
    staff = _users(demo, Role.DEPARTMENT_STAFF, Role.SECTION_CHIEF)
    economy_section = demo.departments.get("经济发展科")
    economy = [u for u in staff if economy_section and u.department_id == economy_section.pk]
    leaders = _users(demo, Role.STREET_LEADER, Role.LEADER_IN_CHARGE, Role.CADRE)
    active = [e for e in places.enterprises if e.is_active]
    closed = [e for e in places.enterprises if not e.is_active]
    for lo, hi, share in _year_spans(start, demo.today):
        # The closed ones were still open in the earlier years.
        pool = active + (closed if hi.year < demo.today.year else [])
        visited = rng.sample(pool, min(len(pool), round(ENTERPRISES_A_YEAR * share)))
        targets = visited + rng.sample(visited, round(len(visited) * 0.5))
        problems = set(rng.sample(range(len(targets)), min(len(targets), round(ENTERPRISE_PROBLEMS_A_YEAR * share))))
        for number, enterprise in enumerate(targets):
            roll = rng.random()
            visitor = rng.choice(economy if roll < 0.5 and economy else leaders if roll < 0.8 else staff)
            day = diary.day(rng, lo, hi)
            _place_visit(rng, diary, visitor, day, Visit.Kind.ENTERPRISE, enterprise, problem=number in problems)


def _add_leader_visits(demo: Demo, rng: random.Random, diary: _Diary, places: _Places, start: datetime.date) -> None:
    """Leaders' visits to every community and cooperative and to the paired villages (83 person-visits a year),
    and each district-managed cadre's "three musts" in the communities he is linked to."""
    leaders = _users(demo, Role.STREET_LEADER, Role.LEADER_IN_CHARGE, Role.CADRE)
    if not leaders:
        return
    for lo, hi, share in _year_spans(start, demo.today):
        wanted = round(LEADER_PERSON_VISITS_A_YEAR * share)
        # Every community, cooperative and paired village once in a full year, then the rest at random.
        targets: list[Community | PairedVillage] = []
        if share > 0.5:
            targets = [*places.communities, *places.villages]
        person_visits = 0
        planned = []
        for target in targets:
            along = rng.choice((0, 0, 0, 1, 1, 2))
            planned.append((target, along))
            person_visits += 1 + along
        while person_visits < wanted:
            target = rng.choice(places.communities) if rng.random() < 0.8 else rng.choice(places.villages)
            along = rng.choice((0, 0, 0, 1, 1, 2))
            planned.append((target, along))
            person_visits += 1 + along
        for target, along in planned:
            visitor = rng.choice(leaders)
            companions = [u.pk for u in rng.sample([u for u in leaders if u.pk != visitor.pk], along)]
            kind = Visit.Kind.LEADERSHIP if isinstance(target, Community) else Visit.Kind.PAIRED_VILLAGE
            day = diary.day(rng, lo, hi)
            _place_visit(rng, diary, visitor, day, kind, target, problem=rng.random() < 0.3, companions=companions)

    # "Three musts": each cadre's linked communities' first estate, its owners' committee, its property company,
    # every quarter (the assessment's default period); now and then one is missed, for the compliance table.
    cadres = _users(demo, Role.CADRE)
    committee_of = {c.estate_id: c for c in places.committees}
    company_of = {c.pk: c for c in places.companies}
    first_estate: dict[int, Estate] = {}
    for estate in places.estates:
        first_estate.setdefault(estate.community_id, estate)
    for number, cadre in enumerate(cadres):
        linked = [first_estate[c.pk] for c in places.communities[number :: len(cadres)] if c.pk in first_estate]
        quarter = Quarter.containing(start)
        while quarter.start <= demo.today:
            for estate in linked:
                musts = [(Visit.Kind.ESTATE, estate)]
                if estate.pk in committee_of:
                    musts.append((Visit.Kind.OWNERS_COMMITTEE, committee_of[estate.pk]))
                if estate.property_company_id:
                    musts.append((Visit.Kind.PROPERTY_COMPANY, company_of[estate.property_company_id]))
                for kind, target in musts:
                    day = diary.day(rng, quarter.start, quarter.end)
                    if day is not None and rng.random() < THREE_MUSTS_KEPT:
                        _place_visit(rng, diary, cadre, day, kind, target, problem=rng.random() < 0.3)
            quarter = quarter.next()
