"""Writing meetings and opinions: each step of the pipeline with its rules, its one event and its audit entry.

A step out of order, or one without what it needs, raises ValidationError and leaves the database as it was.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from feedback import services
from feedback.models import Meeting, MeetingKind, Opinion, OpinionEvent, TopicMeeting
from tests.factories import (
    DepartmentFactory,
    EnterpriseFactory,
    HouseholdFactory,
    MeetingFactory,
    OpinionFactory,
    PairedVillageFactory,
    UserFactory,
    VisitFactory,
    meeting_kind,
    opinion_category,
)
from wenxin.models import AuditEntry, User
from wenxin.roles import Role

Status = Opinion.Status


def today() -> datetime.date:
    return timezone.localdate()


def in_days(days: int) -> datetime.date:
    return today() + datetime.timedelta(days=days)


def snapshot(opinion: Opinion) -> tuple:
    """Everything a refused step must leave alone: the row itself, and how many opinions, events and audits exist."""
    return (
        Opinion.objects.values().get(pk=opinion.pk),
        Opinion.objects.count(),
        OpinionEvent.objects.count(),
        AuditEntry.objects.count(),
    )


def last_event(opinion: Opinion) -> OpinionEvent:
    return OpinionEvent.objects.filter(opinion=opinion).latest("pk")


def opinion_at(status: str, *, community, responsible: User | None = None, **fields) -> Opinion:
    """An opinion of the community that has reached `status` with what that status implies."""
    if status != Status.NEW:
        fields.setdefault("category", opinion_category())
    if status in (Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED, Status.EXPLAINED):
        fields.setdefault("responsible", responsible)
        fields.setdefault("due_on", in_days(7))
    if status == Status.RESOLVED:
        fields.update(resolution="已处理", closed_at=timezone.now())
    if status == Status.EXPLAINED:
        fields.update(explanation="已向居民解释", closed_at=timezone.now())
    return OpinionFactory(community=community, status=status, **fields)


# --- Every pair of statuses through the services ----------------------------------------------------------------


def take_step(to_status: str, *, opinion: Opinion, actor: User, responsible: User):
    """Call the one service that moves an opinion to `to_status`, with everything that service needs."""
    category = opinion_category("市容市貌")
    steps: dict[str, Callable[[], object]] = {
        Status.SORTED: lambda: services.opinion_sort(actor=actor, opinion=opinion, category=category),
        Status.SPLIT: lambda: services.opinion_split(
            actor=actor, opinion=opinion, parts=[("增设晾衣架", category), ("修补路面", category)]
        ),
        Status.ASSIGNED: lambda: services.opinion_assign(
            actor=actor, opinion=opinion, responsible=responsible, due_on=in_days(14)
        ),
        Status.IN_PROGRESS: lambda: services.opinion_start(actor=actor, opinion=opinion),
        Status.RESOLVED: lambda: services.opinion_resolve(actor=actor, opinion=opinion, resolution="晾衣架已建成"),
        Status.EXPLAINED: lambda: services.opinion_explain(actor=actor, opinion=opinion, explanation="场地不足"),
    }
    return steps[to_status]()


TARGETS = [s for s in Status if s != Status.NEW]  # nothing moves an opinion back to new


@pytest.mark.parametrize("from_status", list(Status))
@pytest.mark.parametrize("to_status", TARGETS)
def test_each_step_is_taken_only_where_the_path_allows_it(places, community_leader, worker_a, from_status, to_status):
    opinion = opinion_at(from_status, community=places.community_a, responsible=worker_a)
    before = snapshot(opinion)
    if to_status not in Opinion.TRANSITIONS[from_status]:
        with pytest.raises(ValidationError):
            take_step(to_status, opinion=opinion, actor=community_leader, responsible=worker_a)
        assert snapshot(opinion) == before
        return

    take_step(to_status, opinion=opinion, actor=community_leader, responsible=worker_a)
    opinion.refresh_from_db()
    assert opinion.status == to_status
    parts = 2 if to_status == Status.SPLIT else 0
    assert OpinionEvent.objects.count() == before[2] + 1 + parts
    assert AuditEntry.objects.count() == before[3] + 1 + parts
    event = last_event(opinion)
    assert (event.from_status, event.to_status, event.actor) == (from_status, to_status, community_leader)
    audit = AuditEntry.objects.filter(object_id=str(opinion.pk), action=AuditEntry.Action.UPDATE).get()
    assert audit.actor == community_leader
    if from_status != to_status:
        assert audit.changes["status"] == [from_status, to_status]


def test_an_opinion_walks_the_whole_path_with_one_event_per_step(places, community_leader, worker_a, forum_a):
    opinion = services.opinion_create(
        actor=worker_a, source=Opinion.Source.MEETING, meeting=forum_a, text="香港城缺少公共晾衣架", raised_by="陈阿姨"
    )
    services.opinion_sort(actor=community_leader, opinion=opinion, category=opinion_category("实事工程"))
    services.opinion_assign(
        actor=community_leader, opinion=opinion, responsible=worker_a, due_on=in_days(30), note="请尽快勘察"
    )
    services.opinion_start(actor=worker_a, opinion=opinion)
    services.opinion_resolve(actor=worker_a, opinion=opinion, resolution="已建成公共晾衣架")
    steps = [(e.from_status, e.to_status, e.actor, e.note) for e in opinion.events.order_by("pk")]
    assert steps == [
        ("", Status.NEW, worker_a, ""),
        (Status.NEW, Status.SORTED, community_leader, ""),
        (Status.SORTED, Status.ASSIGNED, community_leader, "请尽快勘察"),
        (Status.ASSIGNED, Status.IN_PROGRESS, worker_a, ""),
        (Status.IN_PROGRESS, Status.RESOLVED, worker_a, "已建成公共晾衣架"),
    ]
    audits = AuditEntry.objects.filter(object_id=str(opinion.pk), content_type__model="opinion")
    assert [a.action for a in audits.order_by("pk")] == [AuditEntry.Action.CREATE] + [AuditEntry.Action.UPDATE] * 4
    opinion.refresh_from_db()
    assert opinion.closed_at is not None and opinion.closed_on_time() is True


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        (Status.NEW, Status.ASSIGNED),
        (Status.SORTED, Status.RESOLVED),
        (Status.SORTED, Status.IN_PROGRESS),
        (Status.ASSIGNED, Status.RESOLVED),
        (Status.ASSIGNED, Status.EXPLAINED),
        (Status.RESOLVED, Status.ASSIGNED),
        (Status.EXPLAINED, Status.IN_PROGRESS),
        (Status.SPLIT, Status.ASSIGNED),
    ],
)
def test_no_step_is_skipped_and_the_refusal_says_why(places, leader, worker_a, from_status, to_status):
    opinion = opinion_at(from_status, community=places.community_a, responsible=worker_a)
    before = snapshot(opinion)
    with pytest.raises(ValidationError) as error:
        take_step(to_status, opinion=opinion, actor=leader, responsible=worker_a)
    assert "不能直接转为" in str(error.value)
    assert snapshot(opinion) == before


# --- Sorting and splitting --------------------------------------------------------------------------------------


def test_sorting_needs_a_category(places, community_leader):
    opinion = opinion_at(Status.NEW, community=places.community_a)
    before = snapshot(opinion)
    with pytest.raises(ValidationError) as error:
        services.opinion_sort(actor=community_leader, opinion=opinion, category=None)
    assert "category" in error.value.message_dict
    assert snapshot(opinion) == before


def test_sorting_into_a_retired_category_is_refused(places, community_leader):
    retired = opinion_category("精神文明")
    retired.is_active = False
    retired.save()
    opinion = opinion_at(Status.NEW, community=places.community_a)
    before = snapshot(opinion)
    with pytest.raises(ValidationError) as error:
        services.opinion_sort(actor=community_leader, opinion=opinion, category=retired)
    assert "该分类已停用" in str(error.value)
    assert snapshot(opinion) == before


def test_sorting_stores_the_category(places, community_leader):
    opinion = opinion_at(Status.NEW, community=places.community_a)
    services.opinion_sort(actor=community_leader, opinion=opinion, category=opinion_category("交通秩序"))
    opinion.refresh_from_db()
    assert (opinion.status, opinion.category.name) == (Status.SORTED, "交通秩序")


@pytest.mark.parametrize("persona", ["worker_a", "staff", "cadre"])
def test_who_does_not_dispatch_does_not_sort_split_or_assign(request, places, persona, worker_a):
    actor = request.getfixturevalue(persona)
    new = opinion_at(Status.NEW, community=places.community_a, created_by=actor)
    sorted_ = opinion_at(Status.SORTED, community=places.community_a, created_by=actor)
    category = opinion_category()
    with pytest.raises(PermissionDenied):
        services.opinion_sort(actor=actor, opinion=new, category=category)
    with pytest.raises(PermissionDenied):
        services.opinion_split(actor=actor, opinion=new, parts=[("一", category), ("二", category)])
    with pytest.raises(PermissionDenied):
        services.opinion_assign(actor=actor, opinion=sorted_, responsible=worker_a, due_on=in_days(3))
    assert not OpinionEvent.objects.exists()


def test_a_dispatcher_does_not_touch_an_opinion_outside_his_scope(places, community_leader, chief):
    in_b = opinion_at(Status.NEW, community=places.community_b)
    for dispatcher in (community_leader, chief):
        with pytest.raises(PermissionDenied):
            services.opinion_sort(actor=dispatcher, opinion=in_b, category=opinion_category())
    in_b.refresh_from_db()
    assert in_b.status == Status.NEW


def test_a_split_keeps_the_original_and_sorts_linked_parts_that_inherit_source_and_place(
    places, community_leader, worker_a, forum_a
):
    topic = TopicMeeting.objects.create(
        street=places.street, title="晾衣架", held_on=today(), chaired_by=community_leader, recorded_by=community_leader
    )
    original = OpinionFactory(
        community=places.community_a,
        estate=places.estate_a,
        meeting=forum_a,
        location="3幢楼下",
        raised_by="陈阿姨",
        contact="13800001111",
        text="增设晾衣架，修补路面",
        created_by=worker_a,
        topic_meeting=topic,
    )
    events_before = OpinionEvent.objects.count()
    parts = services.opinion_split(
        actor=community_leader,
        opinion=original,
        parts=[
            (" 增设晾衣架 ", opinion_category("实事工程")),
            ("修补路面", opinion_category("市容市貌")),
            ("  ", None),
        ],
    )
    original.refresh_from_db()
    assert original.status == Status.SPLIT
    assert original.text == "增设晾衣架，修补路面"  # what the resident said stays on record
    assert [p.text for p in parts] == ["增设晾衣架", "修补路面"]
    assert [p.category.name for p in parts] == ["实事工程", "市容市貌"]
    for part in parts:
        part.refresh_from_db()
        assert part.status == Status.SORTED and part.parent == original
        assert (part.street, part.source, part.meeting) == (places.street, Opinion.Source.MEETING, forum_a)
        assert (part.community, part.estate, part.location) == (places.community_a, places.estate_a, "3幢楼下")
        assert (part.raised_by, part.contact) == ("陈阿姨", "13800001111")
        assert part.topic_meeting == topic  # the meeting that studied the whole still owns its parts
        event = part.events.get()
        assert (event.from_status, event.to_status, event.actor) == ("", Status.SORTED, community_leader)
        assert f"#{original.pk}" in event.note
    assert set(original.parts.all()) == set(parts)
    split_event = last_event(original)
    assert (split_event.from_status, split_event.to_status) == (Status.NEW, Status.SPLIT)
    assert all(f"#{p.pk}" in split_event.note for p in parts)
    assert OpinionEvent.objects.count() == events_before + 3


@pytest.mark.parametrize(
    "parts",
    [
        [],
        [("只有一条", "环境卫生")],
        [("一条", "环境卫生"), ("   ", "环境卫生")],  # a blank part is not a part
        [("一条", "环境卫生"), ("另一条", None)],  # each part has a category
    ],
)
def test_a_split_needs_two_non_empty_parts_each_with_a_category(places, community_leader, parts):
    opinion = opinion_at(Status.NEW, community=places.community_a)
    before = snapshot(opinion)
    with pytest.raises(ValidationError) as error:
        services.opinion_split(
            actor=community_leader,
            opinion=opinion,
            parts=[(text, opinion_category(name) if name else None) for text, name in parts],
        )
    assert "parts" in error.value.message_dict
    assert snapshot(opinion) == before


# --- Assigning --------------------------------------------------------------------------------------------------


def test_assigning_names_a_responsible_person_a_date_a_leader_and_a_department(places, leader, deputy, staff):
    opinion = opinion_at(Status.SORTED, community=places.community_a)
    services.opinion_assign(
        actor=leader,
        opinion=opinion,
        responsible=staff,
        due_on=today(),  # today is not in the past
        leader_in_charge=deputy,
        department=places.department,
    )
    opinion.refresh_from_db()
    assert opinion.status == Status.ASSIGNED
    assert (opinion.responsible, opinion.due_on, opinion.leader_in_charge) == (staff, today(), deputy)
    assert (opinion.department, opinion.community) == (places.department, places.community_a)
    audit = AuditEntry.objects.get(object_id=str(opinion.pk))
    assert audit.changes["responsible"] == [None, str(staff)]


@pytest.mark.parametrize(
    ("responsible", "due_on", "fields"),
    [
        (False, 7, {"responsible"}),
        (True, None, {"due_on"}),
        (True, -1, {"due_on"}),
        (False, None, {"responsible", "due_on"}),
    ],
)
def test_assigning_needs_a_responsible_person_and_a_date_not_in_the_past(
    places, community_leader, worker_a, responsible, due_on, fields
):
    opinion = opinion_at(Status.SORTED, community=places.community_a)
    before = snapshot(opinion)
    with pytest.raises(ValidationError) as error:
        services.opinion_assign(
            actor=community_leader,
            opinion=opinion,
            responsible=worker_a if responsible else None,
            due_on=None if due_on is None else in_days(due_on),
        )
    assert set(error.value.message_dict) == fields
    assert snapshot(opinion) == before


def test_the_responsible_person_is_in_the_assigners_scope(places, community_leader, worker_b):
    opinion = opinion_at(Status.SORTED, community=places.community_a)
    before = snapshot(opinion)
    with pytest.raises(ValidationError) as error:
        services.opinion_assign(actor=community_leader, opinion=opinion, responsible=worker_b, due_on=in_days(7))
    assert "责任人不在您的管辖范围内" in str(error.value)
    assert snapshot(opinion) == before


def test_an_inactive_colleague_is_not_made_responsible(places, community_leader, worker_a):
    worker_a.is_active = False
    worker_a.save()
    opinion = opinion_at(Status.SORTED, community=places.community_a)
    with pytest.raises(ValidationError) as error:
        services.opinion_assign(actor=community_leader, opinion=opinion, responsible=worker_a, due_on=in_days(7))
    assert "responsible" in error.value.message_dict


def test_nobody_of_another_street_is_made_responsible_even_by_the_administrator(places, system_admin):
    # The administrator sees every street; a responsible person of another street could never see the opinion.
    stranger = UserFactory(role=Role.DEPARTMENT_STAFF, street=places.other_street)
    opinion = opinion_at(Status.SORTED, community=places.community_a)
    before = snapshot(opinion)
    with pytest.raises(ValidationError) as error:
        services.opinion_assign(actor=system_admin, opinion=opinion, responsible=stranger, due_on=in_days(7))
    assert "responsible" in error.value.message_dict
    assert snapshot(opinion) == before


def test_the_leader_in_charge_must_be_a_leader_of_the_street(places, leader, chief, staff, other_street_leader):
    opinion = opinion_at(Status.SORTED, community=places.community_a)
    before = snapshot(opinion)
    for not_a_leader in (chief, other_street_leader):
        with pytest.raises(ValidationError) as error:
            services.opinion_assign(
                actor=leader, opinion=opinion, responsible=staff, due_on=in_days(7), leader_in_charge=not_a_leader
            )
        assert set(error.value.message_dict) == {"leader_in_charge"}
    assert snapshot(opinion) == before


def test_a_community_leader_names_the_streets_leader_in_charge_who_then_sees_it(
    places, community_leader, worker_a, deputy
):
    # The community leader sees only her community's staff, yet the deputy in charge is the street's.
    opinion = opinion_at(Status.SORTED, community=places.community_a)
    assert not Opinion.objects.visible_to(deputy).filter(pk=opinion.pk).exists()
    services.opinion_assign(
        actor=community_leader,
        opinion=opinion,
        responsible=worker_a,
        due_on=in_days(7),
        leader_in_charge=deputy,
        department=places.department,
    )
    assert Opinion.objects.visible_to(deputy).filter(pk=opinion.pk).exists()


def test_department_and_community_are_in_the_assigners_scope_and_the_opinions_street(
    places, community_leader, worker_a, system_admin
):
    opinion = opinion_at(Status.SORTED, community=places.community_a)
    before = snapshot(opinion)
    with pytest.raises(ValidationError) as error:
        services.opinion_assign(
            actor=community_leader,
            opinion=opinion,
            responsible=worker_a,
            due_on=in_days(7),
            community=places.community_b,
        )
    assert set(error.value.message_dict) == {"community"}
    elsewhere = DepartmentFactory(street=places.other_street, name="城管科")
    with pytest.raises(ValidationError) as error:
        services.opinion_assign(
            actor=system_admin, opinion=opinion, responsible=worker_a, due_on=in_days(7), department=elsewhere
        )
    assert set(error.value.message_dict) == {"department"}
    assert snapshot(opinion) == before


@pytest.mark.parametrize("from_status", [Status.ASSIGNED, Status.IN_PROGRESS])
def test_an_assigned_or_started_opinion_is_reassigned(places, deputy, staff, from_status):
    other = UserFactory(role=Role.DEPARTMENT_STAFF, street=places.street, department=places.department)
    opinion = opinion_at(from_status, community=places.community_b, responsible=staff, department=places.department)
    services.opinion_assign(
        actor=deputy, opinion=opinion, responsible=other, due_on=in_days(20), department=places.department
    )
    opinion.refresh_from_db()
    assert (opinion.status, opinion.responsible, opinion.due_on) == (Status.ASSIGNED, other, in_days(20))
    event = last_event(opinion)
    assert (event.from_status, event.to_status, event.actor) == (from_status, Status.ASSIGNED, deputy)
    assert AuditEntry.objects.get(object_id=str(opinion.pk)).changes["responsible"] == [str(staff), str(other)]


# --- Carrying it out --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["worker_a", "community_leader", "leader"])
def test_the_responsible_person_or_a_dispatcher_starts_the_work(request, places, worker_a, persona):
    actor = request.getfixturevalue(persona)
    opinion = opinion_at(Status.ASSIGNED, community=places.community_a, responsible=worker_a)
    services.opinion_start(actor=actor, opinion=opinion, note="已到现场")
    opinion.refresh_from_db()
    assert opinion.status == Status.IN_PROGRESS
    assert (last_event(opinion).actor, last_event(opinion).note) == (actor, "已到现场")


@pytest.mark.parametrize("persona", ["worker_a2", "worker_b", "staff", "chief"])
def test_nobody_else_starts_resolves_or_explains_it(request, places, worker_a, persona):
    # worker_a2 sees the opinion (her community's) but is not responsible for it and does not dispatch.
    actor = request.getfixturevalue(persona)
    assigned = opinion_at(Status.ASSIGNED, community=places.community_a, responsible=worker_a)
    started = opinion_at(Status.IN_PROGRESS, community=places.community_a, responsible=worker_a)
    with pytest.raises(PermissionDenied):
        services.opinion_start(actor=actor, opinion=assigned)
    with pytest.raises(PermissionDenied):
        services.opinion_resolve(actor=actor, opinion=started, resolution="已办")
    with pytest.raises(PermissionDenied):
        services.opinion_explain(actor=actor, opinion=started, explanation="无法办理")
    assert not OpinionEvent.objects.exists()


def test_resolving_records_what_was_done_and_when(places, worker_a):
    opinion = opinion_at(Status.IN_PROGRESS, community=places.community_a, responsible=worker_a)
    services.opinion_resolve(actor=worker_a, opinion=opinion, resolution="  已建成晾衣架  ")
    opinion.refresh_from_db()
    assert (opinion.status, opinion.resolution) == (Status.RESOLVED, "已建成晾衣架")
    assert opinion.closed_at is not None and opinion.is_closed
    assert last_event(opinion).note == "已建成晾衣架"


@pytest.mark.parametrize("text", ["", "   ", None])
def test_resolving_needs_the_result(places, worker_a, text):
    opinion = opinion_at(Status.IN_PROGRESS, community=places.community_a, responsible=worker_a)
    before = snapshot(opinion)
    with pytest.raises(ValidationError) as error:
        services.opinion_resolve(actor=worker_a, opinion=opinion, resolution=text)
    assert "resolution" in error.value.message_dict
    assert snapshot(opinion) == before


def test_explaining_records_what_the_resident_was_told(places, worker_a):
    opinion = opinion_at(Status.IN_PROGRESS, community=places.community_a, responsible=worker_a)
    services.opinion_explain(actor=worker_a, opinion=opinion, explanation="文新小学对面人行道宽度不足，无法设置座椅")
    opinion.refresh_from_db()
    assert opinion.status == Status.EXPLAINED
    assert opinion.explanation.startswith("文新小学对面") and opinion.closed_at is not None
    assert last_event(opinion).note == opinion.explanation


@pytest.mark.parametrize("text", ["", "  \n ", None])
def test_explaining_needs_the_explanation(places, worker_a, text):
    opinion = opinion_at(Status.IN_PROGRESS, community=places.community_a, responsible=worker_a)
    before = snapshot(opinion)
    with pytest.raises(ValidationError) as error:
        services.opinion_explain(actor=worker_a, opinion=opinion, explanation=text)
    assert "explanation" in error.value.message_dict
    assert snapshot(opinion) == before


def test_a_step_on_a_stale_copy_is_checked_against_the_database(places, worker_a, community_leader):
    # Two tabs: the opinion was resolved in one; the other still holds it "in progress".
    opinion = opinion_at(Status.IN_PROGRESS, community=places.community_a, responsible=worker_a)
    stale = Opinion.objects.get(pk=opinion.pk)
    services.opinion_resolve(actor=worker_a, opinion=opinion, resolution="已办")
    with pytest.raises(ValidationError):
        services.opinion_explain(actor=community_leader, opinion=stale, explanation="无法办理")
    opinion.refresh_from_db()
    assert (opinion.status, opinion.explanation) == (Status.RESOLVED, "")


# --- Collecting -------------------------------------------------------------------------------------------------


@pytest.fixture
def forum_a(places, worker_a) -> Meeting:
    return MeetingFactory(community=places.community_a, recorded_by=worker_a)


@pytest.fixture
def visit_a(places, worker_a):
    return VisitFactory(household=HouseholdFactory(grid_area=places.area_a, estate=places.estate_a), visitor=worker_a)


def test_an_opinion_from_a_forum_takes_the_forums_community(places, worker_a, forum_a):
    opinion = services.opinion_create(
        actor=worker_a, source=Opinion.Source.MEETING, meeting=forum_a, text="  增设晾衣架  ", contact="13800001111"
    )
    assert (opinion.street, opinion.community, opinion.meeting) == (places.street, places.community_a, forum_a)
    assert (opinion.status, opinion.text, opinion.created_by) == (Status.NEW, "增设晾衣架", worker_a)
    assert opinion.tracking_code is None
    event = opinion.events.get()
    assert (event.from_status, event.to_status, event.actor) == ("", Status.NEW, worker_a)
    audit = AuditEntry.objects.get(object_id=str(opinion.pk))
    assert (audit.action, audit.actor) == (AuditEntry.Action.CREATE, worker_a)


def test_an_opinion_from_a_visit_takes_the_households_community_and_estate(places, worker_a, visit_a):
    opinion = services.opinion_create(actor=worker_a, source=Opinion.Source.VISIT, visit=visit_a, text="楼道灯坏了")
    assert (opinion.community, opinion.estate, opinion.visit) == (places.community_a, places.estate_a, visit_a)


def test_an_estate_gives_its_community(places, worker_a, forum_a):
    opinion = services.opinion_create(
        actor=worker_a, source=Opinion.Source.MEETING, meeting=forum_a, estate=places.estate_a, text="停车难"
    )
    assert opinion.community == places.community_a


def test_an_estate_outside_the_chosen_community_is_refused(places, staff):
    street_meeting = MeetingFactory(community=None, street=places.street, kind=meeting_kind("deputies_forum"))
    with pytest.raises(ValidationError) as error:
        services.opinion_create(
            actor=staff,
            source=Opinion.Source.MEETING,
            meeting=street_meeting,
            community=places.community_a,
            estate=places.estate_b,
            text="停车难",
        )
    assert "estate" in error.value.message_dict
    assert not Opinion.objects.exists()


def test_an_enterprise_or_paired_village_opinion_belongs_to_the_street(places, staff):
    enterprise = EnterpriseFactory(street=places.street)
    village = PairedVillageFactory(street=places.street)
    from_enterprise = services.opinion_create(
        actor=staff, source=Opinion.Source.ENTERPRISE, enterprise=enterprise, text="希望协调停车位"
    )
    from_village = services.opinion_create(
        actor=staff, source=Opinion.Source.PAIRED_VILLAGE, paired_village=village, text="希望帮助销售农产品"
    )
    for opinion in (from_enterprise, from_village):
        assert (opinion.street, opinion.community) == (places.street, None)


def test_an_opinion_from_a_visit_the_actor_does_not_see_is_refused(places, worker_a, worker_b):
    visit_b = VisitFactory(household=HouseholdFactory(grid_area=places.area_b, estate=places.estate_b))
    with pytest.raises(ValidationError) as error:
        services.opinion_create(actor=worker_a, source=Opinion.Source.VISIT, visit=visit_b, text="路灯不亮")
    assert error.value.message_dict["visit"] == ["不在您的管辖范围内。"]
    assert not Opinion.objects.exists() and not OpinionEvent.objects.exists()


def test_an_opinion_from_another_streets_meeting_is_refused(places, worker_a):
    elsewhere = MeetingFactory(community=None, street=places.other_street, kind=meeting_kind("deputies_forum"))
    with pytest.raises(ValidationError) as error:
        services.opinion_create(actor=worker_a, source=Opinion.Source.MEETING, meeting=elsewhere, text="路灯不亮")
    assert "meeting" in error.value.message_dict


@pytest.mark.parametrize(
    ("source", "link", "error_field"),
    [
        (Opinion.Source.VISIT, None, "visit"),  # a visit opinion names its visit
        (Opinion.Source.MEETING, None, "meeting"),
        (Opinion.Source.ENTERPRISE, "meeting", "meeting"),  # and nothing of another source
        (Opinion.Source.ONLINE, None, "source"),  # online opinions arrive only through the public page
        ("rumour", None, "source"),
    ],
)
def test_each_source_names_its_own_link_and_no_other(places, worker_a, forum_a, source, link, error_field):
    links = {"meeting": forum_a} if link == "meeting" else {}
    with pytest.raises(ValidationError) as error:
        services.opinion_create(actor=worker_a, source=source, text="意见", **links)
    assert error_field in error.value.message_dict
    assert not Opinion.objects.exists()


def test_an_opinion_about_a_community_out_of_scope_is_refused(places, worker_a, forum_a):
    with pytest.raises(ValidationError) as error:
        services.opinion_create(
            actor=worker_a, source=Opinion.Source.MEETING, meeting=forum_a, community=places.community_b, text="意见"
        )
    assert "community" in error.value.message_dict
    assert not Opinion.objects.exists()


@pytest.mark.parametrize("text", ["", "   ", "长" * 2001])
def test_an_empty_or_too_long_opinion_is_refused(places, worker_a, forum_a, text):
    with pytest.raises(ValidationError) as error:
        services.opinion_create(actor=worker_a, source=Opinion.Source.MEETING, meeting=forum_a, text=text)
    assert "text" in error.value.message_dict
    assert not Opinion.objects.exists()


def test_someone_without_a_street_records_no_opinion(places, system_admin, forum_a):
    with pytest.raises(PermissionDenied):
        services.opinion_create(actor=system_admin, source=Opinion.Source.MEETING, meeting=forum_a, text="意见")


# --- The online channel -----------------------------------------------------------------------------------------


def test_an_online_opinion_gets_a_readable_tracking_code_and_no_actor(places):
    opinion = services.opinion_submit_online(
        community=places.community_a, text=" 小区门口垃圾桶太少 ", raised_by="王先生", contact="13800002222"
    )
    assert len(opinion.tracking_code) == services.TRACKING_LENGTH == 8
    assert set(opinion.tracking_code) <= set(services.TRACKING_ALPHABET)
    assert not set("0O1IL") & set(services.TRACKING_ALPHABET)
    assert (opinion.source, opinion.status, opinion.text) == (Opinion.Source.ONLINE, Status.NEW, "小区门口垃圾桶太少")
    assert (opinion.street, opinion.community, opinion.created_by) == (places.street, places.community_a, None)
    event = opinion.events.get()
    assert (event.to_status, event.actor) == (Status.NEW, None)
    assert AuditEntry.objects.get(object_id=str(opinion.pk)).actor is None


def test_every_online_opinion_has_its_own_code(places):
    codes = {
        services.opinion_submit_online(community=places.community_a, text=f"意见{n}").tracking_code for n in range(20)
    }
    assert len(codes) == 20


def test_a_repeated_code_is_drawn_again(places, monkeypatch):
    first = services.opinion_submit_online(community=places.community_a, text="第一条")
    draws = iter([first.tracking_code, "ABCDEFGH"])
    monkeypatch.setattr(services, "new_tracking_code", lambda: next(draws))
    second = services.opinion_submit_online(community=places.community_a, text="第二条")
    assert second.tracking_code == "ABCDEFGH"
    assert Opinion.objects.count() == 2 and OpinionEvent.objects.count() == 2


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"text": "长" * 2001}, "text"),
        ({"text": ""}, "text"),
        ({"text": "意见", "contact": "not a phone"}, "contact"),
        ({"text": "意见", "raised_by": "名" * 51}, "raised_by"),
    ],
)
def test_an_online_opinion_out_of_bounds_is_refused(places, fields, error_field):
    with pytest.raises(ValidationError) as error:
        services.opinion_submit_online(community=places.community_a, **fields)
    assert error_field in error.value.message_dict
    assert not Opinion.objects.exists() and not OpinionEvent.objects.exists()


# --- Meetings ---------------------------------------------------------------------------------------------------


def forum_fields(**overrides) -> dict:
    return {"place": "社区会议室", "host_unit": "德加社区", "residents": 20, "party_members": 4, **overrides}


def test_a_worker_records_her_communitys_forum(places, worker_a):
    meeting = services.meeting_create(
        actor=worker_a,
        kind=meeting_kind("community_forum"),
        held_on=today(),  # today is not the future
        community=places.community_a,
        **forum_fields(),
    )
    assert (meeting.street, meeting.community, meeting.recorded_by) == (places.street, places.community_a, worker_a)
    assert meeting.attendee_total == 24
    audit = AuditEntry.objects.get(object_id=str(meeting.pk), content_type__model="meeting")
    assert (audit.action, audit.actor) == (AuditEntry.Action.CREATE, worker_a)


@pytest.mark.parametrize(("community", "error_field"), [(None, "community"), ("community_b", "community")])
def test_a_community_forum_is_in_a_community_the_actor_sees(places, worker_a, community, error_field):
    with pytest.raises(ValidationError) as error:
        services.meeting_create(
            actor=worker_a,
            kind=meeting_kind("community_forum"),
            held_on=today(),
            community=getattr(places, community) if community else None,
            **forum_fields(),
        )
    assert error_field in error.value.message_dict
    assert not Meeting.objects.exists() and not AuditEntry.objects.exists()


def test_street_staff_record_a_street_meeting_without_a_community(places, staff):
    meeting = services.meeting_create(
        actor=staff, kind=meeting_kind("deputies_forum"), held_on=today(), **forum_fields(host_unit="人大、政协")
    )
    assert (meeting.street, meeting.community) == (places.street, None)


@pytest.mark.parametrize("persona", ["worker_a", "community_leader"])
def test_community_staff_do_not_record_a_street_meeting(request, places, persona):
    with pytest.raises(ValidationError) as error:
        services.meeting_create(
            actor=request.getfixturevalue(persona),
            kind=meeting_kind("residents_forum"),
            held_on=today(),
            **forum_fields(),
        )
    assert "kind" in error.value.message_dict
    assert not Meeting.objects.exists()


def test_a_street_meeting_names_no_community(places, staff):
    with pytest.raises(ValidationError) as error:
        services.meeting_create(
            actor=staff,
            kind=meeting_kind("residents_forum"),
            held_on=today(),
            community=places.community_a,
            **forum_fields(),
        )
    assert "community" in error.value.message_dict


def test_a_meeting_in_the_future_is_refused(places, worker_a):
    with pytest.raises(ValidationError) as error:
        services.meeting_create(
            actor=worker_a,
            kind=meeting_kind("community_forum"),
            held_on=in_days(1),
            community=places.community_a,
            **forum_fields(),
        )
    assert "held_on" in error.value.message_dict
    assert not Meeting.objects.exists() and not AuditEntry.objects.exists()


def test_a_retired_kind_takes_no_new_meeting_but_its_old_ones_stay_editable(places, worker_a, forum_a):
    retired = MeetingKind.objects.create(code="old_forum", name="旧恳谈会", held_by=MeetingKind.HeldBy.COMMUNITY)
    old = MeetingFactory(community=places.community_a, kind=retired, recorded_by=worker_a)
    retired.is_active = False
    retired.save()
    with pytest.raises(ValidationError) as error:
        services.meeting_create(
            actor=worker_a, kind=retired, held_on=today(), community=places.community_a, **forum_fields()
        )
    assert "kind" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.meeting_update(actor=worker_a, meeting=forum_a, data={"kind": retired})
    services.meeting_update(actor=worker_a, meeting=old, data={"minutes": "补记纪要"})
    old.refresh_from_db()
    assert old.minutes == "补记纪要"


def test_a_meeting_without_a_street_role_or_with_unknown_fields_is_refused(places, system_admin, worker_a):
    with pytest.raises(PermissionDenied):
        services.meeting_create(
            actor=system_admin, kind=meeting_kind("community_forum"), held_on=today(), community=places.community_a
        )
    with pytest.raises(TypeError):
        services.meeting_create(
            actor=worker_a, kind=meeting_kind("community_forum"), held_on=today(), recorded_by=worker_a
        )


def test_correcting_a_meeting_audits_what_changed(places, worker_a, forum_a):
    services.meeting_update(actor=worker_a, meeting=forum_a, data={"minutes": "议定增设晾衣架", "residents": 30})
    forum_a.refresh_from_db()
    assert (forum_a.minutes, forum_a.residents) == ("议定增设晾衣架", 30)
    audit = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE)
    assert audit.changes == {"minutes": ["", "议定增设晾衣架"], "residents": [12, 30]}
    services.meeting_update(actor=worker_a, meeting=forum_a, data={"residents": 30})
    assert AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE).count() == 1  # nothing changed, nothing audited


def test_a_meeting_out_of_scope_is_not_corrected(places, worker_b, forum_a):
    with pytest.raises(PermissionDenied):
        services.meeting_update(actor=worker_b, meeting=forum_a, data={"minutes": "改"})
    forum_a.refresh_from_db()
    assert forum_a.minutes == ""


@pytest.mark.parametrize(
    "data",
    [
        {"community": "community_b"},  # moved to a community she does not see
        {"held_on": 1},  # into the future
        {"kind": "residents_forum", "community": None},  # turned into a street meeting by community staff
    ],
)
def test_a_correction_follows_the_rules_of_recording(places, worker_a, forum_a, data):
    values = {
        "community": lambda v: getattr(places, v) if v else None,
        "held_on": in_days,
        "kind": meeting_kind,
    }
    before = Meeting.objects.values().get(pk=forum_a.pk)
    with pytest.raises(ValidationError):
        services.meeting_update(actor=worker_a, meeting=forum_a, data={k: values[k](v) for k, v in data.items()})
    assert Meeting.objects.values().get(pk=forum_a.pk) == before
    assert not AuditEntry.objects.exists()


# --- Topic meetings ---------------------------------------------------------------------------------------------


@pytest.fixture
def department_opinions(places, staff) -> list[Opinion]:
    """Two open opinions of the deputy's department: one sorted, one assigned."""
    return [
        opinion_at(Status.SORTED, community=places.community_b, department=places.department),
        opinion_at(Status.ASSIGNED, community=places.community_b, department=places.department, responsible=staff),
    ]


