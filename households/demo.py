"""The demo street: a fictional street shaped like Wenxin (文新街道), written by `manage.py seed_demo`.

The generator is a list of steps (STEPS). Each step receives the Demo built so far and its own random
generator, writes its rows with bulk_create (never one query per row: the command must load 100,000
households in under a minute), and records what it made in `demo.counts`, which the command prints.
Later features (visits, plans, opinions, spot-checks) add a step at the end of STEPS:

    def add_visits(demo: Demo, rng: random.Random) -> None:
        # Door-to-door visits of every social worker this quarter:
        ...  # read demo.users / demo.grid_areas, query the households, bulk_create the visits
        demo.counts["走访"] = len(visits)

Every step's generator is seeded by the run's seed and the step's name, so adding a step never changes the
data of the steps before it. Identities (names, ID numbers, addresses) do not depend on the day either;
only dates meant to look recent (moves, committee terms) are counted from `demo.today`.

The names of places and people are invented; the shape (12 communities, 2 cooperatives, 60+ estates,
44+ enterprises, 5 paired villages) is the one the article describes.
"""

from __future__ import annotations

import datetime
import itertools
import random
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from assessment.demo import add_assessment
from feedback.demo import add_feedback
from households.demo_assistance import add_assistance
from households.models import (
    Community,
    Enterprise,
    Estate,
    GridArea,
    Household,
    HouseholdCategory,
    OwnersCommittee,
    PairedVillage,
    PropertyCompany,
    Resident,
    Street,
)
from visits.demo import add_visits
from wenxin.models import Department, User
from wenxin.roles import Role
from wenxin.services import user_sync_role
from wenxin.validators import id_check_char

STREET_NAME = "文新街道"
DISTRICT = "西湖区"
CITY = "杭州市"
DEFAULT_SEED = 2433
DEFAULT_HOUSEHOLDS = 2000
# Birth dates are counted back from a fixed day, not from today, so the same seed gives the same ID numbers
# every day; the date lies in the past so no resident is born in the future.
BIRTH_REFERENCE = datetime.date(2025, 1, 1)
# Rows written per INSERT; SQLite lowers it further to its own parameter limit.
BATCH_SIZE = 2000
# Households generated and written per round, so 100,000 households never sit in memory at once.
CHUNK_SIZE = 5000


class DemoError(Exception):
    """The demo street cannot be built as asked; the message says why, in Chinese."""


# --- The places -------------------------------------------------------------------------------------------
# The tables below are laid out by hand, one row a line, so the formatter leaves them alone.
# fmt: off

# Estate styles: (buildings, units per building, floors, homes per floor). Wenxin is a modern residential
# district, so most estates are towers; the old 新村 are six-storey walk-ups.
ESTATE_STYLES: dict[str, tuple[tuple[int, int], tuple[int, ...], tuple[int, ...], tuple[int, ...]]] = {
    "老新村": ((15, 30), (3,), (5, 6, 7), (2,)),
    "多层": ((12, 26), (2, 3), (6,), (2,)),
    "小高层": ((12, 26), (2, 3), (11, 12, 15, 18), (2, 3, 4)),
    "高层": ((10, 24), (1, 2, 3, 3), (18, 24, 26, 28, 32, 33), (4, 6)),
    "安置房": ((16, 30), (2, 3), (11, 15, 18), (2, 3, 4)),
}

_COMMUNITY = Community.Kind.COMMUNITY
_COOPERATIVE = Community.Kind.COOPERATIVE
# (name, kind, road, number of grid areas, [(estate, style)]): 12 communities, 2 cooperatives, 60 estates,
# 100 grid areas.
COMMUNITIES: list[tuple[str, str, str, int, list[tuple[str, str]]]] = [
    ("德加社区", _COMMUNITY, "文一西路", 8,
     [("香港城", "高层"), ("德加公寓", "小高层"), ("德加新村", "老新村"), ("文新花园", "多层"), ("桂语苑", "高层")]),
    ("益乐社区", _COMMUNITY, "益乐路", 7,
     [("益乐新村", "老新村"), ("益乐花园", "多层"), ("金色家园", "高层"), ("和家园", "小高层")]),
    ("文新社区", _COMMUNITY, "文二西路", 8,
     [("文新北苑", "老新村"), ("文新南苑", "老新村"), ("竞舟公寓", "小高层"),
      ("晴川家园", "高层"), ("枫华府第", "高层")]),
    ("桂花社区", _COMMUNITY, "古墩路", 7,
     [("桂花城", "高层"), ("桂花西苑", "多层"), ("金桂苑", "高层"), ("丹桂公寓", "小高层")]),
    ("紫荆社区", _COMMUNITY, "紫荆花路", 7,
     [("紫荆花园", "多层"), ("紫荆公寓", "小高层"), ("嘉绿苑", "老新村"), ("紫金庭园", "高层"), ("荆苑", "老新村")]),
    ("竞舟社区", _COMMUNITY, "竞舟路", 7,
     [("竞舟北苑", "老新村"), ("竞舟南苑", "老新村"), ("海月花园", "高层"),
      ("云锦公寓", "小高层"), ("翠柏苑", "多层")]),
    ("府苑社区", _COMMUNITY, "丰潭路", 7,
     [("府苑新村", "老新村"), ("庆丰公寓", "多层"), ("明月嘉苑", "高层"), ("嘉和花园", "小高层")]),
    ("梧桐社区", _COMMUNITY, "花蒋路", 7,
     [("梧桐公寓", "小高层"), ("梧桐苑", "多层"), ("锦绣家园", "高层"), ("绿园", "老新村")]),
    ("星洲社区", _COMMUNITY, "莲花街", 7,
     [("星洲花园", "高层"), ("星洲东苑", "小高层"), ("星洲西苑", "小高层"),
      ("望月公寓", "多层"), ("晨光苑", "老新村")]),
    ("学院社区", _COMMUNITY, "学院路", 7,
     [("学院新村", "老新村"), ("学苑公寓", "多层"), ("文华苑", "小高层"), ("求是家园", "高层")]),
    ("和睦社区", _COMMUNITY, "文三西路", 7,
     [("和睦新村", "老新村"), ("和睦公寓", "多层"), ("嘉禾花园", "小高层"), ("锦江公寓", "高层"), ("和园", "老新村")]),
    ("丰潭社区", _COMMUNITY, "丰潭路", 7,
     [("丰潭新村", "老新村"), ("丰潭花园", "多层"), ("阳光公寓", "高层"), ("春晓苑", "小高层")]),
    ("五联股份经济合作社", _COOPERATIVE, "五联路", 7,
     [("五联东苑", "安置房"), ("五联西苑", "安置房"), ("五联农居", "多层")]),
    ("三坝股份经济合作社", _COOPERATIVE, "三坝路", 7,
     [("三坝家园", "安置房"), ("三坝北苑", "安置房"), ("三坝农居点", "多层")]),
]

