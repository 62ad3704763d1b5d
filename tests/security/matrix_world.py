"""One world for the permission matrix: two streets, every kind of record inside and outside each persona's scope.

Built once per test module inside a transaction that is rolled back afterwards (as
tests/households/test_seed_assistance.py does), so the thousands of requests of the matrix share it. Places:

- A: our street (文新街道), community A, grid area A (worker_a). A2: community A, grid area A2 (worker_a2).
- B: our street, community B, grid area B (worker_b).
- X: another street (翠苑街道), its community and grid area (worker_x).

Every record of a place carries a token (``QX0001`` ...) in a field the pages show (a household's room, a resident's
name, an opinion's text ...); the matrix reads every page and file it is given for tokens and checks that each one
names a record the persona may see. Full ID numbers are watched the same way.
"""

from __future__ import annotations

import datetime
import io
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.models import AnonymousUser, Group
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.test import Client, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from openpyxl import Workbook

from assessment.models import AssessmentRule, CadreLink, Evaluation, SpotCheck, SpotCheckItem, VisitVerification
from feedback.models import MeetingKind, Opinion, OpinionCategory
from feedback.services import new_tracking_code
from households.models import (
    AssistanceMeasure,
    HouseholdCategory,
    HouseholdImport,
    Initiative,
    PlanSection,
)
from tests.factories import (
    AssistancePairFactory,
    AssistancePlanFactory,
    CommunityFactory,
    DepartmentFactory,
    EnterpriseFactory,
    EstateFactory,
    GridAreaFactory,
    HouseholdFactory,
    MeetingFactory,
    OpinionFactory,
    OwnersCommitteeFactory,
    PairedVillageFactory,
    PropertyCompanyFactory,
    QuotaRuleFactory,
    ResidentFactory,
    ServiceDayMoveFactory,
    StreetFactory,
    SubsidyFactory,
    TopicMeetingFactory,
    UserFactory,
    VisitFactory,
    make_id_number,
    meeting_kind,
    opinion_category,
)
from visits.models import ServiceDayRule
from wenxin.models import AuditEntry, BackgroundJob, User
from wenxin.roles import Role, sync_role_groups
from wenxin.services import user_sync_role

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

PERSONAS = (
    "anonymous",
    "worker_a",
    "worker_b",
    "community_leader",
    "staff",
    "social_affairs_staff",
    "chief",
    "deputy",
    "cadre",
    "leader",
    "other_street_leader",
    "system_admin",
)
PLACES = ("A", "A2", "B", "X")


@dataclass
class World:
    """The records of the matrix, by kind and place, and what each persona may see of them."""

    users: dict[str, User]
    clients: dict[str, Client]
    # kind -> place -> record. Street-level kinds map A, A2 and B to our street's record.
    objects: dict[str, dict[str, models.Model]]
    # kind -> persona -> that persona's own record (jobs, imports); "anonymous" has none.
    own: dict[str, dict[str, models.Model]]
    # token -> (model label, pk)
    tokens: dict[str, tuple[str, int]] = field(default_factory=dict)
    # full ID number -> resident pk
    id_numbers: dict[str, int] = field(default_factory=dict)
    # a resident's birth date as pages write it (2026-01-31, 2026年1月31日) -> resident pk
    birth_dates: dict[str, int] = field(default_factory=dict)
    # persona -> model label -> pks of the tokened records that persona may see
    visible: dict[str, dict[str, set[int]]] = field(default_factory=dict)
    _visible_pks: dict[tuple[str, str], set] = field(default_factory=dict)

    def obj(self, kind: str, place: str) -> models.Model:
        return self.objects[kind][place]

    def pk(self, kind: str, place: str) -> int:
        return self.objects[kind][place].pk

    def content_type_id(self, obj: models.Model) -> int:
        return ContentType.objects.get_for_model(obj).pk

    def visible_pks(self, persona: str, model: type[models.Model]) -> set:
        """The pks of model.objects.visible_to(persona), read once per persona and model."""
        key = (persona, model._meta.label_lower)
        if key not in self._visible_pks:
            user = self.users.get(persona) or AnonymousUser()
            self._visible_pks[key] = set(model._default_manager.visible_to(user).values_list("pk", flat=True))
        return self._visible_pks[key]


