"""The demo street: a fictional street shaped like Wenxin (文新街道), written by `manage.py seed_demo`.

The generator is a list of steps (STEPS). Each step receives the Demo built so far and its own random
generator, writes its rows in batches (never one query per row), and records what it made in `demo.counts`,
which the command prints. Later features (visits, plans, opinions, spot-checks) add a step at the end of STEPS:

    def add_visits(demo: Demo, rng: random.Random) -> None:
        # Door-to-door visits of every social worker this quarter:
        with demo.rows(Visit, ["street_id", "visitor_id", ...], ids=True) as visits:
            ...  # read demo.users / demo.grid_areas, query the households, visits.add(...) each row
        demo.counts["走访"] = visits.count

Every step's generator is seeded by the run's seed and the step's name, so adding a step never changes the
data of the steps before it. Identities (names, ID numbers, addresses) do not depend on the day either;
only dates meant to look recent (moves, committee terms) are counted from `demo.today`.

Scale. A street has ~45,000 households and a city fifty streets, so the big tables (households, residents,
visits and their companions, plans, subsidies, verifications) are streamed: rows are generated a grid area or a
worker at a time and written through `demo.rows` (TableWriter), by COPY on PostgreSQL and executemany INSERTs
elsewhere, in batches of BATCH_SIZE. No step holds a street's households or visits in memory, ID numbers are
kept unique by counters instead of a set of every number issued (IdNumbers), and `--streets S` builds the
streets one after another, so the memory a run needs does not grow with its size. The first street is the
showcase (文新街道, with `leader`, `worker` ...); the others get their own names and usernames prefixed
`s02-` ... `s99-`.

The names of places and people are invented; the shape (12 communities, 2 cooperatives, 60+ estates,
44+ enterprises, 5 paired villages) is the one the article describes.
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import json
import queue
import random
import threading
import time
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import TracebackType

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import IntegrityError, connection, models, transaction
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
from wenxin.roles import Role, group_name
from wenxin.validators import id_check_char

STREET_NAME = "文新街道"
DISTRICT = "西湖区"
CITY = "杭州市"
DEFAULT_SEED = 2433
DEFAULT_HOUSEHOLDS = 2000
# Years of visits before today, and the most a run may ask for.
DEFAULT_YEARS = 2
MAX_YEARS = 10
# Birth dates are counted back from a fixed day, not from today, so the same seed gives the same ID numbers
# every day; the date lies in the past so no resident is born in the future.
BIRTH_REFERENCE = datetime.date(2025, 1, 1)
# Rows written per COPY or INSERT batch, per table: what a run holds in memory besides one worker's households.
BATCH_SIZE = 2000
# Streets a run may build: the usernames of street n are prefixed "s{n:02d}-".
MAX_STREETS = 99
# The streets after the first (a city): invented names, one character of each string, and districts in turn.
OTHER_STREET_FIRST = "翠溪竹桂松梅兰荷柳枫"
OTHER_STREET_SECOND = "华苑林湖山源塘桥港湾"
OTHER_DISTRICTS = ("上城区", "拱墅区", "滨江区", "萧山区", "余杭区", "临平区", "钱塘区", "富阳区", "临安区", "西湖区")


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


class IdNumbers:
    """Issues GB 11643 ID numbers no other resident has, in constant memory.

    A region, a birth date and a gender leave 500 serials (two digits and an odd or even third). Instead of a set
    of every number issued (half a gigabyte for a city's five million residents), a two-byte counter per region,
    day and gender (about 4 MB for a century of birth dates) hands a cell's serials out in a scrambled order, so
    the numbers look random and never repeat. Numbers already in the database (an import) are skipped.
    """

    SERIALS = 500
    # Coprime with SERIALS: the counter's 0, 1, 2 ... become distinct serials spread over the whole range.
    STRIDE = 263
    DAYS = 102 * 366

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self.taken = {number[:17] for number in taken}
        self.regions = {code: index for index, (code, _weight) in enumerate(REGION_CODES)}
        self.counts = array("H", bytes(2 * len(self.regions) * self.DAYS * 2))
        # Regions or days outside the table (none in the demo's own data) are counted here.
        self.overflow: dict[tuple[str, int, str], int] = {}

    @classmethod
    def from_database(cls) -> IdNumbers:
        """An issuer that avoids the ID numbers already registered."""
        numbers = Resident.objects.exclude(id_number="").values_list("id_number", flat=True)
        return cls(numbers.iterator(chunk_size=BATCH_SIZE))

    def issue(self, region: str, born: datetime.date, gender: str) -> str:
        """The next unused number of a region, birth date and gender."""
        day = (BIRTH_REFERENCE - born).days
        prefix = f"{region}{born:%Y%m%d}"
        digits = "13579" if gender == "M" else "02468"
        region_index = self.regions.get(region)
        cell = None
        if region_index is not None and 0 <= day < self.DAYS:
            cell = (region_index * self.DAYS + day) * 2 + (gender == "M")
        while True:
            if cell is None:
                key = (region, day, gender)
                count = self.overflow.get(key, 0)
                self.overflow[key] = count + 1
            else:
                count = self.counts[cell]
                if count < self.SERIALS:
                    self.counts[cell] = count + 1
            if count >= self.SERIALS:
                raise DemoError(f"无法为 {prefix} 生成不重复的身份证号码。")
            serial = (count * self.STRIDE + 7919 * (day if cell is None else cell)) % self.SERIALS
            first17 = f"{prefix}{serial // 5:02d}{digits[serial % 5]}"
            if first17 not in self.taken:
                return first17 + id_check_char(first17)


class TableWriter:
    """Rows of one table written BATCH_SIZE at a time: COPY on PostgreSQL, an executemany INSERT elsewhere.

    Faster than bulk_create (no model instances) and in constant memory. With ids=True each row gets its primary
    key when it is added, reserved from the table's sequence, so the rows that refer to it can be made at once.
    Columns not given take the field's default (auto_now fields: now), so a field added to the model later does not
    break the demo. `after` names the writers whose rows these refer to: they are flushed first, since PostgreSQL
    checks foreign keys at each statement during the build (see build_demo).
    """

    # Tables with an open writer on a database without sequences: a second writer would count ids from the same
    # MAX(id) as the first.
    _open: set[str] = set()

    def __init__(
        self,
        model: type[models.Model],
        columns: Sequence[str],
        *,
        ids: bool = False,
        after: Sequence[TableWriter] = (),
        batch_size: int | None = None,
    ) -> None:
        meta = model._meta
        self.table = meta.db_table
        self.after = list(after)
        self.batch_size = batch_size or BATCH_SIZE
        self.postgres = connection.vendor == "postgresql"
        self.count = 0
        self.pending: list[tuple] = []
        self.free_ids: list[int] = []
        self.next_id: int | None = None
        self.pk = meta.pk if ids else None
        given = [meta.get_field(name) for name in columns]
        names = {f.name for f in given}
        now = timezone.now()
        defaults: list[tuple[models.Field, object]] = []
        for f in meta.concrete_fields:
            if f.primary_key or f.name in names or f.db_default is not models.NOT_PROVIDED:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            else:
                # The field's default; "" for a text field without one, None for others.
                value = f.get_default()
            defaults.append((f, value))
        fields = ([self.pk] if self.pk else []) + given + [f for f, _value in defaults]
        self.columns = [f.column for f in fields]
        self.converters = [
            (position, self._converter(f)) for position, f in enumerate(given) if self._converter(f) is not None
        ]
        self.defaults = tuple(
            value if value is None or self._converter(f) is None else self._converter(f)(value) for f, value in defaults
        )
        if not self.postgres:
            if self.table in self._open:
                raise RuntimeError(f"{self.table} already has an open TableWriter")
            self._open.add(self.table)

    def _converter(self, f: models.Field) -> Callable[[object], object] | None:
        """How a value of the field is passed: psycopg copies dates, times and decimals itself; sqlite3 is given
        what Django would give it."""
        if isinstance(f, models.JSONField):
            encoder = f.encoder
            return lambda value: json.dumps(value, ensure_ascii=False, cls=encoder)
        if self.postgres:
            return None
        if isinstance(f, models.DateTimeField):
            # As Django's SQLite backend stores them: naive, in the connection's time zone (UTC), ISO with a space.
            zone = connection.timezone
            return _memoized(lambda value: str(value.astimezone(zone).replace(tzinfo=None)))
        if isinstance(f, models.DateField):
            return _memoized(datetime.date.isoformat)
        if isinstance(f, (models.DecimalField, models.TimeField)):
            return lambda value: f.get_db_prep_save(value, connection)
        return None

    def add(self, *values: object) -> int | None:
        """Queue one row, its values in the order of `columns`; the new row's primary key with ids=True."""
        if self.converters:
            values = list(values)
            for position, convert in self.converters:
                if values[position] is not None:
                    values[position] = convert(values[position])
        pk = None
        if self.pk is not None:
            pk = self._reserve()
            self.pending.append((pk, *values, *self.defaults))
        else:
            self.pending.append((*values, *self.defaults))
        self.count += 1
        if len(self.pending) >= self.batch_size:
            self.flush()
        return pk

    def _reserve(self) -> int:
        if self.postgres:
            if not self.free_ids:
                # Straight on the driver's connection (thread-safe), so the copier need not be drained first;
                # ten batches at a time, so a running COPY is waited for rarely.
                cursor = connection.connection.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [self.table, self.pk.column, 10 * self.batch_size],
                )
                self.free_ids = [row[0] for row in cursor.fetchall()][::-1]
            return self.free_ids.pop()
        if self.next_id is None:
            with connection.cursor() as cursor:
                quote = connection.ops.quote_name
                cursor.execute(f"SELECT MAX({quote(self.pk.column)}) FROM {quote(self.table)}")
                self.next_id = (cursor.fetchone()[0] or 0) + 1
        self.next_id += 1
        return self.next_id - 1

    def flush(self) -> None:
        """Write what is queued, after the rows it refers to."""
        for parent in self.after:
            parent.flush()
        if not self.pending:
            return
        quote = connection.ops.quote_name
        columns = ", ".join(quote(column) for column in self.columns)
        if self.postgres:
            sql = f"COPY {quote(self.table)} ({columns}) FROM STDIN"
            if Copier.current is not None:
                Copier.current.put(sql, self.pending)
                self.pending = []
                return
            Copier.copy(connection.connection, sql, self.pending)
        else:
            marks = ", ".join(["%s"] * len(self.columns))
            with connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {quote(self.table)} ({columns}) VALUES ({marks})", self.pending)
        self.pending.clear()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._open.discard(self.table)

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:
            self._open.discard(self.table)


