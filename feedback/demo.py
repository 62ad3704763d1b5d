"""The demo street's four listenings and opinions, written by `add_feedback`, a step of households.demo.

What it makes over the visit diary's years (visits.demo; two by default), never after the day before demo.today:
- Meetings (四听取) on their cadence: the street's yearly residents' representatives forum, the quarterly forum of
  deputies and CPPCC members, and every community's and cooperative's forum every two months, with a place, a host
  unit, attendees by group and minutes that name the opinions raised. Some cadences are missed on purpose so the
  cadence calendar has something to show: two units (益乐社区 and the last cooperative) held no forum in the current
  and the previous two-month period, the deputies' forum was not held last quarter, and a few older periods of other
  units were skipped.
- Opinions (意见建议) from every source: visits (the difficulty a door-to-door, estate or leader's visit wrote down,
  linked to that visit), meetings, the online channel (each with a tracking code), enterprises (the problems the
  enterprise visits raised) and paired villages. This year follows the article: 60+ collected from residents and
  paired villages, 27 from enterprises, and 15 resident, 5 paired-village and 19 enterprise problems solved; the
  earlier years are mostly closed, each within its own year. Some opinions that ask several things are split into
  parts; the newest are still waiting to be sorted or assigned; every state occurs, and some are overdue.
- Every opinion's history (OpinionEvent) walks Opinion.TRANSITIONS with who and when: recorded, sorted by the
  community's leader (the department's chief for enterprises and paired villages), assigned with a responsible
  person and a completion date by the department's leader in charge (or the community leader, when the community
  handles it itself), taken in hand by the responsible person, and resolved or explained.
- Topic meetings (专题会议) chaired by `deputy` and `leader` take up groups of sorted opinions before they are
  assigned; one of them the article's examples: the clothes-drying rack at 香港城 (resolved by the urban-management
  side) and the benches opposite 文新小学 (measured on site and explained to the resident, who submitted it online; its
  tracking code is in the command's summary).

Everything is planned in memory and written with bulk_create: a fixed number of queries whatever the number of
households. The rows' automatic timestamps (created_at, an event's `at`) are set to the moments they record.
"""

from __future__ import annotations

import datetime
import importlib
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils import timezone

from feedback.models import Meeting, MeetingKind, Opinion, OpinionCategory, OpinionEvent, TopicMeeting
from feedback.services import new_tracking_code
from households.demo_assistance import _dated
from households.models import Community, Enterprise, Estate, PairedVillage
from visits.demo import _history_start, _year_spans
from visits.models import Visit
from visits.periods import Quarter
from wenxin.models import User
from wenxin.roles import Role

if TYPE_CHECKING:
    from households.demo import Demo

BATCH_SIZE = 2000
S = Opinion.Status
RESIDENT, VILLAGE, ENTERPRISE = "resident", "paired_village", "enterprise"

# The article's year ("since the start of the year"), for the 14 villages and communities it describes: opinions
# collected (an opinion split into parts counts once), and of the problems they became, how many were resolved
# and how many explained in the year.
ARTICLE_COMMUNITIES = 14
# The article's residents' opinions are those a demo street of the default size records. A full-size street
# (~45,000 households) records about 300 opinions a year from all sources, so residents' opinions grow with the
# households beyond this many (the default demo keeps the article's figures).
HOUSEHOLDS_PER_ARTICLE_YEAR = 12_000
YEARLY: dict[str, tuple[int, int, int]] = {
    RESIDENT: (62, 15, 9),
    VILLAGE: (7, 5, 1),
    ENTERPRISE: (27, 19, 3),
}
# Residents' opinions by how they arrived; the rest come from meetings.
SHARE_FROM_VISITS = 0.35
SHARE_ONLINE = 0.2
# Opinions from a meeting or online that ask several things and are split into parts.
SHARE_SPLIT = 0.12
# Years before this one: how their problems ended (the rest are still being worked on).
EARLIER_RESOLVED, EARLIER_EXPLAINED = 0.72, 0.2
# The newest opinions still waiting: this many new (at most three weeks old) and sorted (at most six weeks).
WAITING_NEW, WAITING_SORTED = 5, 6
WAITING_NEW_DAYS, WAITING_SORTED_DAYS = 21, 42
# Closed by the completion date, most of the time.
SHARE_ON_TIME = 0.8
# Open opinions past their completion date: this share were given a later one (assigned again).
SHARE_EXTENDED = 0.65
EXTENDED_DAYS = (30, 120)
# Community forums now and then not held in an older period.
SHARE_FORUMS_MISSED = 0.04

# fmt: off
# Residents' opinions by category: (text, what was done). "{estate}" is where it was raised.
RESIDENT_TEMPLATES: dict[str, tuple[tuple[str, str], ...]] = {
    "实事工程": (
        ("{estate}雨污管网老化，雨天楼道口经常返水，希望纳入改造",
         "纳入街道老旧小区综合改造项目，完成雨污分流管网改造，雨天不再返水"),
        ("{estate}没有电动自行车集中充电点，希望增设充电桩",
         "协调物业和运营企业在小区东门增设电动自行车充电桩40个，已投入使用"),
        ("{estate}健身器材年久失修，存在安全隐患，希望更换", "城管科会同社区更换健身器材8件，设置使用说明牌"),
        ("{estate}部分单元希望加装电梯，请社区帮助协调", "社区组织楼道协商会，协助完成意见征询和报批，电梯已开工建设"),
        ("{estate}门口人行道坑洼不平，老人出行容易绊倒", "城管科组织对人行道破损路面进行修补，共修复约300平方米"),
    ),
    "治安状况": (
        ("{estate}消防通道经常被车辆占用，希望加强管理",
         "社区联合物业施划消防通道标线、安装警示牌，平安办组织夜间巡查"),
        ("{estate}围墙有缺口，外来人员随意进出，担心安全",
         "物业修补围墙缺口并在出入口加装人脸识别门禁，社区民警加强巡逻"),
        ("{estate}楼道堆放杂物较多，存在火灾隐患", "组织楼道杂物清理专项行动，清理杂物20余车，建立每月巡查制度"),
        ("近期有老人接到诈骗电话，希望多开展防诈骗宣传", "平安办联合派出所在社区开展防诈骗讲座3场，上门发放宣传资料"),
        ("{estate}部分监控探头损坏，夜间出入口看不清", "物业更换损坏探头12个，监控画面接入社区平安驿站"),
    ),
    "交通秩序": (
        ("{estate}门口早晚高峰车辆乱停，出行不便", "城管科在小区门口施划禁停标线，早晚高峰安排协管员疏导"),
        ("{estate}周边共享单车乱停放，占用盲道", "城管科约谈共享单车运营企业，设置规范停放点并每日清理"),
        ("希望在{estate}门口路段增设人行横道和减速带", "经交警部门现场勘查，增设减速带两处和警示标志"),
        ("{estate}夜间停车难，希望利用周边道路设置夜间停车位", "协调周边单位夜间开放停车位60个，居民错时停车"),
    ),
    "环境卫生": (
        ("{estate}垃圾分类投放点夏天异味大，希望增加清洗次数",
         "督促物业每日清洗投放点两次并加装除臭设备，异味明显减少"),
        ("{estate}绿化带里有居民种菜，影响环境", "社区上门劝导，会同物业清理绿地种菜12处并恢复绿化"),
        ("{estate}旁边河道有垃圾漂浮，希望及时清理", "城管科通知河道保洁单位加密保洁频次，河面垃圾已清理"),
        ("{estate}有居民在楼顶养鸽子，粪便污染楼道", "社区与养鸽户沟通，鸽舍已拆除，楼道已清洗"),
        ("{estate}楼道小广告多，希望清理", "物业清理楼道小广告，设置便民信息张贴栏"),
    ),
    "市容市貌": (
        ("{estate}沿街店铺占道经营，影响通行", "城管科开展沿街店铺专项整治，劝导商户入店经营并签订门前三包责任书"),
        ("{estate}外墙空调外机支架锈蚀，担心坠落", "组织专业单位排查外机支架，更换锈蚀支架36个"),
        ("{estate}围墙破损、墙面脱落，影响小区形象", "结合市容提升工程完成围墙修缮和立面粉刷"),
        ("{estate}周边架空线缆杂乱，希望整治", "协调通信运营商完成“上改下”整治，清理废弃线缆"),
    ),
    "社会保障": (
        ("希望社区为高龄独居老人提供助餐服务", "社区老年食堂开通送餐上门服务，首批18位高龄独居老人受益"),
        ("残疾人家庭希望了解就业帮扶政策", "社会事务科上门讲解政策，推荐2名残疾人到辖区企业就业"),
        ("{estate}老人多，希望开设老年食堂", "在社区服务中心开设老年食堂助餐点，每天供应午餐"),
        ("希望增加居家养老上门服务的次数", "协调养老服务机构将上门服务调整为每周两次"),
    ),
    "社区服务": (
        ("希望社区周末也开放，方便上班族办事", "社区实行周末轮值，周六上午开放便民服务窗口"),
        ("{estate}快递柜不够用，快递堆放在门岗", "协调快递企业在小区增设快递柜两组"),
        ("希望在{estate}附近开设四点半课堂，解决孩子放学后无人照看",
         "社区联合大学生志愿者开设四点半课堂，每周一至周五开放"),
        ("希望社区卫生服务站增加上门配药服务", "社区卫生服务站为行动不便的老人开通每月上门配药服务"),
    ),
    "社区建设": (
        ("{estate}物业服务质量下降，希望社区督促整改", "社区召集业委会、物业三方协调会，物业制定整改清单并按月公示"),
        ("{estate}业委会换届迟迟没有启动，希望社区指导", "社区成立换届指导小组，业委会已完成换届选举"),
        ("{estate}维修资金使用情况不透明，希望公示", "指导业委会在小区公告栏和业主群公示维修资金收支明细"),
        ("希望扩大社区活动用房，方便开展文体活动", "调剂街道闲置用房200平方米用作社区文体活动室"),
    ),
    "精神文明": (
        ("{estate}部分居民遛狗不牵绳，希望开展文明养犬宣传", "社区开展文明养犬宣传月活动，设置宣传牌并组织志愿者劝导"),
        ("希望社区多组织邻里节活动，增进邻里关系", "社区举办邻里节，组织百家宴和邻里才艺展示"),
        ("{estate}高空抛物时有发生，希望加强宣传教育", "社区开展高空抛物专题宣传，物业加装高空监控探头"),
        ("希望设立志愿服务积分，鼓励居民参与志愿服务", "社区推出志愿服务积分兑换，已有200余名居民注册"),
    ),
}
# What residents were told when it could not be done, by category.
RESIDENT_EXPLANATIONS: dict[str, tuple[str, ...]] = {
    "实事工程": (
        "经现场踏勘，该处场地受限且涉及地下管线迁移，暂不具备实施条件，已纳入街道项目储备库，并向居民当面做好解释",
        "经区住建部门评估，该小区已列入下一年度改造计划，今年暂无法实施，已向居民说明时间安排",
    ),
    "治安状况": ("该处属于市政道路，由交警部门统一管理，已将诉求转交并向居民解释办理渠道",),
    "交通秩序": (
        "经交警部门现场勘查，该路段距路口过近，不符合设置条件，已向居民解释并增设警示标志",
        "周边道路为城市主干道，不允许设置停车位，已向居民说明并推荐附近公共停车场",
    ),
    "环境卫生": ("投放点位置受场地限制无法整体搬迁，已要求物业增加清洗频次，并向居民做好解释",),
    "市容市貌": ("该建筑属于私人产权，需业主自行维修，社区已告知业主并向反映人做好解释",),
    "社会保障": ("经核查，反映人家庭收入超过救助标准，不符合申请条件，已讲解政策并告知其他帮扶渠道",),
    "社区服务": ("受场地和人员限制暂无法实现，社区已向居民说明，并提供线上预约办理方式",),
    "社区建设": ("该事项属于业主大会决定事项，社区无权代为决定，已向居民解释并指导依法召开业主大会",),
    "精神文明": ("已纳入社区年度活动计划，近期暂无法安排，已向居民说明",),
}