# (name, is the Social Affairs Section)
DEPARTMENTS = [
    ("党政办", False), ("党建办", False), ("社会事务科", True), ("城管科", False), ("经济发展科", False),
    ("平安办", False), ("社区建设科", False),
]

# Twenty property companies, "杭州<name>物业服务有限公司".
PROPERTY_COMPANY_NAMES = (
    "文苑", "金桂", "绿洲", "嘉园", "和家", "安居", "恒泰", "宜居", "锦程", "华庭",
    "佳苑", "康城", "德馨", "怡和", "景苑", "润泽", "益家", "明珠", "瑞和", "五联",
)

ENTERPRISE_COUNT = 48
# Trade names are one character of each string: 文澜, 新源 ...
ENTERPRISE_TRADE_FIRST = "文新益嘉德恒启云汇锦博睿和立泽宏盛晟星禾"
ENTERPRISE_TRADE_SECOND = "澜源鼎诚远航翔桥信川辰拓联达越峰"
# (industry, the end of a company name in that industry)
INDUSTRIES = [
    ("信息技术", "信息技术有限公司"), ("软件和信息服务", "软件有限公司"), ("电子商务", "电子商务有限公司"),
    ("餐饮", "餐饮管理有限公司"), ("批发零售", "商贸有限公司"), ("教育培训", "教育科技有限公司"),
    ("医疗健康", "医疗科技有限公司"), ("建筑装饰", "装饰工程有限公司"), ("文化创意", "文化创意有限公司"),
    ("物流", "供应链管理有限公司"), ("商务服务", "企业管理咨询有限公司"), ("住宿", "酒店管理有限公司"),
    ("生物医药", "生物科技有限公司"), ("广告传媒", "文化传媒有限公司"),
]

# (village, where it is): rural villages outside the street that it supports.
PAIRED_VILLAGES = [
    ("下坞村", "杭州市淳安县枫树岭镇"), ("桐坑村", "杭州市淳安县汾口镇"), ("石门坞村", "杭州市淳安县威坪镇"),
    ("里洪村", "杭州市建德市乾潭镇"), ("溪口村", "杭州市建德市大同镇"),
]

# --- The people -------------------------------------------------------------------------------------------

# Surnames weighted roughly as they occur in Hangzhou.
SURNAMES = (
    ("王", 70), ("陈", 68), ("张", 55), ("李", 52), ("徐", 35), ("吴", 35), ("周", 32), ("沈", 28), ("金", 25),
    ("杨", 25), ("朱", 24), ("胡", 22), ("刘", 22), ("黄", 20), ("俞", 15), ("钱", 14), ("方", 14), ("叶", 14),
    ("孙", 14), ("赵", 14), ("郑", 13), ("何", 12), ("蒋", 12), ("林", 12), ("汪", 11), ("潘", 10), ("姚", 10),
    ("许", 8), ("高", 8), ("楼", 8), ("应", 7), ("邵", 7), ("毛", 7), ("马", 7), ("章", 7), ("陆", 6), ("丁", 6),
    ("施", 6), ("冯", 6), ("董", 6), ("宋", 6), ("郭", 6), ("范", 5), ("罗", 5), ("谢", 5), ("唐", 5), ("顾", 5),
    ("程", 5), ("蔡", 5), ("余", 5), ("袁", 4), ("邱", 4), ("夏", 4), ("姜", 4), ("卢", 4), ("傅", 4), ("魏", 3),
    ("严", 3), ("江", 3), ("韩", 3), ("曹", 3), ("梁", 3), ("项", 3), ("戴", 3), ("吕", 3), ("邹", 2), ("裘", 2),
    ("单", 2), ("石", 2), ("诸葛", 1), ("欧阳", 1),
)