class Copier:
    """Sends the COPY batches to PostgreSQL from a second thread while the main thread makes the next ones.

    Generating rows (Python) and storing them (the server: indexes, WAL) take about as long as each other, and the
    machine has two cores: done side by side, a city takes about half the time. Both threads share the one
    connection and so the one transaction (psycopg's connections are thread-safe). Every query Django sends from
    the main thread first waits for the queued batches (an execute wrapper), so a step always reads what the
    steps before it wrote, in order; the queue holds at most a few batches, so the memory stays bounded.
    """

    current: Copier | None = None

    def __init__(self) -> None:
        connection.ensure_connection()
        self.driver = connection.connection
        self.queue: queue.Queue[tuple[str, list[tuple]] | None] = queue.Queue(maxsize=4)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="demo-copier", daemon=True)

    @staticmethod
    def copy(driver: object, sql: str, rows: list[tuple]) -> None:
        with driver.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                if self.error is None:
                    self.copy(self.driver, *item)
            except BaseException as error:  # noqa: BLE001 - handed to the main thread, which raises it
                self.error = error
            finally:
                self.queue.task_done()

    def put(self, sql: str, rows: list[tuple]) -> None:
        self._raise()
        self.queue.put((sql, rows))

    def drain(self) -> None:
        """Wait until every queued batch is stored; raise what storing one raised."""
        self.queue.join()
        self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise DemoError(f"写入数据库失败：{self.error}") from self.error

    def _before_query(self, execute, sql, params, many, context):  # noqa: ANN001 - Django's wrapper signature
        self.drain()
        return execute(sql, params, many, context)

    def __enter__(self) -> Copier:
        self.thread.start()
        self._wrapper = connection.execute_wrapper(self._before_query)
        self._wrapper.__enter__()
        Copier.current = self
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> None:
        Copier.current = None
        self._wrapper.__exit__(kind, error, trace)
        if kind is not None and self.error is None:
            # Failing anyway: skip what is still queued.
            self.error = error
        self.queue.put(None)
        self.thread.join()
        if kind is None:
            self._raise()