def test_a_leader_in_charge_holds_a_topic_meeting_on_his_opinions(places, deputy, department_opinions):
    meeting = services.topic_meeting_create(
        actor=deputy,
        title=" 晾衣架选址 ",
        held_on=today(),
        chaired_by=deputy,
        opinions=department_opinions,
        decisions="由城管科勘察选址",
    )
    assert (meeting.street, meeting.title, meeting.recorded_by) == (places.street, "晾衣架选址", deputy)
    for opinion in department_opinions:
        opinion.refresh_from_db()
        assert opinion.topic_meeting == meeting
        event = opinion.events.get()
        assert (event.from_status, event.to_status, event.actor) == (opinion.status, opinion.status, deputy)
        assert "晾衣架选址" in event.note
    audit = AuditEntry.objects.get(object_id=str(meeting.pk))
    assert audit.changes == {"opinions": sorted(o.pk for o in department_opinions)}


def test_a_street_leader_records_a_topic_meeting_chaired_by_the_deputy(places, leader, deputy):
    opinion = opinion_at(Status.NEW, community=places.community_a)
    meeting = services.topic_meeting_create(
        actor=leader, title="座椅", held_on=today(), chaired_by=deputy, opinions=[opinion]
    )
    assert Opinion.objects.visible_to(deputy).get() == opinion  # the chair now owns the topic's opinions
    assert meeting.chaired_by == deputy


