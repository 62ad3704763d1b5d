"""factory_boy factories for every model the tests touch. Valid data by default; override what a test is about."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.conf import settings
from django.utils import timezone

from feedback.models import Meeting, MeetingKind, Opinion, OpinionCategory, TopicMeeting
from households.models import (
    AssistancePair,
    AssistancePlan,
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
    Subsidy,
)
from visits.models import QuotaRule, ServiceDayMove, Visit
from wenxin.models import Department, User
from wenxin.roles import Role
from wenxin.validators import birth_date_from_id, gender_from_id, id_check_char


def make_id_number(sequence: int, *, region: str = "330106") -> str:
    """A valid GB 11643 ID number, unique per sequence number (birth date and serial vary with it)."""
    born = datetime.date(1940, 1, 1) + datetime.timedelta(days=sequence // 1000)
    first17 = f"{region}{born:%Y%m%d}{sequence % 1000:03d}"
    return first17 + id_check_char(first17)


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Street
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"文新街道{n}" if n else "文新街道")
    district = "西湖区"
    city = "杭州市"


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"测试社区{n}")
    kind = Community.Kind.COMMUNITY


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"科室{n}")


class PropertyCompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PropertyCompany

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"物业公司{n}")


class EstateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Estate

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"小区{n}")


class OwnersCommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OwnersCommittee

    estate = factory.SubFactory(EstateFactory)
    name = factory.LazyAttribute(lambda o: f"{o.estate.name}业委会")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"企业{n}")


class PairedVillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PairedVillage

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"结对村{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.DEPARTMENT_STAFF
    street = factory.SubFactory(StreetFactory)
    password = factory.PostGenerationMethodCall("set_password", settings.DEMO_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy passes the object first
        if create:
            obj.save()


class GridAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GridArea
        skip_postgeneration_save = True

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"第{n}网格")

    @factory.post_generation
    def workers(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.workers.set(extracted)


class HouseholdCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HouseholdCategory
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"类别{n}")
    is_key = False


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household
        skip_postgeneration_save = True

    grid_area = factory.SubFactory(GridAreaFactory)
    estate = factory.LazyAttribute(lambda o: EstateFactory(community=o.grid_area.community))
    building = factory.Sequence(lambda n: str(n // 100 + 1))
    unit = "1"
    room = factory.Sequence(lambda n: f"{n % 100 + 101}")
    phone = "13800000000"

    @factory.post_generation
    def categories(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.categories.set(extracted)


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resident

    household = factory.SubFactory(HouseholdFactory)
    name = factory.Sequence(lambda n: f"居民{n}")
    relation = Resident.Relation.HEAD
    id_number = factory.Sequence(make_id_number)
    gender = factory.LazyAttribute(lambda o: gender_from_id(o.id_number) if o.id_number else "")
    birth_date = factory.LazyAttribute(lambda o: birth_date_from_id(o.id_number) if o.id_number else None)
    phone = "13900000000"


def _area_worker(household: Household) -> User:
    """The social worker of the household's grid area, appointed on the spot if the area has none."""
    area = household.grid_area
    worker = area.workers.first()
    if worker is None:
        worker = UserFactory(role=Role.SOCIAL_WORKER, street=area.community.street, community=area.community)
        area.workers.add(worker)
    return worker


class VisitFactory(factory.django.DjangoModelFactory):
    """A door-to-door visit by the household's own worker, yesterday. Pass street/community for other targets."""

    class Meta:
        model = Visit
        skip_postgeneration_save = True

    household = factory.SubFactory(HouseholdFactory)
    kind = Visit.Kind.DOOR_TO_DOOR
    visited_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=1))
    visitor = factory.LazyAttribute(lambda o: _area_worker(o.household) if o.household else UserFactory())
    street = factory.LazyAttribute(
        lambda o: o.household.grid_area.community.street if o.household else o.visitor.street
    )
    community = factory.LazyAttribute(lambda o: o.household.grid_area.community if o.household else None)
    met_whom = "户主"
    situation = "家中一切正常"

    @factory.post_generation
    def companions(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.companions.set(extracted)


class QuotaRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuotaRule

    role = ""
    households_per_quarter = 50


class ServiceDayMoveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceDayMove

    street = factory.SubFactory(StreetFactory)
    month = datetime.date(2026, 9, 1)
    moved_to = datetime.date(2026, 9, 18)


class AssistancePlanFactory(factory.django.DjangoModelFactory):
    """A plan with no section recorded yet (incomplete), due for review in three months."""

    class Meta:
        model = AssistancePlan

    household = factory.SubFactory(HouseholdFactory)
    review_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=90))


class AssistancePairFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssistancePair

    household = factory.SubFactory(HouseholdFactory)
    staff = factory.LazyAttribute(lambda o: _area_worker(o.household))
    starts_on = datetime.date(2026, 1, 1)


class SubsidyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subsidy

    household = factory.SubFactory(HouseholdFactory)
    kind = Subsidy.Kind.TEMPORARY
    amount = Decimal("1000.00")
    paid_on = datetime.date(2026, 6, 1)
    source = "街道财政"
    approved_by = "钱书记"
    recorded_by = factory.LazyAttribute(lambda o: _area_worker(o.household))


# --- Four listenings and opinions -------------------------------------------------------------------------------


def meeting_kind(code: str) -> MeetingKind:
    """One of the seeded kinds: residents_forum, deputies_forum, community_forum, online."""
    return MeetingKind.objects.get(code=code)


def opinion_category(name: str = "环境卫生") -> OpinionCategory:
    """One of the seeded categories of DOMAIN.md."""
    return OpinionCategory.objects.get(name=name)


class MeetingFactory(factory.django.DjangoModelFactory):
    """A community forum held a week ago in the given community (pass kind= for a street-level meeting)."""

    class Meta:
        model = Meeting

    community = factory.SubFactory(CommunityFactory)
    street = factory.LazyAttribute(lambda o: o.community.street if o.community else StreetFactory())
    kind = factory.LazyFunction(lambda: meeting_kind("community_forum"))
    held_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=7))
    place = "社区会议室"
    host_unit = factory.LazyAttribute(lambda o: o.community.name if o.community else "文新街道")
    residents = 12
    party_members = 3
    recorded_by = factory.SubFactory(UserFactory, street=factory.SelfAttribute("..street"))


class OpinionFactory(factory.django.DjangoModelFactory):
    """A new opinion heard at a community forum; set status and the assignment fields for later steps."""

    class Meta:
        model = Opinion

    community = factory.SubFactory(CommunityFactory)
    street = factory.LazyAttribute(lambda o: o.community.street)
    source = Opinion.Source.MEETING
    meeting = factory.SubFactory(MeetingFactory, community=factory.SelfAttribute("..community"))
    text = factory.Sequence(lambda n: f"建议在小区增设晾衣架（{n}）")
    status = Opinion.Status.NEW


class TopicMeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TopicMeeting

    street = factory.SubFactory(StreetFactory)
    title = factory.Sequence(lambda n: f"专题会议{n}")
    held_on = factory.LazyFunction(timezone.localdate)
    chaired_by = factory.SubFactory(UserFactory, street=factory.SelfAttribute("..street"), role=Role.LEADER_IN_CHARGE)
    recorded_by = factory.SelfAttribute("chaired_by")