class _Tokens:
    """Hands out QX0001, QX0002 ... and remembers which record each one names."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self.pending: list[tuple[str, models.Model]] = []

    def new(self) -> str:
        return f"QX{next(self._numbers):04d}"

    def mark(self, obj: models.Model, token: str) -> models.Model:
        self.pending.append((token, obj, ""))
        return obj

    def mark_field(self, obj: models.Model, token: str, field_name: str) -> None:
        """A token in a private field: seen with the record, but never on a public page that shows the record."""
        self.pending.append((token, obj, field_name))


def _personas(street, other_street, places: dict, departments: dict) -> dict[str, User]:
    """The personas of tests/conftest.py, with the group of their role (the admin's permissions)."""
    users = {
        "worker_a": UserFactory(
            username="m_worker_a", role=Role.SOCIAL_WORKER, street=street, community=places["A"]["community"]
        ),
        "worker_b": UserFactory(
            username="m_worker_b", role=Role.SOCIAL_WORKER, street=street, community=places["B"]["community"]
        ),
        "community_leader": UserFactory(
            username="m_community_leader",
            role=Role.COMMUNITY_LEADER,
            street=street,
            community=places["A"]["community"],
        ),
        "staff": UserFactory(
            username="m_staff", role=Role.DEPARTMENT_STAFF, street=street, department=departments["urban"]
        ),
        "social_affairs_staff": UserFactory(
            username="m_sa_staff", role=Role.DEPARTMENT_STAFF, street=street, department=departments["social"]
        ),
        "chief": UserFactory(
            username="m_chief", role=Role.SECTION_CHIEF, street=street, department=departments["urban"]
        ),
        "deputy": UserFactory(username="m_deputy", role=Role.LEADER_IN_CHARGE, street=street),
        "cadre": UserFactory(username="m_cadre", role=Role.CADRE, street=street),
        "leader": UserFactory(username="m_leader", role=Role.STREET_LEADER, street=street),
        "other_street_leader": UserFactory(username="m_other_leader", role=Role.STREET_LEADER, street=other_street),
        "system_admin": UserFactory(username="m_sysadmin", role=Role.SYSTEM_ADMIN, street=None),
    }
    users["deputy"].overseen_departments.add(departments["urban"])
    return users


def _build(tokens: _Tokens) -> tuple[dict[str, User], dict, dict]:
    today = timezone.localdate()
    street = StreetFactory(name="文新街道")
    other_street = StreetFactory(name="翠苑街道")
    streets = {"A": street, "A2": street, "B": street, "X": other_street}
    departments = {
        "urban": DepartmentFactory(street=street, name="城管科"),
        "social": DepartmentFactory(street=street, name="社会事务科", is_social_affairs=True),
        "far": DepartmentFactory(street=other_street, name="翠苑城管科"),
    }
    community_a = CommunityFactory(street=street, name=f"德加社区{tokens.new()}")
    community_b = CommunityFactory(street=street, name=f"益乐社区{tokens.new()}")
    community_x = CommunityFactory(street=other_street, name=f"翠苑一社区{tokens.new()}")
    communities = {"A": community_a, "A2": community_a, "B": community_b, "X": community_x}
    for place in ("A", "B", "X"):
        tokens.mark(communities[place], communities[place].name[-6:])
    places: dict[str, dict] = {place: {"community": communities[place]} for place in PLACES}
    users = _personas(street, other_street, places, departments)
    workers = {
        "A": users["worker_a"],
        "A2": UserFactory(username="m_worker_a2", role=Role.SOCIAL_WORKER, street=street, community=community_a),
        "B": users["worker_b"],
        "X": UserFactory(username="m_worker_x", role=Role.SOCIAL_WORKER, street=other_street, community=community_x),
    }
    helpers = {
        "far_staff": UserFactory(
            username="m_far_staff", role=Role.DEPARTMENT_STAFF, street=other_street, department=departments["far"]
        ),
        "far_deputy": UserFactory(username="m_far_deputy", role=Role.LEADER_IN_CHARGE, street=other_street),
        "far_cadre": UserFactory(username="m_far_cadre", role=Role.CADRE, street=other_street),
    }
    sync_role_groups()
    for user in [*users.values(), *workers.values(), *helpers.values()]:
        user_sync_role(user=user)

    key_category = HouseholdCategory.objects.filter(is_key=True).order_by("sort_order").first()
    objects: dict[str, dict[str, models.Model]] = {}

    def put(kind: str, place: str, obj: models.Model) -> models.Model:
        objects.setdefault(kind, {})[place] = obj
        return obj

    # Street-level records: one per street.
    for street_places, st, dept, chief_like in (
        (("A", "A2", "B"), street, departments["urban"], users["deputy"]),
        (("X",), other_street, departments["far"], helpers["far_deputy"]),
    ):
        company = tokens.mark(PropertyCompanyFactory(street=st, name=f"物业{(t := tokens.new())}"), t)
        village = tokens.mark(PairedVillageFactory(street=st, name=f"结对村{(t := tokens.new())}"), t)
        topic = tokens.mark(
            TopicMeetingFactory(street=st, title=f"专题{(t := tokens.new())}", chaired_by=chief_like), t
        )
        rule = AssessmentRule.objects.get_or_create(street=st)[0]
        day_rule = ServiceDayRule.objects.get_or_create(street=st)[0]
        move = ServiceDayMoveFactory(street=st, month=today.replace(day=1), moved_to=today.replace(day=1))
        street_meeting = tokens.mark(
            MeetingFactory(
                community=None,
                street=st,
                kind=meeting_kind("deputies_forum"),
                host_unit=st.name,
                place=f"街道会议室{(t := tokens.new())}",
                recorded_by=chief_like,
            ),
            t,
        )
        for place in street_places:
            put("street", place, st)
            put("department", place, dept)
            put("propertycompany", place, company)
            put("pairedvillage", place, village)
            put("topicmeeting", place, topic)
            put("assessmentrule", place, rule)
            put("servicedayrule", place, day_rule)
            put("servicedaymove", place, move)
            put("street_meeting", place, street_meeting)

    # Community-level and area-level records.
    for place in PLACES:
        community = communities[place]
        worker = workers[place]
        put("community", place, community)
        put("user", place, worker)
        if place != "A2":
            estate = tokens.mark(EstateFactory(community=community, name=f"小区{(t := tokens.new())}"), t)
            estate.property_company = objects["propertycompany"][place]
            estate.save(update_fields=["property_company"])
        else:
            estate = objects["estate"]["A"]
        put("estate", place, estate)
        area = tokens.mark(GridAreaFactory(community=community, name=f"网格{(t := tokens.new())}"), t)
        area.workers.add(worker)
        put("gridarea", place, area)

        household = tokens.mark(
            HouseholdFactory(grid_area=area, estate=estate, building="9", room=(t := tokens.new())), t
        )
        household.categories.add(key_category)
        put("household", place, household)
        # Distinct birth dates (the part of an ID number its mask hides), so a page showing one is caught.
        born = {"A": 12_345_001, "A2": 13_579_002, "B": 14_680_003, "X": 15_791_004}[place]
        resident = tokens.mark(
            ResidentFactory(household=household, name=f"居民{(t := tokens.new())}", id_number=make_id_number(born)), t
        )
        put("resident", place, resident)
        plan = AssistancePlanFactory(household=household)
        PlanSection.objects.create(
            plan=plan,
            must=PlanSection.Must.choices[0][0],
            text=(t := tokens.new()),
            recorded_by=worker,
            recorded_at=timezone.now(),
        )
        tokens.mark(plan, t)
        put("assistanceplan", place, plan)
        measure = tokens.mark(
            AssistanceMeasure.objects.create(
                plan=plan, description=f"措施{(t := tokens.new())}", responsible=worker, due_on=today
            ),
            t,
        )
        put("assistancemeasure", place, measure)
        put("assistancepair", place, AssistancePairFactory(household=household, staff=worker))
        subsidy = tokens.mark(SubsidyFactory(household=household, note=(t := tokens.new()), recorded_by=worker), t)
        put("subsidy", place, subsidy)
        visit = tokens.mark(
            VisitFactory(household=household, visitor=worker, situation=f"走访情况{(t := tokens.new())}"), t
        )
        put("visit", place, visit)

        if place == "A2":
            continue
        leader_like = users["community_leader"] if place == "A" else worker
        put(
            "visitverification",
            place,
            VisitVerification.objects.create(
                visit=visit, status=VisitVerification.Status.VERIFIED, verified_by=leader_like
            ),
        )
        meeting = tokens.mark(
            MeetingFactory(community=community, place=f"会议室{(t := tokens.new())}", recorded_by=worker), t
        )
        put("meeting", place, meeting)
        opinion_department = {"A": departments["urban"], "B": departments["social"], "X": departments["far"]}[place]
        responsible = {"A": users["staff"], "B": worker, "X": helpers["far_staff"]}[place]
        opinion = tokens.mark(
            OpinionFactory(
                community=community,
                estate=estate,
                meeting=meeting,
                text=f"意见{(t := tokens.new())}",
                status=Opinion.Status.ASSIGNED,
                category=opinion_category(),
                department=opinion_department,
                responsible=responsible,
                due_on=today + datetime.timedelta(days=30),
                topic_meeting=objects["topicmeeting"][place],
                created_by=worker,
                raised_by=f"张{(name_token := tokens.new())}",
                contact="13900000001",
            ),
            t,
        )
        tokens.mark_field(opinion, name_token, "raised_by")
        put("opinion", place, opinion)
        # An opinion sent online and answered: its tracking code shows the answer, never who sent it.
        online = tokens.mark(
            OpinionFactory(
                community=community,
                estate=estate,
                meeting=None,
                source=Opinion.Source.ONLINE,
                text=f"网上意见{tokens.new()}",
                status=Opinion.Status.RESOLVED,
                category=opinion_category(),
                resolution=f"已解决{(t := tokens.new())}",
                closed_at=timezone.now(),
                tracking_code=new_tracking_code(),
                raised_by=f"李{(name_token := tokens.new())}",
                contact="13900000002",
            ),
            t,
        )
        tokens.mark_field(online, name_token, "raised_by")
        put("online_opinion", place, online)
        enterprise = tokens.mark(
            EnterpriseFactory(street=streets[place], community=community, name=f"企业{(t := tokens.new())}"), t
        )
        put("enterprise", place, enterprise)
        committee = tokens.mark(OwnersCommitteeFactory(estate=estate, name=f"业委会{(t := tokens.new())}"), t)
        put("ownerscommittee", place, committee)
        put(
            "initiative",
            place,
            tokens.mark(
                Initiative.objects.create(owner=worker, title=f"载体{(t := tokens.new())}", description="社区活动"), t
            ),
        )
        cadre = users["cadre"] if place != "X" else helpers["far_cadre"]
        put("cadrelink", place, CadreLink.objects.create(cadre=cadre, community=community, starts_on=today))
        evaluation = tokens.mark(
            Evaluation.objects.create(
                street=streets[place],
                kind=Evaluation.Kind.PUBLIC_RATING,
                year=today.year,
                quarter=(today.month - 1) // 3 + 1,
                community=community,
                score=Decimal("90"),
                respondents=10,
                comment=f"评语{(t := tokens.new())}",
                recorded_by=users["leader"] if place != "X" else users["other_street_leader"],
            ),
            t,
        )
        put("evaluation", place, evaluation)
        spot_check = tokens.mark(
            SpotCheck.objects.create(
                street=streets[place],
                level=SpotCheck.Level.COMMUNITY,
                community=community,
                period_start=today - datetime.timedelta(days=30),
                period_end=today,
                sample_value=1,
                checker=users["leader"] if place != "X" else users["other_street_leader"],
                note=f"抽查{(t := tokens.new())}",
            ),
            t,
        )
        put("spotcheck", place, spot_check)
        put("spotcheckitem", place, SpotCheckItem.objects.create(spot_check=spot_check, visit=visit))
        put("quotarule", place, QuotaRuleFactory(user=worker, role="", households_per_quarter=30))
        put(
            "auditentry",
            place,
            tokens.mark(
                AuditEntry.objects.create(
                    actor=worker,
                    action=AuditEntry.Action.UPDATE,
                    content_type=ContentType.objects.get_for_model(household),
                    object_id=str(household.pk),
                    object_repr=(t := tokens.new()),
                ),
                t,
            ),
        )
    # A2 shares its community's community-level records.
    for kind in list(objects):
        if "A2" not in objects[kind] and "A" in objects[kind]:
            objects[kind]["A2"] = objects[kind]["A"]

    # Shared vocabulary, the same for everyone.
    for kind, obj in {
        "householdcategory": key_category,
        "meetingkind": MeetingKind.objects.order_by("pk").first(),
        "opinioncategory": OpinionCategory.objects.order_by("pk").first(),
        "group": Group.objects.get(name="role:social_worker"),
    }.items():
        for place in PLACES:
            put(kind, place, obj)

    # Each persona's own background job and registry upload, so "another user's job" is always at hand.
    own: dict[str, dict[str, models.Model]] = {"job": {}, "householdimport": {}}
    for name, user in users.items():
        own["job"][name] = tokens.mark(
            BackgroundJob.objects.create(
                user=user,
                kind=BackgroundJob.Kind.HOUSEHOLD_EXPORT,
                status=BackgroundJob.Status.SUCCEEDED,
                message=(t := tokens.new()),
                result_name="户籍导出.xlsx",
                result_file=_workbook(t),
                result_size=1,
            ),
            t,
        )
        own["householdimport"][name] = tokens.mark(
            HouseholdImport.objects.create(
                created_by=user,
                file_name=f"{(t := tokens.new())}.xlsx",
                content=b"",
                status=HouseholdImport.Status.REJECTED,
                errors=[],
            ),
            t,
        )
    # Rows of the libraries' admins (the task queue, the lockout records), one each.
    library_rows = {
        "dbtaskresult": DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {}},
            task_path="households.tasks.run_job",
            backend_name="default",
            run_after=timezone.now(),
            exception_class_path="",
            traceback="",
        )
    }
    if apps.is_installed("axes"):
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        who = {"user_agent": "matrix", "ip_address": "10.0.0.1", "username": "m_worker_a", "http_accept": "*/*"}
        library_rows["accessattempt"] = AccessAttempt.objects.create(
            **who, path_info="/login/", get_data="", post_data="", failures_since_start=1
        )
        library_rows["accesslog"] = AccessLog.objects.create(**who, path_info="/login/")
        library_rows["accessfailurelog"] = AccessFailureLog.objects.create(**who, path_info="/login/")
    if apps.is_installed("auditlog"):
        from auditlog.models import LogEntry

        household_type = ContentType.objects.get_for_model(objects["household"]["A"])
        for place in PLACES:
            entry = LogEntry.objects.filter(
                content_type=household_type, object_pk=str(objects["household"][place].pk)
            ).first()
            if entry is not None:
                put("logentry", place, entry)
    for kind, row in library_rows.items():
        for place in PLACES:
            put(kind, place, row)
    users["worker_a2"] = workers["A2"]
    users["worker_x"] = workers["X"]
    return users, objects, own