# Given names by the years people were born in, since names follow the fashion of their time.
GIVEN_NAMES: dict[tuple[str, str], tuple[str, ...]] = {
    ("old", "M"): (
        "建国", "国强", "国平", "国华", "建华", "建明", "建平", "志刚", "志明", "福根", "金根", "水根", "阿根",
        "荣华", "德明", "宝林", "海林", "兴华", "庆生", "春生", "永康", "永福", "有才", "炳荣", "文华", "立新",
        "卫东", "国庆", "长林", "根宝", "金宝", "祥林", "德兴", "顺发", "关林", "振华", "世荣", "云龙", "松林",
        "强", "平", "华", "明", "军", "林", "忠", "荣", "福", "海",
    ),
    ("old", "F"): (
        "秀英", "桂英", "玉英", "秀珍", "凤英", "玉兰", "桂花", "秀兰", "彩凤", "月娥", "菊芳", "素珍", "美娟",
        "爱华", "金娣", "杏娣", "秀娣", "月英", "翠英", "雪珍", "凤仙", "美华", "丽华", "玉珍", "阿英", "彩娟",
        "小妹", "根娣", "佩芬", "惠芬", "英", "珍", "兰", "芳", "娟", "萍", "琴", "凤",
    ),
    ("mid", "M"): (
        "建军", "海峰", "志强", "晓东", "伟民", "卫国", "国栋", "俊杰", "文斌", "建峰", "立军", "红兵", "小军",
        "海涛", "永刚", "剑锋", "晓峰", "晓明", "国伟", "建新", "志华", "一鸣", "振宇", "伟东",
        "伟", "强", "磊", "军", "勇", "斌", "杰", "涛", "波", "鹏", "峰", "刚", "超", "健",
    ),
    ("mid", "F"): (
        "丽萍", "晓燕", "海燕", "丽娟", "雪芳", "红霞", "晓红", "丽华", "雅琴", "素芬", "美玲", "慧敏", "晓静",
        "春燕", "佳敏", "燕萍", "秀琴", "一萍", "亚芬", "晓丽", "建英",
        "丽", "静", "敏", "燕", "艳", "娟", "霞", "芳", "萍", "红", "洁", "琳",
    ),
    ("young", "M"): (
        "子轩", "浩然", "宇航", "俊豪", "宇轩", "一帆", "博文", "浩宇", "子墨", "天佑", "思远", "嘉豪", "皓轩",
        "睿哲", "子豪", "明轩", "奕辰", "梓睿", "承泽", "逸飞", "家乐", "铭泽", "景行",
        "浩", "宇", "杰", "轩", "晨", "博", "凯", "涛",
    ),
    ("young", "F"): (
        "欣怡", "梓涵", "诗涵", "雨欣", "佳怡", "思琪", "可馨", "子涵", "雨桐", "一诺", "紫萱", "欣妍", "梦琪",
        "语嫣", "佳琪", "晓雯", "婉清", "诗雨", "若汐", "静怡",
        "婷", "欣", "怡", "琪", "悦", "雪", "洁",
    ),
}

# Region codes (the first six digits of an ID number) and how often they occur: mostly Xihu, then the rest
# of Hangzhou and Zhejiang, then other provinces.
REGION_CODES = (
    ("330106", 40), ("330102", 5), ("330103", 6), ("330104", 5), ("330105", 5), ("330108", 2), ("330109", 3),
    ("330110", 4), ("330122", 2), ("330127", 3), ("330182", 2), ("330183", 2), ("330185", 2), ("330203", 1),
    ("330302", 2), ("330402", 1), ("330502", 1), ("330602", 2), ("330702", 2), ("330802", 1), ("331002", 1),
    ("340104", 1), ("360102", 1), ("320102", 1), ("310104", 1), ("410105", 1), ("420106", 1), ("430102", 1),
    ("510107", 1), ("362502", 1),
)

MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156",
    "157", "158", "159", "177", "180", "181", "182", "185", "186", "187", "188", "189", "199",
)

# Household compositions and their shares (mean size about 2.7); see _compose.
HOUSEHOLD_TYPES = (
    ("elder_alone", 6), ("single", 8), ("elder_couple", 12), ("couple", 10), ("couple_child", 27),
    ("couple_two_children", 9), ("three_generations", 10), ("elder_three_generations", 5),
    ("single_parent", 4), ("elder_with_child", 5),
)

DISABILITIES = (
    (Resident.Disability.PHYSICAL, 40), (Resident.Disability.VISUAL, 13), (Resident.Disability.HEARING, 16),
    (Resident.Disability.SPEECH, 2), (Resident.Disability.INTELLECTUAL, 8), (Resident.Disability.MENTAL, 11),
    (Resident.Disability.MULTIPLE, 10),
)

# fmt: on

# Category shares. 独居老人 follows from the composition (an elderly person living alone).
SHARE_RETIRED_AMONG_ELDERLY = 0.38  # about 15% of all households have an enterprise retiree
SHARE_SUBSISTENCE = 0.03
SHARE_NEAR_SUBSISTENCE = 0.015
SHARE_SPECIAL_CARE_AMONG_MIDDLE_AGED = 0.016  # about 1% of all households
SHARE_DISABLED_HARDSHIP = 0.02
SHARE_BEREAVED_AMONG_ELDERLY_ONLY = 0.02
SHARE_OTHER_DISABILITY = 0.012  # a disabled resident in a household that is not in hardship
SHARE_MOVED_OUT = 0.02

CATEGORY_SUBSISTENCE = "低保户"
CATEGORY_NEAR_SUBSISTENCE = "低保边缘户"
CATEGORY_SPECIAL_CARE = "重点优抚对象"
CATEGORY_DISABLED = "困难残疾人家庭"
CATEGORY_ELDER_ALONE = "独居老人"
CATEGORY_RETIRED = "企退人员"
CATEGORY_BEREAVED = "失独家庭"
# The categories the demo uses, with is_key, in case an office deleted one of the seeded defaults.
DEMO_CATEGORIES = {
    CATEGORY_SUBSISTENCE: True,
    CATEGORY_NEAR_SUBSISTENCE: True,
    CATEGORY_SPECIAL_CARE: True,
    CATEGORY_DISABLED: True,
    CATEGORY_ELDER_ALONE: False,
    CATEGORY_RETIRED: False,
    CATEGORY_BEREAVED: True,
}

MOVED_OUT_REASONS = (
    "购房迁至余杭区",
    "随子女迁居上海",
    "房屋出售，迁往拱墅区",
    "投靠子女，迁往滨江区",
    "工作调动，迁往宁波",
    "户主去世，家属迁出",
    "租约到期搬离",
)

HOUSEHOLD_NOTES = {
    CATEGORY_SUBSISTENCE: ("按月领取低保金，户主身体不好", "家中无固定收入，子女在读", "户主因病失业，享受低保"),
    CATEGORY_ELDER_ALONE: ("子女在外地工作，每周电话联系", "行动不便，走访请提前电话联系", "耳背，敲门需用力"),
    CATEGORY_DISABLED: ("家中有残疾人，需定期上门了解康复情况", "残疾人托养需求，已登记"),
    CATEGORY_SPECIAL_CARE: ("退役军人，逢年过节上门慰问",),
}