def _memoized(convert: Callable[[object], object], most: int = 50_000) -> Callable[[object], object]:
    """convert with its results remembered (a demo repeats the same few thousand days), forgetting them all when
    there are `most`, so the memory stays bounded."""
    seen: dict[object, object] = {}

    def converted(value: object) -> object:
        result = seen.get(value)
        if result is None:
            if len(seen) >= most:
                seen.clear()
            result = seen[value] = convert(value)
        return result

    return converted


@dataclass
class Run:
    """What the streets of one run share: the ID numbers issued so far and the demo password's hash."""

    ids: IdNumbers = field(default_factory=IdNumbers)
    password: str = ""


@dataclass
class Demo:
    """What the generator has built so far of one street; each step reads it and adds to it."""

    seed: int
    households: int
    today: datetime.date
    # Years of visits (and of the opinions and meetings that go with them) before today.
    years: int = DEFAULT_YEARS
    # City scale: less per-household history where no page needs it (see build_demo).
    fast: bool = False
    # The street's number in the run (1: the showcase street), its name and district, and its usernames' prefix.
    number: int = 1
    name: str = STREET_NAME
    district: str = DISTRICT
    prefix: str = ""
    run: Run = field(default_factory=Run)
    street: Street | None = None
    communities: list[Community] = field(default_factory=list)
    departments: dict[str, Department] = field(default_factory=dict)
    estates: list[Estate] = field(default_factory=list)
    grid_areas: list[GridArea] = field(default_factory=list)
    # The buildings each grid area covers, by grid area pk: where its households live.
    grid_blocks: dict[int, list[AddressBlock]] = field(default_factory=dict)
    # The street's users by their username without the street's prefix: "worker" is s02-worker on street 2.
    users: dict[str, User] = field(default_factory=dict)
    showcase: list[ShowcaseUser] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # Lines the command prints after the counts: how to try something out (e.g. a tracking code to look up).
    notes: list[str] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(default_factory=list)

    @property
    def capacity(self) -> int:
        return sum(block.capacity for blocks in self.grid_blocks.values() for block in blocks)

    def rows(self, model: type[models.Model], columns: Sequence[str], **options) -> TableWriter:
        """A writer of the model's rows (see TableWriter): use it in a `with` block so its last batch is written."""
        return TableWriter(model, columns, **options)