# The difficulties the visit diary writes down (visits.demo) that are opinions about the place, not about one
# household: (category, what was done). A visit that wrote one of these is linked to the opinion it became.
VISIT_DIFFICULTIES: dict[str, tuple[str, str]] = {
    "楼道灯坏了，晚上上下楼不方便": ("社区服务", "督促物业更换楼道感应灯，已恢复照明"),
    "家门口下水道堵塞，有异味": ("环境卫生", "物业已疏通下水道并检查周边管道，异味消除"),
    "电动车充电难，楼道里私拉电线": ("实事工程", "小区增设电动自行车充电桩，楼道私拉电线已全部清理"),
    "单元楼希望加装电梯": ("实事工程", "协助完成加装电梯意见征询和报批，电梯已开工建设"),
    "外墙渗水，家中墙面发霉": ("社区建设", "协调动用维修资金修补外墙防水，住户家中不再渗水"),
    "单元门口垃圾桶满溢": ("环境卫生", "物业将清运频次增加到每日两次，满溢现象已改善"),
    "小区晚上停车难": ("交通秩序", "协调周边单位夜间开放停车位，居民错时停车"),
    "希望社区多组织老年人活动": ("社区服务", "社区开设老年兴趣班，每周组织活动两次"),
    "想申请居家养老服务": ("社会保障", "协助老人完成居家养老服务申请，服务人员已按月上门"),
    "小区停车位紧张，夜间车辆乱停": ("交通秩序", "施划停车泊位并实行夜间错时停车，乱停现象明显减少"),
    "消防通道被杂物占用": ("治安状况", "督促物业清理消防通道杂物，设置禁停警示牌，平安办复查合格"),
    "垃圾分类投放点异味大": ("环境卫生", "物业增加投放点清洗频次并加装除臭设备"),
    "老旧小区雨污管网需要改造": ("实事工程", "纳入街道年度实事工程，完成雨污管网改造"),
    "小区多处路灯损坏": ("社区建设", "物业更换损坏路灯15盏，小区夜间照明恢复"),
    "快递柜不够用，快递堆放在门岗": ("社区服务", "协调快递企业增设快递柜，门岗不再堆放快递"),
    "加装电梯居民意见不统一": ("社区建设", "组织楼道协商会三次，达成加装意向，进入报批程序"),
    "维修资金使用审批流程长": ("社区建设", "协调区住建部门开通维修资金应急使用通道，审批时间缩短"),
    "业委会与物业在续聘问题上有分歧": ("社区建设", "社区组织业委会、物业三方协调会，双方就服务标准达成一致"),
    "部分业主违规搭建，劝阻无效": ("市容市貌", "城管科依法下达整改通知，违规搭建已拆除"),
    "辖区背街小巷环境需要整治": ("市容市貌", "列入城管科背街小巷整治计划，完成路面修补和立面整治"),
    "社区用房紧张，活动场地不足": ("社区建设", "调剂街道闲置用房供社区开展活动"),
}
# Who raised an opinion heard on a visit, by the kind of visit.
VISIT_RAISED_BY = {
    Visit.Kind.DOOR_TO_DOOR: ("住户", "户主", "住户家属"),
    Visit.Kind.CARING: ("住户",),
    Visit.Kind.ESTATE: ("楼道长", "居民代表", "物业项目经理"),
    Visit.Kind.OWNERS_COMMITTEE: ("业委会主任", "业委会委员"),
    Visit.Kind.PROPERTY_COMPANY: ("物业公司经理", "项目经理"),
    Visit.Kind.LEADERSHIP: ("社区书记", "社区主任"),
}

# Enterprises' problems: the enterprise visits' difficulties, and more of the same for years with fewer visits.
ENTERPRISE_PROBLEMS: dict[str, tuple[str, str]] = {
    "招工难，一线员工流失多": ("实际困难", "对接街道就业服务站，通过两场专场招聘会为企业招到一线员工12名"),
    "办公用房租金上涨，想了解人才房政策": ("扶持建议", "协助企业申报区人才租房补贴，3名员工已获批"),
    "员工子女入学咨询": ("实际困难", "联系区教育局，协助2名员工子女办理就近入学"),
    "企业门前停车难": ("营商环境", "城管科在企业门前支路施划临时停车泊位10个"),
    "惠企补贴申报流程不清楚": ("扶持建议", "经济发展科上门辅导，企业已完成惠企补贴申报并获批"),
    "希望对接高校开展技术合作": ("扶持建议", "牵线辖区高校科技处，企业与高校签订技术合作协议"),
    "周边道路施工影响经营": ("营商环境", "协调施工单位优化围挡、开放临时通道，并在路口设置企业指引牌"),
    "融资难，想了解贷款贴息政策": ("实际困难", "对接区金融办和合作银行，企业获得贷款并享受贴息"),
    "希望协助办理消防验收手续": ("营商环境", "协调消防部门提前上门指导，企业一次性通过消防验收"),
    "员工通勤不便，希望增开公交线路": ("实际困难", "向区交通部门反映，早晚高峰已增开公交微循环线路"),
}
ENTERPRISE_EXPLANATIONS: dict[str, tuple[str, ...]] = {
    "实际困难": ("经核查，企业暂不符合相关扶持政策条件，已向企业负责人讲解政策并提供其他解决渠道",),
    "扶持建议": ("该事项属于区级审批权限，街道已将企业诉求转报区相关部门，并向企业说明办理进度",),
    "营商环境": ("企业门前道路为城市主干道，不允许设置停车泊位，已协调周边停车场为企业员工提供包月优惠",),
}
ENTERPRISE_RAISED_BY = ("企业负责人", "总经理", "行政主管")