def _workbook(text: str) -> bytes:
    """A small real .xlsx with one cell: a job's file, read back by the matrix like any export."""
    book = Workbook()
    book.active["A1"] = text
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _visible_sets(world: World) -> None:
    """For each persona, the pks of every tokened model it may see, read through each model's visible_to."""
    by_label: dict[str, type[models.Model]] = {}
    for label, _pk in world.tokens.values():
        base = label.split(":")[0]
        by_label.setdefault(base, _model(base))
    by_label["households.resident"] = _model("households.resident")
    for persona in PERSONAS:
        user = world.users.get(persona) or AnonymousUser()
        world.visible[persona] = {
            label: set(model._default_manager.visible_to(user).values_list("pk", flat=True))
            for label, model in by_label.items()
        }


def _model(label: str) -> type[models.Model]:
    return apps.get_model(label)


@contextmanager
def built_world(django_db_blocker) -> Iterator[World]:
    """The matrix's world, built once (a module-scoped fixture of the test module) and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
            tokens = _Tokens()
            users, objects, own = _build(tokens)
            clients = {"anonymous": Client()}
            for name in PERSONAS[1:]:
                client = Client()
                client.force_login(users[name])
                clients[name] = client
        world = World(users=users, clients=clients, objects=objects, own=own)
        for token, obj, field_name in tokens.pending:
            label = obj._meta.label_lower
            world.tokens[token] = (f"{label}:{field_name}" if field_name else label, obj.pk)
        for resident in objects["resident"].values():
            world.id_numbers[resident.id_number] = resident.pk
            born = resident.birth_date
            for shown in (f"{born:%Y-%m-%d}", f"{born.year}年{born.month}月{born.day}日", f"{born:%Y/%m/%d}"):
                world.birth_dates[shown] = resident.pk
        _visible_sets(world)
        yield world
        transaction.set_rollback(True)