@pytest.mark.parametrize("persona", ["worker_a", "community_leader", "chief", "staff", "cadre", "system_admin"])
def test_only_leaders_hold_topic_meetings(request, places, deputy, persona):
    actor = request.getfixturevalue(persona)
    opinion = opinion_at(Status.NEW, community=places.community_a, created_by=actor)
    with pytest.raises(PermissionDenied):
        services.topic_meeting_create(actor=actor, title="议题", held_on=today(), chaired_by=deputy, opinions=[opinion])
    assert not TopicMeeting.objects.exists()


def topic_refusal_cases(places, deputy, chief, other_street_leader, department_opinions):
    unseen = opinion_at(Status.NEW, community=places.community_a)  # no department: not the deputy's
    closed = opinion_at(Status.RESOLVED, community=places.community_b, department=places.department)
    ok = department_opinions
    return {
        "nothing": ({"opinions": []}, "opinions"),
        "unseen": ({"opinions": [*ok, unseen]}, "opinions"),
        "closed": ({"opinions": [*ok, closed]}, "opinions"),
        "chief chairs": ({"chaired_by": chief}, "chaired_by"),
        "other street chairs": ({"chaired_by": other_street_leader}, "chaired_by"),
        "future": ({"held_on": in_days(1)}, "held_on"),
        "no title": ({"title": "  "}, "title"),
    }


@pytest.mark.parametrize(
    "case", ["nothing", "unseen", "closed", "chief chairs", "other street chairs", "future", "no title"]
)
def test_a_topic_meeting_takes_up_only_visible_open_opinions_under_a_leader(
    places, deputy, chief, other_street_leader, department_opinions, case
):
    overrides, error_field = topic_refusal_cases(places, deputy, chief, other_street_leader, department_opinions)[case]
    fields = {"title": "议题", "held_on": today(), "chaired_by": deputy, "opinions": department_opinions, **overrides}
    with pytest.raises(ValidationError) as error:
        services.topic_meeting_create(actor=deputy, **fields)
    assert error_field in error.value.message_dict
    assert not TopicMeeting.objects.exists() and not OpinionEvent.objects.exists()
    assert not Opinion.objects.filter(topic_meeting__isnull=False).exists()