# Paired villages' problems: (category, what was done).
VILLAGE_PROBLEMS: dict[str, tuple[str, str]] = {
    "村道部分路段需要修缮": ("实事工程", "安排结对帮扶资金8万元，完成村道修缮1.2公里"),
    "村里茶叶、笋干销路不畅": ("实事工程", "组织街道机关和社区开展消费帮扶，帮助销售茶叶、笋干等农产品"),
    "留守老人照护难": ("社会保障", "对接社会组织在村里开设老年食堂，定期上门探访留守老人"),
    "村文化礼堂设施陈旧，希望帮助更新": ("精神文明", "结对帮扶资金用于文化礼堂音响、桌椅更新"),
    "希望帮助开展农村电商培训": ("社区服务", "联系辖区电商企业到村开展电商直播培训两期"),
    "希望组织村干部到街道社区学习交流": ("社区建设", "组织村两委干部到街道社区跟班学习一周"),
}
VILLAGE_EXPLANATIONS = ("项目资金需求超出年度结对帮扶资金额度，已协助村里向上级申报专项资金，并向村干部做好解释",)
VILLAGE_RAISED_BY = ("村党支部书记", "村委会主任")

# Where a category goes when it is assigned: (department, share of a community's opinions the community handles).
ROUTES: dict[str, tuple[str, float]] = {
    "实事工程": ("社区建设科", 0.2),
    "治安状况": ("平安办", 0.3),
    "交通秩序": ("城管科", 0.2),
    "环境卫生": ("城管科", 0.5),
    "市容市貌": ("城管科", 0.2),
    "社会保障": ("社会事务科", 0.4),
    "社区服务": ("社会事务科", 0.7),
    "社区建设": ("社区建设科", 0.5),
    "精神文明": ("党建办", 0.6),
}
ENTERPRISE_DEPARTMENT = "经济发展科"
VILLAGE_DEPARTMENT = "党建办"
# Days from assignment to the completion date: long for projects, short for the rest.
DUE_DAYS = {"实事工程": (60, 180), "社区建设": (30, 120)}
DUE_DAYS_DEFAULT = (10, 45)
DUE_DAYS_ENTERPRISE = (15, 60)

SURNAMES = "王陈张李徐吴周沈金杨朱胡刘黄俞钱方叶孙赵郑何蒋林"
TITLES = ("先生", "女士", "阿姨", "师傅", "大伯")

COMMUNITY_TOPICS = (
    "老旧小区综合改造意见征集", "垃圾分类工作推进", "加装电梯协商", "小区停车管理", "居家养老服务",
    "平安社区建设", "小区环境整治", "文明城市创建", "物业服务质量评议", "防汛防台准备", "电动自行车安全充电",
    "社区年度民生实事项目征集", "邻里节活动筹备",
)
COOPERATIVE_TOPICS = (
    "合作社年度经营情况通报", "安置房小区管理", "集体物业出租管理", "垃圾分类工作推进", "平安村社建设",
)
DEPUTIES_TOPICS = (
    "社情民意通报与意见征集", "老旧小区改造和加装电梯", "基层治理与平安建设", "营商环境优化", "养老服务体系建设",
    "城市管理与环境整治",
)
# Who comes, by kind: (deputies, CPPCC members, party members, retired employees, united-front figures, residents).
ATTENDANCE: dict[str, tuple[tuple[int, int], ...]] = {
    "residents_forum": ((4, 8), (3, 6), (15, 25), (8, 15), (3, 6), (40, 70)),
    "deputies_forum": ((8, 15), (6, 12), (0, 3), (0, 2), (1, 3), (0, 5)),
    "community_forum": ((0, 1), (0, 1), (3, 8), (1, 5), (0, 2), (8, 25)),
}
ATTENDEE_LABELS = ("人大代表", "政协委员", "党员", "企退人员", "统战人员", "居民群众")

# Topic meetings: (days before today, chair, title, categories, decisions). The article's examples are added to the
# one marked None; the others take up opinions of their categories.
TOPIC_MEETINGS = (
    (560, "leader", "研究老旧小区加装电梯和雨污管网改造",
     ("实事工程", "社区建设"),
     "一、加装电梯由社区建设科牵头，社区逐楼组织协商，符合条件的年内完成报批；二、雨污管网改造纳入街道年度实事工程，"
     "城管科配合施工期间的交通组织；三、相关社区每月报送进度。"),
    (400, "deputy", "研究背街小巷环境整治和垃圾分类问题",
     ("环境卫生", "市容市貌"),
     "一、城管科制定背街小巷整治清单，逐条明确责任人和完成时限；二、督促物业落实垃圾分类投放点清洗保洁；"
     "三、整治结果由社区组织居民代表评议。"),
    (260, "leader", "研究辖区企业诉求办理",
     ("实际困难", "扶持建议", "营商环境"),
     "一、企业诉求由经济发展科统一建立台账，一企一档；二、涉及区级部门的事项由分管领导协调，两周内答复企业；"
     "三、办理结果向企业回访。"),
    (None, "deputy", "研究居民晾晒、休憩设施等民生诉求",
     ("市容市貌", "实事工程"),
     "一、香港城小区公共晾衣架由城管科牵头现场踏勘、提出方案，街道落实资金，尽快建成；二、文新小学对面增设座椅，"
     "由城管科现场测量后提出处理意见，不具备条件的向居民做好解释；三、其余事项按分工限期办理。"),
    (20, "deputy", "研究小区停车和电动自行车充电安全问题",
     ("交通秩序", "治安状况", "实事工程"),
     "一、城管科会同平安办开展小区停车秩序和消防通道专项整治；二、电动自行车充电设施建设由社区建设科牵头，"
     "各社区摸清需求；三、各责任人按期限办结并报分管领导。"),
)
# fmt: on

# The article's examples, about five months before today, studied by the topic meeting above ten days later.
EXAMPLE_DAYS_AGO = 150
EXAMPLE_TOPIC_AFTER = 12
DRYING_RACK = (
    "香港城小区住户多，阳台晾晒空间有限，居民希望在小区内设置公共晾衣架，方便晾晒被褥",
    "现场踏勘、提出方案、落实资金，已建成公共晾衣架，居民晾晒被褥更方便了",
)
BENCHES = (
    "文新小学对面人行道边希望增设几张座椅，方便接送孩子的老人休息",
    "现场测量后提出处理意见，并向居民做好解释：文新小学对面人行道宽度不足，增设座椅会影响学生上下学通行安全，"
    "暂不具备设置条件；已在附近街心公园增设休息座椅，并当面告知反映人",
)
EXAMPLE_ESTATE = "香港城"
EXAMPLE_SCHOOL_COMMUNITY = "文新社区"


# --- What the step reads ----------------------------------------------------------------------------------------


@dataclass
class _People:
    """The demo's users by what they do here: demo.users, and one query for who oversees which department."""

    leader: User
    community_leader: dict[int, User]
    social_workers: dict[int, list[User]]
    chiefs: dict[int, list[User]]
    staff: dict[int, list[User]]
    overseer: dict[int, User]
    street_recorder: User
    by_username: dict[str, User]

    @classmethod
    def of(cls, demo: Demo) -> _People:
        users = sorted(demo.users.values(), key=lambda u: u.username)
        leaders = [u for u in users if u.role == Role.STREET_LEADER]
        community_leader: dict[int, User] = {}
        social_workers: dict[int, list[User]] = defaultdict(list)
        chiefs: dict[int, list[User]] = defaultdict(list)
        staff: dict[int, list[User]] = defaultdict(list)
        for user in users:
            if user.role == Role.COMMUNITY_LEADER and user.community_id:
                community_leader.setdefault(user.community_id, user)
            elif user.role == Role.SOCIAL_WORKER and user.community_id:
                social_workers[user.community_id].append(user)
            elif user.role == Role.SECTION_CHIEF and user.department_id:
                chiefs[user.department_id].append(user)
            elif user.role == Role.DEPARTMENT_STAFF and user.department_id:
                staff[user.department_id].append(user)
        by_pk = {u.pk: u for u in users}
        overseer: dict[int, User] = {}
        for user_id, department_id in (
            User.overseen_departments.through.objects.filter(user_id__in=list(by_pk))
            .order_by("user_id", "department_id")
            .values_list("user_id", "department_id")
        ):
            overseer.setdefault(department_id, by_pk[user_id])
        office = demo.departments.get("党政办")
        recorders = (staff.get(office.pk) if office else None) or [u for u in users if u.sees_whole_street]
        return cls(
            leader=demo.users.get("leader") or leaders[0],
            community_leader=community_leader,
            social_workers=social_workers,
            chiefs=chiefs,
            staff=staff,
            overseer=overseer,
            street_recorder=recorders[0],
            by_username=demo.users,
        )

    def dispatcher(self, department_id: int | None) -> User:
        """Who sorts what no community sorts: the department's chief, or the street's leader."""
        chiefs = self.chiefs.get(department_id or 0)
        return chiefs[0] if chiefs else self.leader


@dataclass(frozen=True)
class _VisitRow:
    pk: int
    kind: str
    community_id: int | None
    day: datetime.date
    estate_id: int | None
    enterprise_id: int | None
    village_id: int | None
    visitor_id: int
    difficulty: str