DemoStep = Callable[[Demo, random.Random], None]


def demo_street_exists() -> bool:
    """Whether the demo street is already there: the command then leaves the database alone."""
    return Street.objects.filter(name=STREET_NAME).exists()


def street_names(streets: int) -> list[tuple[str, str]]:
    """(name, district) of each street of a run: 文新街道 first, then invented names in Hangzhou's districts."""
    others = [a + b for a in OTHER_STREET_FIRST for b in OTHER_STREET_SECOND]
    return [(STREET_NAME, DISTRICT)] + [
        (f"{others[n]}街道", OTHER_DISTRICTS[n % len(OTHER_DISTRICTS)]) for n in range(streets - 1)
    ]


def build_demo(
    *,
    households: int = DEFAULT_HOUSEHOLDS,
    seed: int = DEFAULT_SEED,
    today: datetime.date | None = None,
    steps: Sequence[DemoStep] | None = None,
    log: Callable[[str], None] | None = None,
    streets: int = 1,
    years: int = DEFAULT_YEARS,
    fast: bool = False,
) -> Demo:
    """Write the demo street, or `streets` streets sharing `households` between them, in one transaction; raise
    DemoError, writing nothing, if it cannot. Returns the first street, with the counts of all of them."""
    if households < 0:
        raise DemoError("户数不能为负数。")
    if not 1 <= streets <= MAX_STREETS:
        raise DemoError(f"街道数须在 1 到 {MAX_STREETS} 之间。")
    if not 1 <= years <= MAX_YEARS:
        raise DemoError(f"走访年数须在 1 到 {MAX_YEARS} 之间。")
    if demo_street_exists():
        raise DemoError(f"演示街道“{STREET_NAME}”已存在。")
    names = street_names(streets)
    taken = list(Street.objects.filter(name__in=[name for name, _district in names]).values_list("name", flat=True))
    if taken:
        raise DemoError(f"以下街道已存在：{'、'.join(taken)}。请换一个空数据库再试。")
    today = today or timezone.localdate()
    # One hash for everyone: they share the password, and hashing it once saves seconds per hundred users.
    run = Run(ids=IdNumbers.from_database(), password=make_password(settings.DEMO_PASSWORD))
    first: Demo | None = None
    copier = Copier() if connection.vendor == "postgresql" else contextlib.nullcontext()
    with transaction.atomic(), copier, DeferredIndexes():
        checks = ForeignKeyChecks.start()
        for number, (name, district) in enumerate(names, start=1):
            share = households // streets + (number <= households % streets)
            demo = Demo(
                seed=seed,
                households=share,
                today=today,
                years=years,
                fast=fast,
                number=number,
                name=name,
                district=district,
                prefix="" if number == 1 else f"s{number:02d}-",
                run=run,
            )
            # The first street's generators are those of a one-street run, so a city starts with the same street.
            street_seed = f"{seed}" if number == 1 else f"{seed}:{number}"
            started = time.perf_counter()
            for step in STEPS if steps is None else steps:
                step_started = time.perf_counter()
                step(demo, random.Random(f"{street_seed}:{step.__name__}"))
                elapsed = time.perf_counter() - step_started
                demo.timings.append((step.__name__, elapsed))
                if log:
                    log(f"{demo.name} {step.__name__}: {elapsed:.1f} 秒")
            checks.validate()
            if streets > 1 and number & (number - 1) == 0:
                # The planner's statistics while the tables grow (streets 1, 2, 4, 8 ...): without them the
                # later streets' reads would be planned for empty tables.
                analyze()
            if first is None:
                first = demo
            else:
                for label, value in demo.counts.items():
                    first.counts[label] = first.counts.get(label, 0) + value
            if log and streets > 1:
                log(f"第 {number}/{streets} 个街道“{name}”：{time.perf_counter() - started:.1f} 秒")
    if streets > 1:
        first.counts = {"街道": streets, **first.counts}
        first.notes.append(
            f"另外 {streets - 1} 个街道（{names[1][0]}…{names[-1][0]}）的用户名以 s02- … s{streets:02d}- 开头，"
            "如 s02-leader、s02-worker。"
        )
    return first