# --- The builder ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressBlock:
    """One building of an estate and the size of its address space (units × floors × homes per floor)."""

    estate_index: int
    building: int
    units: int
    floors: int
    homes_per_floor: int

    @property
    def capacity(self) -> int:
        return self.units * self.floors * self.homes_per_floor

    def address(self, index: int) -> tuple[str, str]:
        """(unit, room) of the index-th home; a single-unit building has no unit in its address."""
        per_unit = self.floors * self.homes_per_floor
        unit, rest = divmod(index, per_unit)
        floor, home = divmod(rest, self.homes_per_floor)
        return ("" if self.units == 1 else str(unit + 1)), f"{floor + 1}{home + 1:02d}"


@dataclass
class ShowcaseUser:
    """A demo user listed in the command's summary, with where he or she works."""

    user: User
    place: str


@dataclass
class Demo:
    """What the generator has built so far; each step reads it and adds to it."""

    seed: int
    households: int
    today: datetime.date
    street: Street | None = None
    communities: list[Community] = field(default_factory=list)
    departments: dict[str, Department] = field(default_factory=dict)
    estates: list[Estate] = field(default_factory=list)
    grid_areas: list[GridArea] = field(default_factory=list)
    # The buildings each grid area covers, by grid area pk: where its households live.
    grid_blocks: dict[int, list[AddressBlock]] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    showcase: list[ShowcaseUser] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # Lines the command prints after the counts: how to try something out (e.g. a tracking code to look up).
    notes: list[str] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(default_factory=list)

    @property
    def capacity(self) -> int:
        return sum(block.capacity for blocks in self.grid_blocks.values() for block in blocks)


DemoStep = Callable[[Demo, random.Random], None]


def demo_street_exists() -> bool:
    """Whether the demo street is already there: the command then leaves the database alone."""
    return Street.objects.filter(name=STREET_NAME).exists()


def build_demo(
    *,
    households: int = DEFAULT_HOUSEHOLDS,
    seed: int = DEFAULT_SEED,
    today: datetime.date | None = None,
    steps: Sequence[DemoStep] | None = None,
    log: Callable[[str], None] | None = None,
) -> Demo:
    """Write the whole demo street in one transaction; raise DemoError, writing nothing, if it cannot."""
    if households < 0:
        raise DemoError("户数不能为负数。")
    if demo_street_exists():
        raise DemoError(f"演示街道“{STREET_NAME}”已存在。")
    demo = Demo(seed=seed, households=households, today=today or timezone.localdate())
    with transaction.atomic():
        for step in STEPS if steps is None else steps:
            started = time.perf_counter()
            step(demo, random.Random(f"{seed}:{step.__name__}"))
            elapsed = time.perf_counter() - started
            demo.timings.append((step.__name__, elapsed))
            if log:
                log(f"{step.__name__}: {elapsed:.1f} 秒")
    return demo


# --- Small generators -------------------------------------------------------------------------------------


class _Weighted:
    """rng.choices over (value, weight) pairs, with the cumulative weights computed once."""

    def __init__(self, pairs: Sequence[tuple[object, int]]) -> None:
        self.values = [value for value, _weight in pairs]
        self.cum_weights = list(itertools.accumulate(weight for _value, weight in pairs))

    def pick(self, rng: random.Random):
        return rng.choices(self.values, cum_weights=self.cum_weights)[0]


_SURNAMES = _Weighted(SURNAMES)
_REGIONS = _Weighted(REGION_CODES)
_HOUSEHOLD_TYPES = _Weighted(HOUSEHOLD_TYPES)
_DISABILITIES = _Weighted(DISABILITIES)


def _era(birth_year: int) -> str:
    if birth_year < 1960:
        return "old"
    return "mid" if birth_year < 1990 else "young"


def _given_name(rng: random.Random, gender: str, birth_year: int) -> str:
    return rng.choice(GIVEN_NAMES[(_era(birth_year), gender)])


def _full_name(rng: random.Random, gender: str, birth_year: int, surname: str | None = None) -> str:
    return (surname or _SURNAMES.pick(rng)) + _given_name(rng, gender, birth_year)


def _mobile(rng: random.Random) -> str:
    return f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"


def _landline(rng: random.Random) -> str:
    """A Hangzhou landline: area code 0571 and eight digits starting with 8."""
    return f"0571-8{rng.randrange(10**7):07d}"


def _unique_name(rng: random.Random, used: set[str], gender: str | None = None, birth_year: int = 1975) -> str:
    """A staff member's full name that no other demo user has, so the summary table is unambiguous."""
    while True:
        name = _full_name(rng, gender or rng.choice("MF"), birth_year)
        if name not in used:
            used.add(name)
            return name