def _visits(demo: Demo) -> list[_VisitRow]:
    """The visits whose difficulty became an opinion, in one query (about 20,000 rows at 100,000 households)."""
    wanted = [*VISIT_DIFFICULTIES, *ENTERPRISE_PROBLEMS, *VILLAGE_PROBLEMS]
    rows = (
        Visit.objects.filter(street=demo.street, difficulty__in=wanted, visited_on__lt=demo.today)
        .order_by("visited_on", "pk")
        .values_list(
            "pk",
            "kind",
            "community_id",
            "visited_on",
            "estate_id",
            "household__estate_id",
            "enterprise_id",
            "paired_village_id",
            "visitor_id",
            "difficulty",
        )
    )
    return [
        _VisitRow(pk, kind, community, day, estate or household_estate, enterprise, village, visitor, difficulty)
        for pk, kind, community, day, estate, household_estate, enterprise, village, visitor, difficulty in rows
    ]


# The defaults live in the migration that seeds them; its module name starts with a digit.
_SEEDED = importlib.import_module("feedback.migrations.0002_default_kinds_and_categories")
DEFAULT_MEETING_KINDS = _SEEDED.DEFAULT_MEETING_KINDS
DEFAULT_CATEGORIES = _SEEDED.DEFAULT_CATEGORIES


def _kinds() -> dict[str, MeetingKind]:
    """The kinds by code; migration feedback/0002 seeds them, and a deleted one is recreated."""
    found = {k.code: k for k in MeetingKind.objects.filter(code__in=[row[0] for row in DEFAULT_MEETING_KINDS])}
    for order, (code, name, held_by, host, cadence) in enumerate(DEFAULT_MEETING_KINDS):
        if code not in found:
            found[code] = MeetingKind.objects.create(
                code=code, name=name, held_by=held_by, host=host, cadence_months=cadence, sort_order=order
            )
    return found


def _categories() -> dict[str, OpinionCategory]:
    """The categories by name; migration feedback/0002 seeds them, and a deleted one is recreated."""
    found = {c.name: c for c in OpinionCategory.objects.filter(name__in=[row[0] for row in DEFAULT_CATEGORIES])}
    for order, (name, group) in enumerate(DEFAULT_CATEGORIES):
        if name not in found:
            found[name] = OpinionCategory.objects.create(name=name, group=group, sort_order=order * 10)
    return found


# --- The plan in memory -----------------------------------------------------------------------------------------


@dataclass
class _Step:
    """One OpinionEvent to be written; the note of a split waits for the parts' numbers."""

    from_status: str
    to_status: str
    actor: User | None
    at: datetime.datetime
    note: str = ""


@dataclass(eq=False)
class _MeetingPlan:
    meeting: Meeting
    opinions: list[_Plan] = field(default_factory=list)


@dataclass(eq=False)
class _TopicPlan:
    topic: TopicMeeting
    chair: User
    day: datetime.date


@dataclass(eq=False)
class _Plan:
    """One opinion as planned: where it came from, what it says, how far it got, and its history."""

    group: str
    source: str
    day: datetime.date
    text: str
    category: str | None
    resolution: str
    community_id: int | None = None
    estate_id: int | None = None
    location: str = ""
    raised_by: str = ""
    contact: str = ""
    visit_id: int | None = None
    meeting: _MeetingPlan | None = None
    enterprise_id: int | None = None
    village_id: int | None = None
    created_by: User | None = None
    hours: tuple[int, int] = (9, 17)
    parent: _Plan | None = None
    parts: list[_Plan] = field(default_factory=list)
    tracking_code: str | None = None
    # Decided later: the state it has reached, the assignment, the topic meeting, the history.
    status: str = ""
    fixed: bool = False
    explanation: str = ""
    department_id: int | None = None
    leader_in_charge: User | None = None
    responsible: User | None = None
    assigner: User | None = None
    due_on: datetime.date | None = None
    topic: _TopicPlan | None = None
    steps: list[_Step] = field(default_factory=list)
    opinion: Opinion | None = None

    @property
    def base_day(self) -> datetime.date:
        """The day it reached the street: a part's is its parent's."""
        return self.parent.day if self.parent else self.day


@dataclass
class _Context:
    demo: Demo
    people: _People
    kinds: dict[str, MeetingKind]
    categories: dict[str, OpinionCategory]
    estates: dict[int, list[Estate]]
    start: datetime.date
    last_day: datetime.date
    scale: float


# --- Small helpers ----------------------------------------------------------------------------------------------


def _workday(rng: random.Random, lo: datetime.date, hi: datetime.date) -> datetime.date | None:
    """A working day in lo..hi (any day if there is none), or None when hi is before lo."""
    if hi < lo:
        return None
    days = [lo + datetime.timedelta(days=n) for n in range((hi - lo).days + 1)]
    return rng.choice([d for d in days if d.weekday() < 5] or days)


def _any_day(rng: random.Random, lo: datetime.date, hi: datetime.date) -> datetime.date:
    return lo + datetime.timedelta(days=rng.randint(0, max(0, (hi - lo).days)))