class ForeignKeyChecks:
    """How the build's foreign keys are checked on PostgreSQL, which checks each row's with a trigger and a query.

    Deferred (Django's default), the checks of a whole run would queue up in the server's memory until the commit,
    so they are made immediate. Better still, where the role may (a superuser) and no trigger of the project's own
    would be skipped with them, the per-row triggers are switched off for the build's transaction
    (session_replication_role = replica, as pg_restore --disable-triggers does) and each street's new rows are
    checked afterwards, every foreign key at once, with one anti-join per key: the same guarantee at a fraction of
    the cost (about half of the time a visit takes to write goes to its per-row checks). SQLite checks foreign keys
    at the commit, in bulk, and needs nothing.
    """

    def __init__(self, keys: list[tuple[str, str, str, str, str]]) -> None:
        # (table, its pk column, foreign key column, referenced table, referenced column) of each key to check.
        self.keys = keys
        self.marks = self._marks()

    @classmethod
    def start(cls) -> ForeignKeyChecks:
        if connection.vendor != "postgresql":
            return cls([])
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            superuser = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal")
            own_triggers = cursor.fetchone()[0]
            if not superuser or own_triggers:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                return cls([])
            cursor.execute("SET LOCAL session_replication_role = replica")
        keys = []
        for model in apps.get_models(include_auto_created=True):
            meta = model._meta
            if not isinstance(meta.pk, models.AutoField) or not meta.managed:
                continue
            for f in meta.concrete_fields:
                if f.is_relation and (f.many_to_one or f.one_to_one) and getattr(f, "db_constraint", False):
                    target = f.target_field
                    keys.append((meta.db_table, meta.pk.column, f.column, target.model._meta.db_table, target.column))
        return cls(keys)

    def _marks(self) -> dict[tuple[str, str], int]:
        """The highest pk of each table with keys to check: rows above it are new."""
        marks = {}
        with connection.cursor() as cursor:
            for table, pk, *_rest in self.keys:
                if (table, pk) not in marks:
                    quote = connection.ops.quote_name
                    cursor.execute(f"SELECT COALESCE(MAX({quote(pk)}), 0) FROM {quote(table)}")
                    marks[table, pk] = cursor.fetchone()[0]
        return marks

    def validate(self) -> None:
        """Raise DemoError if a row written since the last call refers to a row that does not exist: one query
        a table, reading only its new rows."""
        if not self.keys:
            return
        quote = connection.ops.quote_name
        by_table: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
        for table, pk, column, target, target_column in self.keys:
            by_table.setdefault((table, pk), []).append((column, target, target_column))
        with connection.cursor() as cursor:
            for (table, pk), keys in by_table.items():
                broken = " OR ".join(
                    f"(c.{quote(column)} IS NOT NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM {quote(target)} t WHERE t.{quote(target_column)} = c.{quote(column)}))"
                    for column, target, target_column in keys
                )
                cursor.execute(
                    f"SELECT c.{quote(pk)} FROM {quote(table)} c WHERE c.{quote(pk)} > %s AND ({broken}) LIMIT 1",
                    [self.marks[table, pk]],
                )
                missing = cursor.fetchone()
                if missing:
                    raise DemoError(f"演示数据有误：{table} 第 {missing[0]} 行引用了不存在的记录。")
        self.marks = self._marks()