def _credit_code(rng: random.Random) -> str:
    """A unified social credit code (GB 32100) of a company registered in Xihu district, check digits valid."""
    digits = [rng.randrange(10) for _ in range(8)]
    org_check = 11 - sum(d * w for d, w in zip(digits, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    organization = "".join(map(str, digits)) + {10: "X", 11: "0"}.get(org_check, str(org_check))
    first17 = f"91330106{organization}"
    charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(charset.index(c) * w for c, w in zip(first17, weights, strict=True))
    return first17 + charset[(31 - total % 31) % 31]


def _split_evenly(items: list, parts: int) -> list[list]:
    """items cut into `parts` consecutive runs whose lengths differ by at most one."""
    size, extra = divmod(len(items), parts)
    runs, start = [], 0
    for part in range(parts):
        end = start + size + (1 if part < extra else 0)
        runs.append(items[start:end])
        start = end
    return runs


# --- Step 1: the street, its communities, estates, grid areas and registry entries -------------------------


def add_places(demo: Demo, rng: random.Random) -> None:
    """The street and its departments, communities, estates, owners' committees, property companies, grid
    areas, enterprises and paired villages."""
    street = Street.objects.create(name=STREET_NAME, district=DISTRICT, city=CITY)
    demo.street = street
    departments = Department.objects.bulk_create(
        [Department(street=street, name=name, is_social_affairs=social) for name, social in DEPARTMENTS]
    )
    demo.departments = {department.name: department for department in departments}

    communities = Community.objects.bulk_create(
        [
            Community(
                street=street,
                name=name,
                kind=kind,
                address=f"{DISTRICT}{road}{rng.randint(10, 400)}号",
                phone=_landline(rng),
            )
            for name, kind, road, _grids, _estates in COMMUNITIES
        ]
    )
    demo.communities = communities

    companies = PropertyCompany.objects.bulk_create(
        [
            PropertyCompany(
                street=street,
                name=f"杭州{name}物业服务有限公司",
                contact_name=_full_name(rng, rng.choice("MF"), rng.randint(1965, 1990)),
                phone=_landline(rng),
            )
            for name in PROPERTY_COMPANY_NAMES
        ]
    )

    estates: list[Estate] = []
    shapes: list[tuple[int, int, tuple[int, ...], tuple[int, ...]]] = []
    for community, (_name, _kind, road, _grids, estate_specs) in zip(communities, COMMUNITIES, strict=True):
        for estate_name, style in estate_specs:
            buildings, units, floors, homes = ESTATE_STYLES[style]
            estates.append(
                Estate(community=community, name=estate_name, address=f"{DISTRICT}{road}{rng.randint(1, 600)}号")
            )
            shapes.append((rng.randint(*buildings), rng.choice(units), floors, homes))
    # Each company serves two estates, and the larger ones a few more.
    order = list(range(len(estates)))
    rng.shuffle(order)
    serving = [companies[i % len(companies)] for i in range(2 * len(companies))]
    serving += rng.choices(companies, k=max(0, len(estates) - len(serving)))
    for estate_index, company in zip(order, serving, strict=False):
        estates[estate_index].property_company = company
    estates = Estate.objects.bulk_create(estates)
    demo.estates = estates

    OwnersCommittee.objects.bulk_create(
        [
            OwnersCommittee(
                estate=estate,
                name=f"{estate.name}业主委员会",
                chair_name=_full_name(rng, rng.choice("MMF"), rng.randint(1950, 1980)),
                phone=_mobile(rng),
                term_ends_on=demo.today + datetime.timedelta(days=rng.randint(30, 5 * 365)),
            )
            for estate in estates
        ]
    )

    # The buildings of every estate; a community's buildings are cut, in order, into its grid areas, so a
    # grid area is a run of buildings: part of a large estate, or the end of one and the start of the next.
    blocks_by_community: dict[int, list[AddressBlock]] = {community.pk: [] for community in communities}
    for estate_index, (estate, (buildings, units, floors, homes)) in enumerate(zip(estates, shapes, strict=True)):
        for building in range(1, buildings + 1):
            # Buildings of one estate were not all built alike: floors and homes per floor vary a little.
            blocks_by_community[estate.community_id].append(
                AddressBlock(estate_index, building, units, rng.choice(floors), rng.choice(homes))
            )
    grid_areas: list[GridArea] = []
    grid_runs: list[list[AddressBlock]] = []
    for community, (_name, _kind, _road, grid_count, _estates) in zip(communities, COMMUNITIES, strict=True):
        short = community.name.removesuffix("社区").removesuffix("股份经济合作社")
        for number, run in enumerate(_split_evenly(blocks_by_community[community.pk], grid_count), start=1):
            grid_areas.append(GridArea(community=community, name=f"{short}第{number}网格"))
            grid_runs.append(run)
    grid_areas = GridArea.objects.bulk_create(grid_areas)
    demo.grid_areas = grid_areas
    demo.grid_blocks = {area.pk: run for area, run in zip(grid_areas, grid_runs, strict=True)}

    trade_names = [a + b for a in ENTERPRISE_TRADE_FIRST for b in ENTERPRISE_TRADE_SECOND]
    rng.shuffle(trade_names)
    enterprises = []
    for number in range(ENTERPRISE_COUNT):
        # Every industry once, then at random.
        industry, suffix = INDUSTRIES[number] if number < len(INDUSTRIES) else rng.choice(INDUSTRIES)
        community = communities[number % len(communities)]
        road = COMMUNITIES[number % len(communities)][2]
        enterprises.append(
            Enterprise(
                street=street,
                community=community,
                name=f"杭州{trade_names[number]}{suffix}",
                credit_code=_credit_code(rng),
                industry=industry,
                address=f"{DISTRICT}{road}{rng.randint(1, 600)}号{rng.randint(1, 20)}楼",
                contact_name=_full_name(rng, rng.choice("MF"), rng.randint(1965, 1995)),
                phone=_mobile(rng) if rng.random() < 0.6 else _landline(rng),
                # A few have closed since they were registered.
                is_active=number < ENTERPRISE_COUNT - 2,
            )
        )
    Enterprise.objects.bulk_create(enterprises)

    PairedVillage.objects.bulk_create(
        [
            PairedVillage(
                street=street,
                name=name,
                location=location,
                contact_name=_full_name(rng, "M", rng.randint(1960, 1985)),
                phone=_mobile(rng),
            )
            for name, location in PAIRED_VILLAGES
        ]
    )

    kinds = [community.kind for community in communities]
    demo.counts.update(
        {
            "社区": kinds.count(Community.Kind.COMMUNITY),
            "股份经济合作社": kinds.count(Community.Kind.COOPERATIVE),
            "科室": len(departments),
            "小区": len(estates),
            "业委会": len(estates),
            "物业公司": len(companies),
            "网格": len(grid_areas),
            "辖区企业": len(enterprises),
            "联村结对村": len(PAIRED_VILLAGES),
        }
    )


# --- Step 2: the staff ------------------------------------------------------------------------------------


def add_staff(demo: Demo, rng: random.Random) -> None:
    """Demo users of every role, a leader per community and a worker per grid area, in their role's group."""
    street, departments, communities = demo.street, demo.departments, demo.communities
    first, second = communities[0], communities[1]
    areas_by_community: dict[int, list[GridArea]] = {community.pk: [] for community in communities}
    for area in demo.grid_areas:
        areas_by_community[area.community_id].append(area)

    names: set[str] = set()
    # (username, role, department, community, grid areas, overseen departments, place shown in the summary)
    specs: list[tuple[str, str, Department | None, Community | None, list[GridArea], list[str], str | None]] = []

    def add(username, role, *, department=None, community=None, areas=(), overseen=(), place=None):
        specs.append((username, role, department, community, list(areas), list(overseen), place))

    add("admin", Role.SYSTEM_ADMIN, place="全部街道（超级用户）")
    add("leader", Role.STREET_LEADER, place=f"{STREET_NAME} 党工委书记")
    add("leader02", Role.STREET_LEADER)
    add("deputy", Role.LEADER_IN_CHARGE, overseen=["城管科", "社会事务科"], place="分管 城管科、社会事务科")
    add("deputy02", Role.LEADER_IN_CHARGE, overseen=["经济发展科", "平安办"])
    add("deputy03", Role.LEADER_IN_CHARGE, overseen=["党政办", "党建办", "社区建设科"])
    add("cadre", Role.CADRE, place=f"{STREET_NAME} 区管干部")
    for number in range(2, 5):
        add(f"cadre{number:02d}", Role.CADRE)

    # A chief and two members of staff in every department; `chief` heads 社会事务科, `staff` works in 城管科.
    chief_numbers, staff_numbers = itertools.count(2), itertools.count(2)
    for name, _social in DEPARTMENTS:
        department = departments[name]
        if name == "社会事务科":
            add("chief", Role.SECTION_CHIEF, department=department, place=name)
        else:
            add(f"chief{next(chief_numbers):02d}", Role.SECTION_CHIEF, department=department)
        if name == "城管科":
            add("staff", Role.DEPARTMENT_STAFF, department=department, place=name)
        else:
            add(f"staff{next(staff_numbers):02d}", Role.DEPARTMENT_STAFF, department=department)
        add(f"staff{next(staff_numbers):02d}", Role.DEPARTMENT_STAFF, department=department)

    for number, community in enumerate(communities, start=1):
        username = "community" if number == 1 else f"community{number:02d}"
        add(username, Role.COMMUNITY_LEADER, community=community, place=community.name if number == 1 else None)

    first_areas, second_areas = areas_by_community[first.pk], areas_by_community[second.pk]
    worker_areas, worker2_areas = first_areas[:2], second_areas[:1]
    add("worker", Role.SOCIAL_WORKER, community=first, areas=worker_areas, place=_areas_place(first, worker_areas))
    add("worker2", Role.SOCIAL_WORKER, community=second, areas=worker2_areas, place=_areas_place(second, worker2_areas))
    taken = {area.pk for area in (*worker_areas, *worker2_areas)}
    community_by_pk = {community.pk: community for community in communities}
    worker_numbers = itertools.count(1)
    for area in demo.grid_areas:
        if area.pk not in taken:
            community = community_by_pk[area.community_id]
            add(f"sw{next(worker_numbers):03d}", Role.SOCIAL_WORKER, community=community, areas=[area])

    existing = sorted(User.objects.filter(username__in=[spec[0] for spec in specs]).values_list("username", flat=True))
    if existing:
        raise DemoError(f"以下用户名已被占用，无法创建演示用户：{'、'.join(existing)}。请换一个空数据库再试。")

    # One hash for everyone: they share the password, and hashing it once saves seconds per hundred users.
    password = make_password(settings.DEMO_PASSWORD)
    users = []
    for username, role, department, community, _areas, _overseen, _place in specs:
        leader_years = (1965, 1980) if role != Role.SOCIAL_WORKER else (1978, 1998)
        user = User(
            username=username,
            password=password,
            full_name=_unique_name(rng, names, birth_year=rng.randint(*leader_years)),
            phone=_mobile(rng),
            role=role,
            street=None if role == Role.SYSTEM_ADMIN else street,
            department=department,
            community=community,
            is_superuser=role == Role.SYSTEM_ADMIN,
        )
        user.full_clean(exclude=["password"], validate_unique=False)
        users.append(user)
    users = User.objects.bulk_create(users)

    through = GridArea.workers.through
    through.objects.bulk_create(
        [
            through(gridarea_id=area.pk, user_id=user.pk)
            for user, spec in zip(users, specs, strict=True)
            for area in spec[4]
        ]
    )
    for user, spec in zip(users, specs, strict=True):
        if spec[5]:
            user.overseen_departments.set([departments[name] for name in spec[5]])
        user_sync_role(user=user)
        demo.users[user.username] = user
        if spec[6]:
            demo.showcase.append(ShowcaseUser(user=user, place=spec[6]))

    roles = [user.role for user in users]
    demo.counts["用户"] = len(users)
    demo.counts["其中社工"] = roles.count(Role.SOCIAL_WORKER)


def _areas_place(community: Community, areas: list[GridArea]) -> str:
    return f"{community.name} {'、'.join(area.name for area in areas)}"


# --- Step 3: households and residents ---------------------------------------------------------------------


@dataclass
class _Person:
    relation: str
    gender: str
    age: int
    surname: str


def _other(gender: str) -> str:
    return "F" if gender == "M" else "M"


def _compose(rng: random.Random, kind: str) -> list[_Person]:
    """The people of one household, head first, with ages as of BIRTH_REFERENCE."""
    R = Resident.Relation  # noqa: N806 - a short alias keeps the table of compositions readable
    surname = _SURNAMES.pick(rng)

    def spouse_of(head: _Person) -> _Person:
        gap = rng.randint(-2, 5)
        age = head.age - gap if head.gender == "M" else head.age + gap
        return _Person(R.SPOUSE, _other(head.gender), max(20, min(age, 98)), _SURNAMES.pick(rng))

    def father_surname(*people: _Person) -> str:
        men = [p for p in people if p.gender == "M"]
        return men[0].surname if men and rng.random() < 0.9 else people[0].surname

    def child_of(mother_age: int, relation: str, family_surname: str) -> _Person:
        age = max(0, mother_age - rng.randint(23, 36))
        return _Person(relation, rng.choice("MF"), age, family_surname)

    def couple(age_range: tuple[int, int]) -> list[_Person]:
        head = _Person(R.HEAD, "M" if rng.random() < 0.7 else "F", rng.randint(*age_range), surname)
        return [head, spouse_of(head)]

    if kind == "elder_alone":
        return [_Person(R.HEAD, "F" if rng.random() < 0.65 else "M", rng.randint(70, 95), surname)]
    if kind == "single":
        return [_Person(R.HEAD, rng.choice("MF"), rng.randint(22, 59), surname)]
    if kind == "elder_couple":
        return couple((62, 90))
    if kind == "couple":
        return couple((24, 45))
    if kind == "couple_child":
        people = couple((28, 58))
        people.append(child_of(min(p.age for p in people), R.CHILD, father_surname(*people)))
        return people
    if kind == "couple_two_children":
        people = couple((32, 58))
        family = father_surname(*people)
        # Siblings are two to eight years apart.
        older = max(2, min(p.age for p in people) - rng.randint(23, 33))
        younger = max(0, older - rng.randint(2, 8))
        people += [_Person(R.CHILD, rng.choice("MF"), age, family) for age in (older, younger)]
        return people
    if kind == "three_generations":
        people = couple((33, 55))
        head = people[0]
        family = father_surname(*people)
        people.append(child_of(min(p.age for p in people), R.CHILD, family))
        parent_age = min(98, head.age + rng.randint(24, 34))
        # The head's parents: a widowed parent more often than both.
        if rng.random() < 0.4:
            people.append(_Person(R.PARENT, "M", parent_age, head.surname))
            people.append(
                _Person(R.PARENT, "F", max(parent_age - rng.randint(0, 4), head.age + 20), _SURNAMES.pick(rng))
            )
        else:
            people.append(_Person(R.PARENT, "F" if rng.random() < 0.7 else "M", parent_age, head.surname))
        return people
    if kind == "elder_three_generations":
        people = (
            couple((60, 80))
            if rng.random() < 0.8
            else [_Person(R.HEAD, rng.choice("MF"), rng.randint(60, 85), surname)]
        )
        family = father_surname(*people)
        child = child_of(min(p.age for p in people), R.CHILD, family)
        child.age = max(child.age, 24)
        grandchild = _Person(R.GRANDCHILD, rng.choice("MF"), max(0, child.age - rng.randint(24, 34)), family)
        return [*people, child, grandchild]
    if kind == "single_parent":
        head = _Person(R.HEAD, "F" if rng.random() < 0.75 else "M", rng.randint(30, 55), surname)
        return [head, child_of(head.age, R.CHILD, surname)]
    if kind == "elder_with_child":
        head = _Person(R.HEAD, rng.choice("MF"), rng.randint(65, 90), surname)
        child = _Person(R.CHILD, rng.choice("MF"), max(30, head.age - rng.randint(24, 36)), surname)
        return [head, child]
    raise ValueError(kind)


def _birth_date(rng: random.Random, age: int) -> datetime.date:
    """A real day on which someone is `age` years old on BIRTH_REFERENCE."""
    latest = BIRTH_REFERENCE.replace(year=BIRTH_REFERENCE.year - age) - datetime.timedelta(days=1)
    return latest - datetime.timedelta(days=rng.randrange(365))


def _id_number(rng: random.Random, region: str, born: datetime.date, gender: str, used: set[str]) -> str:
    """A GB 11643 ID number no other resident has: the serial's last digit is odd for men, even for women."""
    digits = "13579" if gender == "M" else "02468"
    prefix = f"{region}{born:%Y%m%d}"
    for _attempt in range(200):
        first17 = f"{prefix}{rng.randrange(100):02d}{rng.choice(digits)}"
        if first17 not in used:
            used.add(first17)
            return first17 + id_check_char(first17)
    raise DemoError(f"无法为 {prefix} 生成不重复的身份证号码。")


def _allocate(rng: random.Random, total: int, capacities: list[int]) -> list[int]:
    """Split `total` households over grid areas about evenly (±20%), as a street sizes its grid areas.

    At least one each when there are enough; an area whose buildings are full passes the rest on.
    """
    base = [1 if total >= len(capacities) else 0 for _ in capacities]
    room = [capacity - b for capacity, b in zip(capacities, base, strict=True)]
    rest = total - sum(base)
    weights = [rng.uniform(0.8, 1.2) for _ in capacities]

    def filled(level: float) -> list[float]:
        return [min(r, level * w) for r, w in zip(room, weights, strict=True)]

    # Water-filling: the level at which every area holds level × its weight, or is full, and all fit.
    low, high = 0.0, float(max(room) / min(weights) + 1)
    for _ in range(100):
        middle = (low + high) / 2
        low, high = (middle, high) if sum(filled(middle)) < rest else (low, middle)
    exact = filled(high)
    shares = [min(int(x), r) for x, r in zip(exact, room, strict=True)]
    # The households rounding left over go to the largest remainders among areas with room.
    leftover = rest - sum(shares)
    open_areas = sorted((i for i in range(len(room)) if shares[i] < room[i]), key=lambda i: shares[i] - exact[i])
    for index in open_areas[:leftover]:
        shares[index] += 1
    return [b + s for b, s in zip(base, shares, strict=True)]


def add_households(demo: Demo, rng: random.Random) -> None:
    """The households of every grid area, each with one to five residents, its categories and contacts."""
    capacity = demo.capacity
    if demo.households > capacity:
        raise DemoError(f"演示街道的小区最多容纳 {capacity} 户，无法生成 {demo.households} 户。")
    categories = _demo_categories()
    estates = demo.estates

    # Every address first, as plain tuples: (estate, grid area, building, unit, room).
    plan: list[tuple[Estate, GridArea, str, str, str]] = []
    areas = demo.grid_areas
    block_lists = [demo.grid_blocks[area.pk] for area in areas]
    capacities = [sum(block.capacity for block in blocks) for blocks in block_lists]
    for area, blocks, area_capacity, count in zip(
        areas, block_lists, capacities, _allocate(rng, demo.households, capacities), strict=True
    ):
        starts = list(itertools.accumulate((block.capacity for block in blocks), initial=0))
        for index in sorted(rng.sample(range(area_capacity), count)):
            position = bisect_right(starts, index) - 1
            block = blocks[position]
            unit, room = block.address(index - starts[position])
            plan.append((estates[block.estate_index], area, str(block.building), unit, room))

    # ID numbers already in the database (an import, another demo) must not be issued again.
    used_ids = {number[:17] for number in Resident.objects.exclude(id_number="").values_list("id_number", flat=True)}
    counts = dict.fromkeys(DEMO_CATEGORIES, 0)
    totals = {"households": 0, "moved_out": 0, "residents": 0, "disabled": 0}
    household_links = Household.categories.through
    for chunk_start in range(0, len(plan), CHUNK_SIZE):
        chunk = plan[chunk_start : chunk_start + CHUNK_SIZE]
        households, people, chosen = [], [], []
        for estate, area, building, unit, room in chunk:
            household, residents, names = _make_household(rng, demo, estate, area, building, unit, room, used_ids)
            households.append(household)
            people.append(residents)
            chosen.append(names)
        Household.objects.bulk_create(households, batch_size=BATCH_SIZE)
        residents, links = [], []
        for household, household_residents, names in zip(households, people, chosen, strict=True):
            for resident in household_residents:
                resident.household_id = household.pk
                residents.append(resident)
                totals["disabled"] += bool(resident.disability)
            for name in names:
                links.append(household_links(household_id=household.pk, householdcategory_id=categories[name].pk))
                counts[name] += 1
            totals["moved_out"] += household.status == Household.Status.MOVED_OUT
        Resident.objects.bulk_create(residents, batch_size=BATCH_SIZE)
        household_links.objects.bulk_create(links, batch_size=BATCH_SIZE)
        totals["households"] += len(households)
        totals["residents"] += len(residents)

    demo.counts.update(
        {
            "户": totals["households"],
            "其中已迁出": totals["moved_out"],
            "居民": totals["residents"],
            "其中残疾人": totals["disabled"],
            **{f"户类别：{name}": number for name, number in counts.items()},
        }
    )


def _demo_categories() -> dict[str, HouseholdCategory]:
    """The categories by name; migration households/0003 seeds them, and a deleted one is recreated."""
    found = {category.name: category for category in HouseholdCategory.objects.filter(name__in=DEMO_CATEGORIES)}
    for name, is_key in DEMO_CATEGORIES.items():
        if name not in found:
            found[name] = HouseholdCategory.objects.create(name=name, is_key=is_key)
    return found


def _make_household(
    rng: random.Random,
    demo: Demo,
    estate: Estate,
    area: GridArea,
    building: str,
    unit: str,
    room: str,
    used_ids: set[str],
) -> tuple[Household, list[Resident], list[str]]:
    """One household in memory: its residents (head first) and the names of its categories."""
    kind = _HOUSEHOLD_TYPES.pick(rng)
    people = _compose(rng, kind)
    home_region = _REGIONS.pick(rng)
    residents = []
    for person in people:
        born = _birth_date(rng, person.age)
        if person.age < 25 and rng.random() < 0.7:
            region = "330106"  # born here
        else:
            region = home_region if rng.random() < 0.7 else _REGIONS.pick(rng)
        has_phone = person.age >= 16 and rng.random() < (0.5 if person.age >= 80 else 0.92)
        residents.append(
            Resident(
                name=_full_name(rng, person.gender, born.year, person.surname),
                relation=person.relation,
                id_number=_id_number(rng, region, born, person.gender, used_ids),
                gender=person.gender,
                birth_date=born,
                phone=_mobile(rng) if has_phone else "",
            )
        )

    ages = [person.age for person in people]
    names: list[str] = []
    if kind == "elder_alone":
        names.append(CATEGORY_ELDER_ALONE)
    if max(ages) >= 60 and rng.random() < SHARE_RETIRED_AMONG_ELDERLY:
        names.append(CATEGORY_RETIRED)
    roll = rng.random()
    if roll < SHARE_SUBSISTENCE:
        names.append(CATEGORY_SUBSISTENCE)
    elif roll < SHARE_SUBSISTENCE + SHARE_NEAR_SUBSISTENCE:
        names.append(CATEGORY_NEAR_SUBSISTENCE)
    if max(ages) >= 45 and rng.random() < SHARE_SPECIAL_CARE_AMONG_MIDDLE_AGED:
        names.append(CATEGORY_SPECIAL_CARE)
    if min(ages) >= 60 and rng.random() < SHARE_BEREAVED_AMONG_ELDERLY_ONLY:
        names.append(CATEGORY_BEREAVED)
    disabled_hardship = rng.random() < SHARE_DISABLED_HARDSHIP
    if disabled_hardship or rng.random() < SHARE_OTHER_DISABILITY:
        resident = rng.choice(residents)
        resident.disability = _DISABILITIES.pick(rng)
        # Families in hardship more often care for someone severely disabled (grades 1 and 2).
        grades = (1, 2, 3, 4)
        resident.disability_grade = rng.choices(
            grades, weights=(25, 35, 25, 15) if disabled_hardship else (5, 15, 40, 40)
        )[0]
        if disabled_hardship:
            names.append(CATEGORY_DISABLED)

    head = residents[0]
    phone_roll = rng.random()
    phone = _landline(rng) if phone_roll < 0.35 else (head.phone if phone_roll < 0.85 else "")
    note = ""
    noted = [name for name in names if name in HOUSEHOLD_NOTES]
    if noted and rng.random() < 0.5:
        note = rng.choice(HOUSEHOLD_NOTES[noted[0]])
    household = Household(
        estate=estate, grid_area=area, building=building, unit=unit, room=room, phone=phone, note=note
    )
    if rng.random() < SHARE_MOVED_OUT:
        household.status = Household.Status.MOVED_OUT
        household.moved_out_on = demo.today - datetime.timedelta(days=rng.randint(15, 900))
        household.moved_out_reason = rng.choice(MOVED_OUT_REASONS)
    return household, residents, names


STEPS: list[DemoStep] = [
    add_places,
    add_staff,
    add_households,
    add_visits,
    add_assistance,
    add_feedback,
    add_assessment,
]