def _period_start(day: datetime.date) -> datetime.date:
    """The first day of the two-month period (Jan–Feb, Mar–Apr …) a day is in, as the cadence calendar counts."""
    return day.replace(month=(day.month - 1) // 2 * 2 + 1, day=1)


def _months_later(month: datetime.date, months: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _moment(
    rng: random.Random, day: datetime.date, after: datetime.datetime | None, hours: tuple[int, int] = (8, 17)
) -> datetime.datetime:
    """A moment of a day in the site's time zone, later than `after`."""
    naive = datetime.datetime.combine(day, datetime.time(rng.randint(*hours), rng.randrange(60)))
    at = timezone.make_aware(naive)
    if after is not None and at <= after:
        at = after + datetime.timedelta(minutes=rng.randint(5, 30))
    return at


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(TITLES)


def _mobile(rng: random.Random) -> str:
    from households.demo import MOBILE_PREFIXES

    return f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"


def _by_weight(rng: random.Random, items: list, key) -> list:
    """items in a random order that puts heavier ones (key) first more often (Efraimidis–Spirakis)."""
    return sorted(items, key=lambda item: rng.random() ** (1 / max(1, key(item))), reverse=True)


# --- The step ---------------------------------------------------------------------------------------------------


def add_feedback(demo: Demo, rng: random.Random) -> None:
    """Meetings on their cadence, opinions in every state with their history, and topic meetings."""
    today = demo.today
    estates: dict[int, list[Estate]] = defaultdict(list)
    for estate in demo.estates:
        estates[estate.community_id].append(estate)
    ctx = _Context(
        demo=demo,
        people=_People.of(demo),
        kinds=_kinds(),
        categories=_categories(),
        estates=estates,
        start=_history_start(today, demo.years),
        last_day=today - datetime.timedelta(days=1),
        scale=len(demo.communities) / ARTICLE_COMMUNITIES * max(1.0, demo.households / HOUSEHOLDS_PER_ARTICLE_YEAR),
    )
    meetings_rng, opinions_rng, states_rng, history_rng = (random.Random(rng.getrandbits(64)) for _ in range(4))

    meetings = _plan_meetings(ctx, meetings_rng)
    plans = _plan_opinions(ctx, opinions_rng, meetings)
    examples = _plan_examples(ctx, opinions_rng, meetings, plans)
    leaves = [leaf for plan in plans for leaf in (plan.parts or [plan])]
    _decide_states(ctx, states_rng, leaves)
    topics = _plan_topics(ctx, states_rng, leaves, examples)
    for leaf in leaves:
        if leaf.status in (S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED, S.EXPLAINED) and not leaf.fixed:
            _route(ctx, states_rng, leaf)
    _give_showcase_tasks(ctx, leaves)
    for plan in plans:
        _walk(ctx, history_rng, plan)
    for meeting in meetings:
        meeting.meeting.minutes = _minutes(ctx, meetings_rng, meeting)
    _write(ctx, meetings, topics, plans)

    opinions = [leaf for plan in plans for leaf in (plan, *plan.parts)]
    statuses = defaultdict(int)
    for plan in opinions:
        statuses[plan.status] += 1
    overdue = sum(1 for p in opinions if p.status in Opinion.ASSIGNED_STATUSES and p.due_on and p.due_on < today)
    demo.counts.update(
        {
            "听取会议": len(meetings),
            "其中村社民情恳谈会": sum(1 for m in meetings if m.meeting.community_id),
            "意见建议": len(opinions),
            "其中分解出的子项": sum(len(plan.parts) for plan in plans),
            "其中已解决": statuses[S.RESOLVED],
            "其中已解释": statuses[S.EXPLAINED],
            "其中办理中（含已交办）": statuses[S.ASSIGNED] + statuses[S.IN_PROGRESS],
            "其中逾期未办结": overdue,
            "其中待梳理、待交办": statuses[S.NEW] + statuses[S.SORTED],
            "专题会议": len(topics),
            "意见办理记录": sum(len(plan.steps) for plan in opinions),
        }
    )
    benches = examples.get("benches")
    if benches and benches.tracking_code:
        demo.notes.append(
            f"网上意见查询：在 /opinion/track/ 输入查询码 {benches.tracking_code}，"
            f"可查看“文新小学对面增设座椅”的办理情况（{S(benches.status).label}）。"
        )


# --- Meetings ---------------------------------------------------------------------------------------------------


def _plan_meetings(ctx: _Context, rng: random.Random) -> list[_MeetingPlan]:
    """Every meeting held on the cadence, with the misses the docstring describes, in date order."""
    demo, people, kinds = ctx.demo, ctx.people, ctx.kinds
    start, last_day, today = ctx.start, ctx.last_day, demo.today
    plans: list[_MeetingPlan] = []

    def add(code: str, community: Community | None, day: datetime.date, place: str, host: str, topic: str, by: User):
        counts = [rng.randint(*span) for span in ATTENDANCE[code]]
        meeting = Meeting(
            street=demo.street,
            community=community,
            kind=kinds[code],
            held_on=day,
            place=place,
            host_unit=host,
            topic=topic,
            recorded_by=by,
            **dict(zip(Meeting.ATTENDEE_FIELDS, counts, strict=True)),
        )
        plans.append(_MeetingPlan(meeting))

    street_name = demo.street.name
    # The residents' representatives forum, early in each year.
    for year in range(start.year, last_day.year + 1):
        lo = max(start, datetime.date(year, 1, 1))
        day = _workday(rng, lo, min(datetime.date(year, 12, 31), lo + datetime.timedelta(days=100)))
        if day and day <= last_day:
            add(
                "residents_forum",
                None,
                day,
                f"{street_name}办事处三楼大会议室",
                f"{street_name}党工委、办事处",
                f"{year}年度民生实事项目征集和街道工作意见建议",
                people.street_recorder,
            )
    # The deputies' and CPPCC members' forum each quarter, except last quarter.
    skipped = Quarter.containing(today).previous()
    quarter = Quarter.containing(start)
    while quarter.start <= last_day:
        day = _workday(rng, max(start, quarter.start), quarter.end)
        if quarter != skipped and day and day <= last_day:
            place = rng.choice((f"{street_name}人大代表联络站", f"{street_name}政协委员会客厅"))
            add(
                "deputies_forum",
                None,
                day,
                place,
                f"{street_name}人大工委、政协联络组",
                rng.choice(DEPUTIES_TOPICS),
                people.street_recorder,
            )
        quarter = quarter.next()
    # Every community's and cooperative's forum each two months; two units missed the last two periods.
    communities = ctx.demo.communities
    current = _period_start(today)
    previous = _months_later(current, -2)
    missing = {communities[1].pk, communities[-1].pk} if len(communities) >= 3 else set()
    period = _period_start(start)
    while period <= last_day:
        end = _months_later(period, 2) - datetime.timedelta(days=1)
        for community in communities:
            day = _workday(rng, max(start, period), end)
            if community.pk in missing and period >= previous:
                continue
            if period < previous and rng.random() < SHARE_FORUMS_MISSED:
                continue
            if day is None or day > last_day:
                continue
            estates = ctx.estates.get(community.pk) or []
            places = [f"{community.name}党群服务中心会议室", f"{community.name}居民议事厅"]
            places += [f"{e.name}小区会所" for e in estates[:2]]
            cooperative = community.kind == Community.Kind.COOPERATIVE
            host = community.name if cooperative else f"{community.name}党委、居委会"
            topic = rng.choice(COOPERATIVE_TOPICS if cooperative else COMMUNITY_TOPICS)
            workers = people.social_workers.get(community.pk, [])
            leader = people.community_leader.get(community.pk)
            by = (
                leader if leader and (rng.random() < 0.6 or not workers) else (rng.choice(workers) if workers else None)
            )
            add("community_forum", community, day, rng.choice(places), host, topic, by or people.leader)
        period = _months_later(period, 2)
    plans.sort(key=lambda m: (m.meeting.held_on, m.meeting.kind.sort_order))
    return plans


def _minutes(ctx: _Context, rng: random.Random, plan: _MeetingPlan) -> str:
    """The minutes: who came, what was discussed, the opinions collected and what happens to them."""
    meeting = plan.meeting
    counts = [getattr(meeting, name) for name in Meeting.ATTENDEE_FIELDS]
    groups = "、".join(f"{label}{n}名" for label, n in zip(ATTENDEE_LABELS, counts, strict=True) if n)
    code = meeting.kind.code
    if code == "residents_forum":
        leader = ctx.people.leader
        opening = (
            f"街道党工委书记{leader.full_name}主持会议，通报街道年度重点工作，围绕“{meeting.topic}”听取居民代表意见。"
        )
        closing = "会后由党政办梳理意见建议，按分工交办相关科室和村社限期办理，办理结果向居民代表反馈。"
    elif code == "deputies_forum":
        opening = f"座谈会围绕“{meeting.topic}”，听取人大代表、政协委员收集的社情民意。"
        closing = "会后由党政办梳理意见建议，按分工交办相关科室和村社限期办理，办理结果向代表委员反馈。"
    else:
        opening = f"{meeting.host_unit}召开民情恳谈会，围绕“{meeting.topic}”与居民协商议事。"
        closing = "能当场答复的当场作了答复，需要街道协调的梳理后报街道交办，办理结果在下次会议上通报。"
    attendance = f"参会人员：{groups}，共{meeting.attendee_total}人。"
    if plan.opinions:
        listed = "；".join(f"{number}. {opinion.text}" for number, opinion in enumerate(plan.opinions[:8], start=1))
        more = "等" if len(plan.opinions) > 8 else ""
        heard = f"会上收集意见建议{len(plan.opinions)}条：{listed}{more}。"
    else:
        heard = rng.choice(
            (
                "与会人员就议题充分发表意见，逐一作了答复，未形成需交办的事项。",
                "会议通报了前期意见建议的办理情况，与会人员表示满意。",
            )
        )
    return opening + attendance + heard + closing


# --- Opinions: what was raised ----------------------------------------------------------------------------------

# How often each category comes up among residents' opinions.
CATEGORY_WEIGHTS = {
    "实事工程": 3,
    "治安状况": 2,
    "交通秩序": 3,
    "环境卫生": 3,
    "市容市貌": 2,
    "社会保障": 2,
    "社区服务": 2,
    "社区建设": 2,
    "精神文明": 1,
}


def _resident_texts(rng: random.Random, estate: Estate | None, count: int) -> list[tuple[str, str, str]]:
    """`count` (text, category, what was done) of different categories, as a resident of the estate says them."""
    names = list(CATEGORY_WEIGHTS)
    chosen: list[str] = []
    while len(chosen) < count:
        name = rng.choices(names, weights=[CATEGORY_WEIGHTS[n] for n in names])[0]
        if name not in chosen:
            chosen.append(name)
    place = estate.name if estate else "小区"
    texts = []
    for name in chosen:
        text, resolution = rng.choice(RESIDENT_TEMPLATES[name])
        texts.append((text.format(estate=place), name, resolution))
    return texts


def _resident_plan(
    ctx: _Context, rng: random.Random, *, source: str, day: datetime.date, community: Community | None, **fields
) -> _Plan:
    """A resident's opinion from a meeting or online; now and then one that asks several things, split later."""
    estates = ctx.estates.get(community.pk, []) if community else []
    estate = rng.choice(estates) if estates else None
    split = rng.random() < SHARE_SPLIT
    texts = _resident_texts(rng, estate, rng.choice((2, 2, 3)) if split else 1)
    common = {
        "group": RESIDENT,
        "source": source,
        "day": day,
        "community_id": community.pk if community else None,
        "estate_id": estate.pk if estate else None,
        **fields,
    }
    if not split:
        text, category, resolution = texts[0]
        return _Plan(text=text, category=category, resolution=resolution, **common)
    numbers = "一二三"
    whole = "；".join(f"{numbers[i]}是{text}" for i, (text, _c, _r) in enumerate(texts))
    plan = _Plan(text=f"居民反映了几件事：{whole}。", category=None, resolution="", **common)
    # A part keeps where the whole came from (as services.opinion_split copies it), and its own text.
    plan.parts = [
        _Plan(text=text, category=category, resolution=resolution, parent=plan, **common)
        for text, category, resolution in texts
    ]
    return plan


def _plan_opinions(ctx: _Context, rng: random.Random, meetings: list[_MeetingPlan]) -> list[_Plan]:
    """Each year's opinions from every source, in the numbers of YEARLY, scaled to the part of the year covered."""
    demo, people = ctx.demo, ctx.people
    by_pk = {u.pk: u for u in demo.users.values()}
    visits = _visits(demo)
    enterprises = list(
        Enterprise.objects.filter(street=demo.street).order_by("pk").values_list("pk", "community_id", "is_active")
    )
    villages = list(
        PairedVillage.objects.filter(street=demo.street).order_by("pk").values_list("pk", "name", "location")
    )
    economy = demo.departments.get(ENTERPRISE_DEPARTMENT)
    party = demo.departments.get(VILLAGE_DEPARTMENT)
    economy_staff = (people.staff.get(economy.pk, []) + people.chiefs.get(economy.pk, [])) if economy else []
    party_staff = (people.staff.get(party.pk, []) + people.chiefs.get(party.pk, [])) if party else []
    communities = demo.communities
    plans: list[_Plan] = []

    for lo, hi, share in _year_spans(ctx.start, demo.today):
        hi = min(hi, ctx.last_day)
        if hi < lo:
            continue
        in_span = [v for v in visits if lo <= v.day <= hi]

        # Residents: on visits (the difficulty the visit wrote down), at meetings, online.
        wanted = round(YEARLY[RESIDENT][0] * share * ctx.scale) if communities else 0
        from_visits = [v for v in in_span if v.difficulty in VISIT_DIFFICULTIES and v.community_id]
        from_visits = sorted(
            rng.sample(from_visits, min(len(from_visits), round(wanted * SHARE_FROM_VISITS))),
            key=lambda v: (v.day, v.pk),
        )
        online = round(wanted * SHARE_ONLINE)
        held = [m for m in meetings if lo <= m.meeting.held_on <= hi]
        at_meetings = wanted - len(from_visits) - online if held else 0
        online = wanted - len(from_visits) - at_meetings
        for visit in from_visits:
            category, resolution = VISIT_DIFFICULTIES[visit.difficulty]
            plans.append(
                _Plan(
                    group=RESIDENT,
                    source=Opinion.Source.VISIT,
                    day=visit.day,
                    text=visit.difficulty,
                    category=category,
                    resolution=resolution,
                    community_id=visit.community_id,
                    estate_id=visit.estate_id,
                    raised_by=rng.choice(VISIT_RAISED_BY.get(visit.kind, ("居民",))),
                    visit_id=visit.pk,
                    created_by=by_pk.get(visit.visitor_id),
                    hours=(17, 19),
                )
            )
        weights = [{"residents_forum": 6, "deputies_forum": 2}.get(m.meeting.kind.code, 1) for m in held]
        for _number in range(at_meetings):
            meeting_plan = rng.choices(held, weights=weights)[0]
            meeting = meeting_plan.meeting
            community = meeting.community or rng.choice(communities)
            speaker = {"residents_forum": "居民代表", "deputies_forum": rng.choice(("人大代表", "政协委员"))}.get(
                meeting.kind.code, rng.choice(("居民代表", "党员代表", "楼道长"))
            )
            plan = _resident_plan(
                ctx,
                rng,
                source=Opinion.Source.MEETING,
                day=meeting.held_on,
                community=community,
                meeting=meeting_plan,
                raised_by=speaker + _person(rng),
                created_by=meeting.recorded_by,
                hours=(19, 20),
            )
            meeting_plan.opinions.append(plan)
            plans.append(plan)
        for _number in range(online):
            community = rng.choice(communities)
            plan = _resident_plan(
                ctx,
                rng,
                source=Opinion.Source.ONLINE,
                day=_any_day(rng, lo, hi),
                community=community,
                raised_by=_person(rng) if rng.random() < 0.5 else "",
                contact=_mobile(rng) if rng.random() < 0.6 else "",
                hours=(7, 21),
            )
            plans.append(plan)

        # Enterprises: the problems their visits raised, and more where the visits raised too few.
        wanted = round(YEARLY[ENTERPRISE][0] * share) if enterprises else 0
        raised = [v for v in in_span if v.difficulty in ENTERPRISE_PROBLEMS and v.enterprise_id]
        raised = sorted(rng.sample(raised, min(len(raised), wanted)), key=lambda v: (v.day, v.pk))
        enterprise_community = {pk: community for pk, community, _active in enterprises}
        active = [pk for pk, _community, is_active in enterprises if is_active] or [e[0] for e in enterprises]
        for number in range(wanted):
            visit = raised[number] if number < len(raised) else None
            if visit:
                text, day, enterprise_id = visit.difficulty, visit.day, visit.enterprise_id
                by = by_pk.get(visit.visitor_id)
            else:
                text, day, enterprise_id = rng.choice(list(ENTERPRISE_PROBLEMS)), _workday(rng, lo, hi), None
                enterprise_id = rng.choice(active)
                by = rng.choice(economy_staff) if economy_staff else people.leader
            category, resolution = ENTERPRISE_PROBLEMS[text]
            plans.append(
                _Plan(
                    group=ENTERPRISE,
                    source=Opinion.Source.ENTERPRISE,
                    day=day,
                    text=text,
                    category=category,
                    resolution=resolution,
                    community_id=enterprise_community.get(enterprise_id),
                    raised_by=rng.choice(ENTERPRISE_RAISED_BY),
                    enterprise_id=enterprise_id,
                    created_by=by,
                    hours=(17, 19),
                )
            )

        # Paired villages: what leaders heard on their visits, and more of the same.
        wanted = round(YEARLY[VILLAGE][0] * share) if villages else 0
        raised = [v for v in in_span if v.difficulty in VILLAGE_PROBLEMS and v.village_id]
        raised = sorted(rng.sample(raised, min(len(raised), wanted)), key=lambda v: (v.day, v.pk))
        village_places = {pk: f"{location}{name}" for pk, name, location in villages}
        for number in range(wanted):
            visit = raised[number] if number < len(raised) else None
            if visit:
                text, day, village_id, by = visit.difficulty, visit.day, visit.village_id, by_pk.get(visit.visitor_id)
            else:
                text, day = rng.choice(list(VILLAGE_PROBLEMS)), _workday(rng, lo, hi)
                village_id = rng.choice(villages)[0]
                by = rng.choice(party_staff) if party_staff else people.leader
            category, resolution = VILLAGE_PROBLEMS[text]
            plans.append(
                _Plan(
                    group=VILLAGE,
                    source=Opinion.Source.PAIRED_VILLAGE,
                    day=day,
                    text=text,
                    category=category,
                    resolution=resolution,
                    location=village_places[village_id],
                    raised_by=rng.choice(VILLAGE_RAISED_BY),
                    village_id=village_id,
                    created_by=by,
                    hours=(17, 19),
                )
            )
    return plans


def _plan_examples(
    ctx: _Context, rng: random.Random, meetings: list[_MeetingPlan], plans: list[_Plan]
) -> dict[str, _Plan]:
    """The article's examples: the drying rack at 香港城 (resolved), the benches opposite 文新小学 (explained)."""
    demo, people = ctx.demo, ctx.people
    if not demo.communities:
        return {}
    day = max(ctx.start, demo.today - datetime.timedelta(days=EXAMPLE_DAYS_AGO))
    estate = next((e for e in demo.estates if e.name == EXAMPLE_ESTATE), None)
    community = next((c for c in demo.communities if estate and c.pk == estate.community_id), demo.communities[0])
    forums = [m for m in meetings if m.meeting.community_id == community.pk and m.meeting.held_on <= day] or [
        m for m in meetings if m.meeting.held_on <= day
    ]
    forum = forums[-1] if forums else None
    urban = demo.departments.get("城管科")
    deputy = people.by_username.get("deputy") or people.overseer.get(urban.pk if urban else 0) or people.leader
    staff = people.by_username.get("staff")
    chiefs = people.chiefs.get(urban.pk, []) if urban else []

    rack = _Plan(
        group=RESIDENT,
        source=Opinion.Source.MEETING if forum else Opinion.Source.ONLINE,
        day=forum.meeting.held_on if forum else day,
        text=DRYING_RACK[0],
        category="实事工程",
        resolution=DRYING_RACK[1],
        community_id=community.pk,
        estate_id=estate.pk if estate else None,
        location="香港城小区中心绿地旁" if estate else "香港城",
        raised_by="居民代表" + _person(rng),
        meeting=forum,
        created_by=forum.meeting.recorded_by if forum else None,
        hours=(19, 20),
    )
    school = next((c for c in demo.communities if c.name == EXAMPLE_SCHOOL_COMMUNITY), community)
    benches = _Plan(
        group=RESIDENT,
        source=Opinion.Source.ONLINE,
        day=min(ctx.last_day, rack.day + datetime.timedelta(days=3)),
        text=BENCHES[0],
        category="市容市貌",
        resolution="",
        community_id=school.pk,
        location="文新小学对面人行道",
        raised_by="李阿姨",
        contact=_mobile(rng),
        hours=(7, 21),
    )
    benches.explanation = BENCHES[1]
    if forum:
        forum.opinions.append(rack)
    for plan, status, responsible in ((rack, S.RESOLVED, staff), (benches, S.EXPLAINED, chiefs[0] if chiefs else None)):
        plan.status, plan.fixed = status, True
        plan.department_id = urban.pk if urban else None
        plan.leader_in_charge = deputy
        plan.responsible = responsible or deputy
        plan.assigner = deputy
        plans.append(plan)
    return {"rack": rack, "benches": benches}


# --- Opinions: how far each got ---------------------------------------------------------------------------------


def _limit(ctx: _Context, plan: _Plan) -> datetime.date:
    """The last day its history may reach: yesterday, or the end of its own year for an earlier year's opinion, so a
    year's figures (collected, solved) stay that year's."""
    return min(ctx.last_day, datetime.date(plan.base_day.year, 12, 31))


def _decide_states(ctx: _Context, rng: random.Random, leaves: list[_Plan]) -> None:
    """The state each problem has reached: the newest wait, this year's close as the article's figures say, earlier
    years' mostly closed; the rest are assigned or being worked on."""
    today = ctx.demo.today

    def age(plan: _Plan) -> int:
        return (today - plan.base_day).days

    free = [p for p in leaves if not p.fixed]
    fresh = [p for p in free if p.parent is None and age(p) <= WAITING_NEW_DAYS]
    rng.shuffle(fresh)
    for plan in fresh[:WAITING_NEW]:
        plan.status = S.NEW
    recent = [p for p in free if not p.status and age(p) <= WAITING_SORTED_DAYS]
    rng.shuffle(recent)
    for plan in recent[:WAITING_SORTED]:
        plan.status = S.SORTED

    shares = {lo.year: share for lo, _hi, share in _year_spans(ctx.start, today)}
    groups: dict[tuple[int, str], list[_Plan]] = defaultdict(list)
    for plan in free:
        if not plan.status:
            groups[(plan.base_day.year, plan.group)].append(plan)
    for (year, group), plans in sorted(groups.items(), key=lambda item: item[0]):
        if year == ctx.last_day.year:
            _collected, resolved, explained = YEARLY[group]
            factor = shares.get(year, 1.0) * (ctx.scale if group == RESIDENT else 1.0)
            fixed = [p for p in leaves if p.fixed and p.group == group and p.base_day.year == year]
            resolved = max(0, round(resolved * factor) - sum(p.status == S.RESOLVED for p in fixed))
            explained = max(0, round(explained * factor) - sum(p.status == S.EXPLAINED for p in fixed))
            # The older an opinion, the likelier it is closed.
            closable = _by_weight(rng, [p for p in plans if age(p) >= 12], key=age)
            for plan in closable[:resolved]:
                plan.status = S.RESOLVED
            for plan in closable[resolved : resolved + explained]:
                plan.status = S.EXPLAINED
        else:
            for plan in plans:
                roll = rng.random()
                if roll < EARLIER_RESOLVED:
                    plan.status = S.RESOLVED
                elif roll < EARLIER_RESOLVED + EARLIER_EXPLAINED:
                    plan.status = S.EXPLAINED
        for plan in plans:
            if not plan.status:
                fresh_share = 0.5 if age(plan) <= 20 else 0.2
                plan.status = S.ASSIGNED if rng.random() < fresh_share else S.IN_PROGRESS


def _plan_topics(
    ctx: _Context, rng: random.Random, leaves: list[_Plan], examples: dict[str, _Plan]
) -> list[_TopicPlan]:
    """Topic meetings that take up opinions sorted in the weeks before and assign them in the days after."""
    demo, people = ctx.demo, ctx.people
    topics: list[_TopicPlan] = []
    for days_ago, chair_name, title, categories, decisions in TOPIC_MEETINGS:
        chair = people.by_username.get(chair_name) or people.leader
        if days_ago is None:
            chosen = list(examples.values())
            if not chosen:
                continue
            day = min(p.day for p in chosen) + datetime.timedelta(days=EXAMPLE_TOPIC_AFTER)
        else:
            chosen, day = [], demo.today - datetime.timedelta(days=days_ago)
        if day < ctx.start + datetime.timedelta(days=7) or day >= ctx.last_day:
            continue
        chosen = [p for p in chosen if p.day < day and _limit(ctx, p) > day]
        candidates = [
            p
            for p in leaves
            if not p.fixed
            and p.topic is None
            and p.parent is None
            and p.category in categories
            and p.status not in (S.NEW, S.SORTED)
            and day - datetime.timedelta(days=75) <= p.day <= day - datetime.timedelta(days=3)
            and _limit(ctx, p) > day
        ]
        chosen += rng.sample(candidates, min(len(candidates), max(0, rng.randint(3, 6) - len(chosen))))
        if not chosen:
            continue
        departments = dict.fromkeys(
            ENTERPRISE_DEPARTMENT if category not in ROUTES else ROUTES[category][0] for category in categories
        )
        topic = TopicMeeting(
            street=demo.street,
            title=title,
            held_on=day,
            chaired_by=chair,
            attendees=f"{chair}（主持）、{'、'.join(departments)}负责人、相关村社书记",
            decisions=decisions,
            recorded_by=people.street_recorder,
        )
        plan = _TopicPlan(topic=topic, chair=chair, day=day)
        for opinion in chosen:
            opinion.topic = plan
            if opinion.fixed:
                opinion.assigner = chair
        topics.append(plan)
    return topics


def _route(ctx: _Context, rng: random.Random, plan: _Plan) -> None:
    """Whom it is assigned to: the community itself (its leader or a social worker) for some residents' opinions,
    otherwise the category's department, a chief or member of staff, under the department's leader in charge."""
    demo, people = ctx.demo, ctx.people
    if plan.group == ENTERPRISE:
        department_name, community_share = ENTERPRISE_DEPARTMENT, 0.0
    elif plan.group == VILLAGE:
        department_name, community_share = VILLAGE_DEPARTMENT, 0.0
    else:
        department_name, community_share = ROUTES.get(plan.category or "", ("社区建设科", 0.5))
    community_leader = people.community_leader.get(plan.community_id or 0)
    if plan.topic is None and community_leader and rng.random() < community_share:
        workers = people.social_workers.get(plan.community_id or 0, [])
        showcase = people.by_username.get("worker")
        if showcase in workers and rng.random() < 0.4:
            plan.responsible = showcase  # `worker` has tasks of her own to show
        elif workers and rng.random() < 0.7:
            plan.responsible = rng.choice(workers)
        else:
            plan.responsible = community_leader
        plan.assigner = community_leader
        return
    department = demo.departments.get(department_name)
    if department is None:
        plan.responsible = plan.assigner = people.leader
        return
    plan.department_id = department.pk
    plan.leader_in_charge = people.overseer.get(department.pk)
    members, chiefs = people.staff.get(department.pk, []), people.chiefs.get(department.pk, [])
    pool = chiefs if (chiefs and rng.random() < 0.3) or not members else members
    plan.responsible = rng.choice(pool) if pool else (plan.leader_in_charge or people.leader)
    plan.assigner = plan.topic.chair if plan.topic else (plan.leader_in_charge or people.leader)


def _give_showcase_tasks(ctx: _Context, leaves: list[_Plan]) -> None:
    """`worker` and `community` each get two open opinions of their community to handle, when it has them, so
    their "my tasks" page has something to show."""
    people = ctx.people
    showcase = [people.by_username[name] for name in ("worker", "community") if name in people.by_username]
    for user in showcase:
        if not user.community_id:
            continue
        open_plans = [p for p in leaves if p.status in Opinion.ASSIGNED_STATUSES]
        mine = [p for p in open_plans if p.responsible == user]
        others = sorted(
            (
                p
                for p in open_plans
                if p.community_id == user.community_id
                and p.group == RESIDENT
                and not p.fixed
                and p.topic is None
                and p.responsible not in showcase
            ),
            key=lambda p: p.base_day,
            reverse=True,
        )
        for plan in others[: max(0, 2 - len(mine))]:
            plan.department_id, plan.leader_in_charge = None, None
            plan.responsible = user
            plan.assigner = people.community_leader.get(user.community_id, user)


# --- Opinions: the history --------------------------------------------------------------------------------------

# What the responsible person noted on taking an opinion in hand, by group.
STARTED_NOTES = {
    RESIDENT: ("已接单，安排现场查看", "已联系反映人了解详细情况", "已现场踏勘，制定办理方案", "已会同物业研究处理"),
    ENTERPRISE: ("已上门对接企业，了解详细情况", "已会同相关部门研究处理", "已联系企业负责人，制定办理方案"),
    VILLAGE: ("已与村两委对接，了解详细情况", "已到村现场查看，制定帮扶方案"),
}


def _sorter(ctx: _Context, plan: _Plan) -> User:
    """Who sorts it: the leader of its community; the department's chief for enterprises and paired villages."""
    people = ctx.people
    if plan.group == RESIDENT and plan.community_id in people.community_leader:
        return people.community_leader[plan.community_id]
    name = ENTERPRISE_DEPARTMENT if plan.group == ENTERPRISE else VILLAGE_DEPARTMENT
    department = ctx.demo.departments.get(name)
    return people.dispatcher(department.pk if department else None)


def _step(
    rng: random.Random,
    plan: _Plan,
    to_status: str,
    actor: User | None,
    day: datetime.date,
    note: str = "",
    hours: tuple[int, int] = (8, 17),
) -> None:
    last = plan.steps[-1] if plan.steps else None
    at = _moment(rng, day, last.at if last else None, hours)
    plan.steps.append(_Step(last.to_status if last else "", to_status, actor, at, note))


def _walk(ctx: _Context, rng: random.Random, plan: _Plan) -> None:
    """The opinion's history up to the state decided for it, each step after the one before it."""
    limit = _limit(ctx, plan)
    sorter = _sorter(ctx, plan)
    day = plan.day
    _step(rng, plan, S.NEW, plan.created_by, day, hours=plan.hours)
    if plan.parts:
        # Split the day it was sorted; each part starts sorted, recorded by whoever split it.
        plan.status = S.SPLIT
        day = min(day + datetime.timedelta(days=rng.randint(0, 3)), limit)
        _step(rng, plan, S.SPLIT, sorter, day)
        for part in plan.parts:
            part.created_by = sorter
            part.steps.append(_Step("", S.SORTED, sorter, plan.steps[-1].at))
            _carry_on(ctx, rng, part, day, limit)
        return
    if plan.status == S.NEW:
        return
    last_sort_day = plan.topic.day - datetime.timedelta(days=1) if plan.topic else limit
    day = min(day + datetime.timedelta(days=rng.randint(0, 3)), last_sort_day)
    _step(rng, plan, S.SORTED, sorter, day, note=f"归入“{plan.category}”")
    _carry_on(ctx, rng, plan, day, limit)


def _carry_on(ctx: _Context, rng: random.Random, plan: _Plan, day: datetime.date, limit: datetime.date) -> None:
    """From sorted on: the topic meeting if any, assigned, in progress, closed, as far as its state."""
    status = plan.status
    if status == S.SORTED:
        return
    if plan.topic:
        topic = plan.topic
        note = f"专题会议研究：{topic.topic.title}"
        _step(rng, plan, S.SORTED, ctx.people.street_recorder, topic.day, note=note, hours=(14, 16))
        day = min(topic.day + datetime.timedelta(days=rng.randint(1, 4)), limit)
    else:
        day = min(day + datetime.timedelta(days=rng.randint(0, 5)), limit)
    if plan.group == ENTERPRISE:
        lo, hi = DUE_DAYS_ENTERPRISE
    else:
        lo, hi = DUE_DAYS.get(plan.category or "", DUE_DAYS_DEFAULT)
    due = day + datetime.timedelta(days=rng.randint(lo, hi))
    plan.due_on = due
    department = next((d for d in ctx.demo.departments.values() if d.pk == plan.department_id), None)
    community = next((c for c in ctx.demo.communities if c.pk == plan.community_id), None)
    unit = department.name if department else (community.name if community else "")
    note = f"交办{unit}，由{plan.responsible}负责，{due.year}年{due.month}月{due.day}日前办结"
    _step(rng, plan, S.ASSIGNED, plan.assigner, day, note=note)
    if status != S.ASSIGNED:
        day = min(day + datetime.timedelta(days=rng.randint(0, 6)), limit)
        _step(rng, plan, S.IN_PROGRESS, plan.responsible, day, note=rng.choice(STARTED_NOTES[plan.group]))
    if status in Opinion.ASSIGNED_STATUSES:
        if due < ctx.demo.today and rng.random() < SHARE_EXTENDED:
            _extend(ctx, rng, plan, day, limit)
        return
    if rng.random() < SHARE_ON_TIME:
        close = day + datetime.timedelta(days=rng.randint(0, max(0, (due - day).days)))
    else:
        close = due + datetime.timedelta(days=rng.randint(1, 30))
    close = max(day, min(close, limit))
    if status == S.EXPLAINED and not plan.explanation:
        if plan.group == ENTERPRISE:
            reasons = ENTERPRISE_EXPLANATIONS.get(plan.category or "", ENTERPRISE_EXPLANATIONS["实际困难"])
        elif plan.group == VILLAGE:
            reasons = VILLAGE_EXPLANATIONS
        else:
            reasons = RESIDENT_EXPLANATIONS.get(plan.category or "", RESIDENT_EXPLANATIONS["社区服务"])
        plan.explanation = rng.choice(reasons)
    _step(
        rng, plan, status, plan.responsible, close, note=plan.resolution if status == S.RESOLVED else plan.explanation
    )


def _extend(ctx: _Context, rng: random.Random, plan: _Plan, day: datetime.date, limit: datetime.date) -> None:
    """An open opinion past its date is assigned again with a later one (assigned → assigned, or in progress →
    assigned → in progress), as a leader in charge does for work that takes longer than planned."""
    due = plan.due_on or day
    # Extended lately (work that has run for months was extended more than once; the last time counts).
    lately = max(
        due - datetime.timedelta(days=rng.randint(0, 7)), ctx.demo.today - datetime.timedelta(days=rng.randint(5, 60))
    )
    day = max(day, min(lately, limit))
    plan.due_on = day + datetime.timedelta(days=rng.randint(*EXTENDED_DAYS))
    new_due = plan.due_on
    note = f"办理难度较大，完成期限延长至{new_due.year}年{new_due.month}月{new_due.day}日"
    was = plan.status
    _step(rng, plan, S.ASSIGNED, plan.assigner, day, note=note)
    if was == S.IN_PROGRESS:
        day = min(day + datetime.timedelta(days=rng.randint(0, 3)), limit)
        _step(rng, plan, S.IN_PROGRESS, plan.responsible, day, note="按新的期限继续办理")


# --- Writing ----------------------------------------------------------------------------------------------------


def _tracking_codes(count: int) -> list[str]:
    """`count` tracking codes no opinion has, drawn as the online page draws them."""
    codes: dict[str, None] = {}
    while len(codes) < count:
        codes.update(dict.fromkeys(new_tracking_code() for _ in range(count - len(codes))))
        for taken in Opinion.objects.filter(tracking_code__in=list(codes)).values_list("tracking_code", flat=True):
            del codes[taken]
    return list(codes)


def _write(ctx: _Context, meetings: list[_MeetingPlan], topics: list[_TopicPlan], plans: list[_Plan]) -> None:
    """Meetings, topic meetings, opinions (the parts after the opinions they were split from), then the history."""
    street = ctx.demo.street
    rows = [m.meeting for m in meetings]
    for meeting in rows:
        # Written up the evening of the day it was held.
        meeting.created_at = meeting.updated_at = _at(meeting.held_on, 18, 30)
    with _dated(Meeting, "created_at", "updated_at"):
        Meeting.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    for topic in topics:
        topic.topic.created_at = _at(topic.day, 17, 30)
    with _dated(TopicMeeting, "created_at"):
        TopicMeeting.objects.bulk_create([t.topic for t in topics], batch_size=BATCH_SIZE)

    online = [p for p in plans if p.source == Opinion.Source.ONLINE]
    for plan, code in zip(online, _tracking_codes(len(online)), strict=True):
        plan.tracking_code = code

    def row(plan: _Plan, parent: Opinion | None = None) -> Opinion:
        status = plan.status
        assigned = status in (S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED, S.EXPLAINED)
        closed = status in (S.RESOLVED, S.EXPLAINED)
        return Opinion(
            street=street,
            source=plan.source,
            visit_id=plan.visit_id,
            meeting_id=plan.meeting.meeting.pk if plan.meeting else None,
            enterprise_id=plan.enterprise_id,
            paired_village_id=plan.village_id,
            raised_by=plan.raised_by,
            contact=plan.contact,
            community_id=plan.community_id,
            estate_id=plan.estate_id,
            location=plan.location,
            text=plan.text,
            status=status,
            category=ctx.categories[plan.category] if plan.category and status not in (S.NEW, S.SPLIT) else None,
            parent=parent,
            leader_in_charge=plan.leader_in_charge if assigned else None,
            # Sorting routes an opinion to its department, which brings it to that department's leader in charge.
            department_id=plan.department_id if assigned or status == S.SORTED else None,
            responsible=plan.responsible if assigned else None,
            due_on=plan.due_on if assigned else None,
            topic_meeting=plan.topic.topic if plan.topic else None,
            resolution=plan.resolution if status == S.RESOLVED else "",
            explanation=plan.explanation if status == S.EXPLAINED else "",
            closed_at=plan.steps[-1].at if closed else None,
            tracking_code=plan.tracking_code if not parent else None,
            created_by=plan.created_by,
            created_at=plan.steps[0].at,
            updated_at=plan.steps[-1].at,
        )

    with _dated(Opinion, "created_at", "updated_at"):
        opinions = Opinion.objects.bulk_create([row(plan) for plan in plans], batch_size=BATCH_SIZE)
        for plan, opinion in zip(plans, opinions, strict=True):
            plan.opinion = opinion
        split = [(part, row(part, plan.opinion)) for plan in plans for part in plan.parts]
        Opinion.objects.bulk_create([opinion for _part, opinion in split], batch_size=BATCH_SIZE)
        for part, opinion in split:
            part.opinion = opinion

    events = []
    for plan in plans:
        if plan.parts:
            plan.steps[-1].note = "分解为 " + "、".join(f"#{part.opinion.pk}" for part in plan.parts)
        for item in (plan, *plan.parts):
            if item.parent:
                item.steps[0].note = f"由 #{plan.opinion.pk} 分解而来"
            events += [
                OpinionEvent(
                    opinion=item.opinion,
                    from_status=step.from_status,
                    to_status=step.to_status,
                    actor=step.actor,
                    at=step.at,
                    note=step.note,
                )
                for step in item.steps
            ]
    with _dated(OpinionEvent, "at"):
        OpinionEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)