# Indexes no step of the build reads (searches, listing orders, the optional visit targets): on PostgreSQL they
# are dropped while the build writes and built again at its end, in the same transaction. Building an index over
# finished rows is a sort; keeping it while millions of rows arrive is an insertion per row, and the trigram
# indexes' are the dearest: for 1,000,000 residents their three took 16.7 s of inserting, 8.8 s to build after
# (docs/performance.md).
DEFERRED_INDEXES = (
    "resident_name_trgm_idx",
    "resident_phone_trgm_idx",
    "resident_id_number_trgm_idx",
    "household_phone_trgm_idx",
    "resident_name_idx",
    # Unique, but the build issues every ID number itself (IdNumbers, which starts from those already stored);
    # a duplicate would still fail the index's creation at the end and roll the whole build back.
    "resident_unique_id_number",
    "visit_date_created_idx",
    "visit_place_kind_date_idx",
    "visit_estate_idx",
    "visit_enterprise_idx",
    "visit_committee_idx",
    "visit_company_idx",
    "visit_village_idx",
    "visit_target_community_idx",
)


class DeferredIndexes:
    """Drop DEFERRED_INDEXES for the block and create them again, as they were, when it ends without an error
    (after an error the transaction's rollback brings them back)."""

    def __init__(self) -> None:
        self.definitions: list[tuple[str, str]] = []

    def __enter__(self) -> DeferredIndexes:
        if connection.vendor != "postgresql":
            return self
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes"
                " WHERE schemaname = current_schema() AND indexname = ANY(%s)",
                [list(DEFERRED_INDEXES)],
            )
            self.definitions = cursor.fetchall()
            for name, _definition in self.definitions:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is not None or not self.definitions:
            return
        with connection.cursor() as cursor:
            # Memory for the sorts, for this transaction only (the server's default is 64 MB).
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for name, definition in self.definitions:
                try:
                    cursor.execute(definition)
                except IntegrityError as error:
                    raise DemoError(f"演示数据有误：{name} 所要求的唯一性不成立（{error}）。") from error


def analyze() -> None:
    """Refresh PostgreSQL's statistics of the tables the demo filled, so the first queries after a big load plan
    with the real row counts instead of waiting for autovacuum."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


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
    street = Street.objects.create(name=demo.name, district=demo.district, city=CITY)
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
                address=f"{demo.district}{road}{rng.randint(10, 400)}号",
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
                Estate(community=community, name=estate_name, address=f"{demo.district}{road}{rng.randint(1, 600)}号")
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
                address=f"{demo.district}{road}{rng.randint(1, 600)}号{rng.randint(1, 20)}楼",
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

    # One system administrator for the whole run, on the first street's list.
    if demo.number == 1:
        add("admin", Role.SYSTEM_ADMIN, place="全部街道（超级用户）")
    add("leader", Role.STREET_LEADER, place=f"{demo.name} 党工委书记")
    add("leader02", Role.STREET_LEADER)
    add("deputy", Role.LEADER_IN_CHARGE, overseen=["城管科", "社会事务科"], place="分管 城管科、社会事务科")
    add("deputy02", Role.LEADER_IN_CHARGE, overseen=["经济发展科", "平安办"])
    add("deputy03", Role.LEADER_IN_CHARGE, overseen=["党政办", "党建办", "社区建设科"])
    add("cadre", Role.CADRE, place=f"{demo.name} 区管干部")
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

    usernames = [demo.prefix + spec[0] for spec in specs]
    existing = sorted(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    if existing:
        raise DemoError(f"以下用户名已被占用，无法创建演示用户：{'、'.join(existing)}。请换一个空数据库再试。")

    users = []
    for username, (_name, role, department, community, _areas, _overseen, _place) in zip(usernames, specs, strict=True):
        leader_years = (1965, 1980) if role != Role.SOCIAL_WORKER else (1978, 1998)
        user = User(
            username=username,
            password=demo.run.password,
            full_name=_unique_name(rng, names, birth_year=rng.randint(*leader_years)),
            phone=_mobile(rng),
            role=role,
            street=None if role == Role.SYSTEM_ADMIN else street,
            department=department,
            community=community,
            is_superuser=role == Role.SYSTEM_ADMIN,
        )
        # As wenxin.services.user_sync_role does: the admin site is for the roles that use it.
        user.is_staff = user.uses_admin_site
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
    # Each user in exactly the group of his role (user_sync_role, without its five queries a user).
    groups = {role: Group.objects.get_or_create(name=group_name(role))[0] for role in {user.role for user in users}}
    memberships = User.groups.through
    memberships.objects.bulk_create([memberships(user_id=user.pk, group_id=groups[user.role].pk) for user in users])
    for user, spec in zip(users, specs, strict=True):
        if spec[5]:
            user.overseen_departments.set([departments[name] for name in spec[5]])
        demo.users[spec[0]] = user
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


@dataclass(slots=True)
class HouseholdRow:
    """A household as _make_household makes it, before it is written: the fields of Household it sets."""

    estate: Estate
    grid_area: GridArea
    building: str
    unit: str
    room: str
    phone: str
    note: str
    status: str = Household.Status.ACTIVE
    moved_out_on: datetime.date | None = None
    moved_out_reason: str = ""


@dataclass(slots=True)
class ResidentRow:
    """A resident as _make_household makes it: the fields of Resident it sets."""

    name: str
    relation: str
    id_number: str
    gender: str
    birth_date: datetime.date
    phone: str
    disability: str = ""
    disability_grade: int | None = None


HOUSEHOLD_COLUMNS = (
    "estate_id", "grid_area_id", "building", "unit", "room", "phone", "note", "status", "moved_out_on",
    "moved_out_reason",
)  # fmt: skip
RESIDENT_COLUMNS = (
    "household_id", "name", "relation", "id_number", "gender", "birth_date", "phone", "disability", "disability_grade",
)  # fmt: skip


def add_households(demo: Demo, rng: random.Random) -> None:
    """The households of every grid area, each with one to five residents, its categories and contacts.

    Generated and written one grid area at a time, so the street's households never sit in memory together."""
    capacity = demo.capacity
    if demo.households > capacity:
        raise DemoError(f"演示街道的小区最多容纳 {capacity} 户，无法生成 {demo.households} 户。")
    categories = _demo_categories()
    estates = demo.estates
    areas = demo.grid_areas
    block_lists = [demo.grid_blocks[area.pk] for area in areas]
    capacities = [sum(block.capacity for block in blocks) for blocks in block_lists]
    counts = dict.fromkeys(DEMO_CATEGORIES, 0)
    totals = {"moved_out": 0, "disabled": 0}
    with (
        demo.rows(Household, HOUSEHOLD_COLUMNS, ids=True) as households,
        demo.rows(Resident, RESIDENT_COLUMNS, after=[households]) as residents,
        demo.rows(Household.categories.through, ["household_id", "householdcategory_id"], after=[households]) as links,
    ):
        for area, blocks, area_capacity, count in zip(
            areas, block_lists, capacities, _allocate(rng, demo.households, capacities), strict=True
        ):
            starts = list(itertools.accumulate((block.capacity for block in blocks), initial=0))
            for index in sorted(rng.sample(range(area_capacity), count)):
                position = bisect_right(starts, index) - 1
                block = blocks[position]
                unit, room = block.address(index - starts[position])
                household, people, names = _make_household(
                    rng, demo, estates[block.estate_index], area, str(block.building), unit, room, demo.run.ids
                )
                pk = households.add(
                    household.estate.pk,
                    area.pk,
                    household.building,
                    household.unit,
                    household.room,
                    household.phone,
                    household.note,
                    household.status,
                    household.moved_out_on,
                    household.moved_out_reason,
                )
                for person in people:
                    residents.add(
                        pk,
                        person.name,
                        person.relation,
                        person.id_number,
                        person.gender,
                        person.birth_date,
                        person.phone,
                        person.disability,
                        person.disability_grade,
                    )
                    totals["disabled"] += bool(person.disability)
                for name in names:
                    links.add(pk, categories[name].pk)
                    counts[name] += 1
                totals["moved_out"] += household.status == Household.Status.MOVED_OUT

    demo.counts.update(
        {
            "户": households.count,
            "其中已迁出": totals["moved_out"],
            "居民": residents.count,
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
    ids: IdNumbers,
) -> tuple[HouseholdRow, list[ResidentRow], list[str]]:
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
            ResidentRow(
                name=_full_name(rng, person.gender, born.year, person.surname),
                relation=person.relation,
                id_number=ids.issue(region, born, person.gender),
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
    household = HouseholdRow(
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
