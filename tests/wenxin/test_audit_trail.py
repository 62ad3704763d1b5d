"""The audit trail of row changes (django-auditlog, wenxin/audit.py): what is recorded, by whom, and who reads it."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from auditlog.context import auditlog_value
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessment import services as assessment_services
from assessment.models import Evaluation, SpotCheck, SpotCheckItem
from feedback import services as feedback_services
from feedback.models import Opinion
from households import services, tasks
from households.models import AssistanceMeasure, Household, PlanSection, Resident
from tests.factories import (
    AssistancePairFactory,
    AssistancePlanFactory,
    HouseholdCategoryFactory,
    HouseholdFactory,
    OpinionFactory,
    ResidentFactory,
    SubsidyFactory,
    VisitFactory,
    make_id_number,
)
from tests.households.test_import import check, counts, good_rows
from wenxin.audit import AUDITED_MODELS, audit_actor, audit_update, can_read_audit_trail, trail_url
from wenxin.models import AuditEntry, BackgroundJob

Action = LogEntry.Action


def entries_of(obj, *actions: int) -> list[LogEntry]:
    """The log entries of one row, oldest first."""
    found = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).select_related("actor")
    if actions:
        found = found.filter(action__in=actions)
    return list(found.order_by("timestamp", "pk"))


def all_trail_text() -> str:
    """Everything the trail table holds, as one string: what a full ID number must never appear in."""
    return json.dumps(list(LogEntry.objects.values()), default=str, ensure_ascii=False)


def trail_page(kind: str, pk: int) -> str:
    return reverse("audit_trail", args=[kind, pk])


@pytest.fixture
def household_a(places) -> Household:
    return HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, building="3", unit="1", room="301")


@pytest.fixture
def household_b(places) -> Household:
    return HouseholdFactory(grid_area=places.area_b, estate=places.estate_b, building="5", unit="", room="502")


# --- What is registered --------------------------------------------------------------------------------------------


def test_every_record_kind_of_the_issue_is_recorded():
    labels = {model._meta.label for model in auditlog.get_models()}
    assert set(AUDITED_MODELS) <= labels
    assert {
        "households.Household",
        "households.Resident",
        "households.AssistancePlan",
        "households.PlanSection",
        "households.AssistanceMeasure",
        "households.AssistancePair",
        "households.Subsidy",
        "visits.Visit",
        "feedback.Opinion",
        "assessment.SpotCheck",
        "assessment.SpotCheckItem",
        "assessment.Evaluation",
    } <= labels


# --- Create, change, delete of every kind ------------------------------------------------------------------------
# Each builder makes one row of a recorded kind and names a field to change and its new value.


def _household(places, user) -> tuple[Any, str, Any]:
    return HouseholdFactory(grid_area=places.area_a, estate=places.estate_a), "phone", "13811112222"


def _resident(places, user):
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    return ResidentFactory(household=household), "name", "改名后"


def _plan(places, user):
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    return AssistancePlanFactory(household=household), "review_on", datetime.date(2031, 1, 1)


def _section(places, user):
    plan = AssistancePlanFactory(household=HouseholdFactory(grid_area=places.area_a, estate=places.estate_a))
    section = PlanSection.objects.create(
        plan=plan, must="basic", text="独居老人", recorded_by=user, recorded_at=timezone.now()
    )
    return section, "text", "独居老人，行动不便"


def _measure(places, user):
    plan = AssistancePlanFactory(household=HouseholdFactory(grid_area=places.area_a, estate=places.estate_a))
    measure = AssistanceMeasure.objects.create(
        plan=plan, description="每周送餐", responsible=user, due_on=datetime.date(2030, 1, 1)
    )
    return measure, "status", AssistanceMeasure.Status.IN_PROGRESS


def _pair(places, user):
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    return AssistancePairFactory(household=household, staff=user), "ends_on", datetime.date(2030, 6, 30)


def _subsidy(places, user):
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    return SubsidyFactory(household=household, recorded_by=user), "amount", Decimal("1500.50")


def _visit(places, user):
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    return VisitFactory(household=household, visitor=user), "situation", "老人住院了"


def _opinion(places, user):
    return OpinionFactory(community=places.community_a), "status", Opinion.Status.SORTED


def _spot_check(places, user):
    spot_check = SpotCheck.objects.create(
        street=places.street,
        level=SpotCheck.Level.COMMUNITY,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        sample_value=5,
        checker=user,
    )
    return spot_check, "note", "季末抽查"


def _spot_check_item(places, user):
    spot_check, _name, _value = _spot_check(places, user)
    visit = VisitFactory(household=HouseholdFactory(grid_area=places.area_a, estate=places.estate_a))
    item = SpotCheckItem.objects.create(spot_check=spot_check, visit=visit)
    return item, "result", SpotCheckItem.Result.CONFIRMED


def _evaluation(places, user):
    evaluation = Evaluation.objects.create(
        street=places.street,
        kind=Evaluation.Kind.PERFORMANCE,
        year=2026,
        quarter=1,
        person=user,
        score=Decimal("90.00"),
        recorded_by=user,
    )
    return evaluation, "score", Decimal("92.50")


BUILDERS: dict[str, Callable] = {
    "household": _household,
    "resident": _resident,
    "plan": _plan,
    "plan section": _section,
    "assistance measure": _measure,
    "assistance pair": _pair,
    "subsidy": _subsidy,
    "visit": _visit,
    "opinion": _opinion,
    "spot-check": _spot_check,
    "spot-check item": _spot_check_item,
    "evaluation": _evaluation,
}


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_create_change_and_delete_record_who_when_and_what(places, worker_a, kind):
    before = timezone.now()
    with audit_actor(worker_a):
        row, name, new_value = BUILDERS[kind](places, worker_a)
        old_value = getattr(row, name)
        setattr(row, name, new_value)
        row.save()
        pk = row.pk
        row.delete()
    row.pk = pk

    created, changed, deleted = entries_of(row)
    assert [created.action, changed.action, deleted.action] == [Action.CREATE, Action.UPDATE, Action.DELETE]
    assert {created.actor, changed.actor, deleted.actor} == {worker_a}
    assert before <= created.timestamp <= changed.timestamp <= deleted.timestamp <= timezone.now()
    assert changed.changes == {name: [str(old_value), str(new_value)]}
    if old_value is None:
        assert name not in created.changes  # nothing to record where a field starts empty
    else:
        assert created.changes[name][1] == str(old_value)


def test_a_change_that_changes_nothing_writes_no_entry(places, worker_a, household_a):
    with audit_actor(worker_a):
        household_a.save()
    assert entries_of(household_a, Action.UPDATE) == []


def test_the_services_record_the_actor_and_the_id_number_only_masked(places, worker_a, household_a):
    number = make_id_number(700_001)
    with audit_actor(worker_a):
        resident = services.resident_create(actor=worker_a, household=household_a, name="周老伯", id_number=number)
    [created] = entries_of(resident)
    assert created.actor == worker_a
    assert created.changes["id_number"] == ["", f"{number[:6]}********{number[-4:]}"]
    assert created.changes["name"] == ["None", "周老伯"]

    new_number = make_id_number(700_002)
    with audit_actor(worker_a):
        services.resident_update(actor=worker_a, resident=resident, data={"id_number": new_number})
    [changed] = entries_of(resident, Action.UPDATE)
    assert changed.changes["id_number"] == [
        f"{number[:6]}********{number[-4:]}",
        f"{new_number[:6]}********{new_number[-4:]}",
    ]
    text = all_trail_text()
    assert number not in text
    assert new_number not in text


def test_a_subsidy_amount_is_recorded_in_full(places, worker_a, household_a):
    with audit_actor(worker_a):
        subsidy = services.subsidy_record(
            actor=worker_a,
            household=household_a,
            kind="temporary",
            amount=Decimal("1234.56"),
            paid_on=datetime.date(2026, 1, 5),
            source="街道财政",
            approved_by="钱书记",
        )
    [created] = entries_of(subsidy)
    assert created.changes["amount"] == ["None", "1234.56"]


def test_a_households_categories_are_recorded_as_added_and_removed(places, worker_a, household_a):
    low_income = HouseholdCategoryFactory(name="低保户")
    with audit_actor(worker_a):
        household_a.categories.add(low_income)
        household_a.categories.remove(low_income)
    added, removed = entries_of(household_a, Action.UPDATE)
    assert added.changes["categories"] == {"type": "m2m", "operation": "add", "objects": ["低保户"]}
    assert removed.changes["categories"]["operation"] == "delete"


def test_a_request_records_the_signed_in_user_and_her_address(client_for, worker_a, household_a):
    response = client_for(worker_a).post(
        reverse("households:resident_create", args=[household_a.pk]),
        {"name": "吴阿姨", "relation": "spouse", "id_number": "", "phone": "", "note": ""},
        REMOTE_ADDR="10.1.2.3",
        # A client cannot put another address in the trail, nor break the write with one that is none.
        HTTP_X_FORWARDED_FOR="not-an-address, 8.8.8.8",
    )
    assert response.status_code == 302
    [created] = entries_of(Resident.objects.get(name="吴阿姨"))
    assert created.actor == worker_a
    assert created.remote_addr == "10.1.2.3"


def test_the_trusted_proxy_header_gives_the_address(settings, client_for, worker_a, household_a):
    settings.ONLINE_CLIENT_ADDRESS_HEADER = "HTTP_X_REAL_IP"
    client_for(worker_a).post(
        reverse("households:resident_create", args=[household_a.pk]),
        {"name": "吴阿姨", "relation": "spouse", "id_number": "", "phone": "", "note": ""},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_REAL_IP="10.9.8.7",
    )
    [created] = entries_of(Resident.objects.get(name="吴阿姨"))
    assert created.remote_addr == "10.9.8.7"


def test_audit_actor_puts_back_the_actor_it_found(places, worker_a, leader, household_a):
    before = auditlog_value.get(None)
    with audit_actor(leader):
        with audit_actor(worker_a):
            household_a.note = "内层"
            household_a.save()
        household_a.note = "外层"
        household_a.save()
    household_a.note = "之后"
    household_a.save()
    inner, outer, after = entries_of(household_a, Action.UPDATE)
    assert (inner.actor, outer.actor, after.actor) == (worker_a, leader, None)
    assert auditlog_value.get(None) is before


# --- Writes that send no signals ----------------------------------------------------------------------------------


def test_a_background_import_records_each_row_with_the_jobs_user(settings, community_leader, places):
    """Run as the worker runs it: no request, so no middleware names the actor; the job's user does."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    household_import = check(community_leader, good_rows())
    job = tasks.import_apply_start(actor=community_leader, household_import=household_import)
    tasks.apply_household_import.call(job.pk)

    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.SUCCEEDED
    assert counts() == (3, 6)
    for household in Household.objects.all():
        [created] = entries_of(household)
        assert created.actor == community_leader
        assert created.changes["room"] == ["None", household.room]
    head = Resident.objects.get(name="张三")
    [created] = entries_of(head)
    assert created.actor == community_leader
    assert created.changes["id_number"][1] == f"{head.id_number[:6]}********{head.id_number[-4:]}"
    with_categories = entries_of(Household.objects.get(room="101"))[0]
    assert sorted(with_categories.changes["categories"]["objects"]) == ["低保户", "独居老人"]
    text = all_trail_text()
    assert not any(resident.id_number in text for resident in Resident.objects.exclude(id_number=""))


def test_a_spot_check_draw_records_the_sample_and_the_visits_it_locks(places, leader, worker_a):
    visits = [
        VisitFactory(household=HouseholdFactory(grid_area=places.area_a, estate=places.estate_a), visitor=worker_a)
        for _ in range(3)
    ]
    checker = leader  # a street leader may spot-check community staff
    spot_check = SpotCheck.objects.create(
        street=places.street,
        level=SpotCheck.Level.COMMUNITY,
        period_start=timezone.localdate() - datetime.timedelta(days=30),
        period_end=timezone.localdate(),
        sample_value=2,
        checker=checker,
    )
    with audit_actor(checker):
        items = assessment_services.spot_check_draw(actor=checker, spot_check=spot_check, seed=7)

    [drawn] = entries_of(spot_check, Action.UPDATE)
    assert drawn.actor == checker
    assert drawn.changes["seed"] == ["None", "7"]
    assert set(drawn.changes) == {"seed", "population_size", "drawn_at"}
    for item in items:
        [created] = entries_of(item)
        assert created.actor == checker
        assert created.changes["visit"][1] == str(item.visit_id)
    locked = [visit for visit in visits if visit.pk in {item.visit_id for item in items}]
    assert len(locked) == 2
    for visit in locked:
        [marked] = entries_of(visit, Action.UPDATE)
        assert marked.changes["spot_checked_at"][0] == "None"
        assert marked.actor == checker


def test_a_topic_meeting_records_each_opinion_it_takes_up(places, deputy, leader):
    opinions = [OpinionFactory(community=places.community_a, leader_in_charge=deputy) for _ in range(2)]
    with audit_actor(leader):
        meeting = feedback_services.topic_meeting_create(
            actor=leader,
            title="晾衣架专题",
            held_on=timezone.localdate(),
            chaired_by=deputy,
            opinions=opinions,
        )
    for opinion in opinions:
        [taken_up] = entries_of(opinion, Action.UPDATE)
        assert taken_up.actor == leader
        assert taken_up.changes["topic_meeting"] == ["None", str(meeting.pk)]


def test_audit_update_answers_like_update(places, worker_a, household_a):
    with audit_actor(worker_a):
        assert audit_update(Household.objects.filter(pk=household_a.pk), note="批量") == 1
        assert audit_update(Household.objects.filter(pk=household_a.pk, note="别的"), note="不会") == 0
    [changed] = entries_of(household_a, Action.UPDATE)
    assert changed.changes == {"note": ["", "批量"]}


# --- Reading a full ID number -------------------------------------------------------------------------------------


def test_revealing_an_id_number_is_an_access_entry_and_still_an_audit_entry(client_for, leader, household_a):
    head = ResidentFactory(household=household_a)
    response = client_for(leader).post(reverse("households:resident_reveal_id", args=[head.pk]))
    assert response.status_code == 200
    [access] = entries_of(head, Action.ACCESS)
    assert access.actor == leader
    assert access.additional_data == {"field": "id_number"}
    assert AuditEntry.objects.get(action=AuditEntry.Action.REVEAL).actor == leader
    assert head.id_number not in all_trail_text()


def test_a_refused_reveal_records_nothing(client_for, staff, household_a):
    head = ResidentFactory(household=household_a)
    client_for(staff).post(reverse("households:resident_reveal_id", args=[head.pk]))
    assert entries_of(head, Action.ACCESS) == []


# --- The trail page -----------------------------------------------------------------------------------------------


def test_only_street_leaders_and_system_administrators_read_trails(
    worker_a, community_leader, chief, deputy, cadre, staff, social_affairs_staff, leader, system_admin
):
    everyone = [worker_a, community_leader, chief, deputy, cadre, staff, social_affairs_staff, leader, system_admin]
    assert [user.username for user in everyone if can_read_audit_trail(user)] == ["leader", "sysadmin"]
    leader.is_active = False
    assert not can_read_audit_trail(leader)


def _edited(household: Household, user) -> Resident:
    """A household with a history: created, a resident added with an ID number, the phone changed twice."""
    with audit_actor(user):
        resident = services.resident_create(
            actor=user, household=household, name="周老伯", id_number=make_id_number(710_001)
        )
        household.phone = "13811110001"
        household.save()
        household.phone = "13811110002"
        household.save()
    return resident


def test_a_leader_reads_a_households_trail_newest_first(client_for, leader, worker_a, household_a):
    resident = _edited(household_a, worker_a)
    page = client_for(leader).get(trail_page("household", household_a.pk))
    assert page.status_code == 200
    html = page.content.decode()
    shown = [row.entry.pk for row in page.context["rows"]]
    expected = list(
        LogEntry.objects.filter(
            content_type__in=ContentType.objects.get_for_models(Household, Resident).values(),
            object_id__in=[household_a.pk, resident.pk],
        )
        .order_by("-timestamp", "-pk")
        .values_list("pk", flat=True)
    )
    # Both rows' entries, newest first: the household's id and the resident's may be equal, hence the filter.
    assert shown == [pk for pk in expected if pk in shown] and len(shown) >= 4
    newest = page.context["rows"][0]
    assert [(change.old, change.new) for change in newest.changes] == [("13811110001", "13811110002")]
    assert "张丽" in html  # the worker who made the changes
    assert resident.id_number not in html
    assert f"{resident.id_number[:6]}********{resident.id_number[-4:]}" in html
    assert "身份证号码" in html


def test_the_trail_shows_names_and_labels_not_ids(client_for, leader, worker_a, places, household_a):
    household_a.grid_area = places.area_a2
    with audit_actor(worker_a):
        household_a.save()
        opinion = OpinionFactory(community=places.community_a)
        opinion.status = Opinion.Status.SORTED
        opinion.save()
    household_html = client_for(leader).get(trail_page("household", household_a.pk)).content.decode()
    assert "德加第1网格" in household_html and "德加第2网格" in household_html
    opinion_html = client_for(leader).get(trail_page("opinion", opinion.pk)).content.decode()
    assert "待梳理" in opinion_html and "已分类" in opinion_html


@pytest.mark.parametrize("kind", ["household", "plan", "opinion", "visit"])
def test_each_kind_of_page_links_its_trail_for_a_leader_only(client_for, leader, worker_a, places, household_a, kind):
    with audit_actor(worker_a):
        record = {
            "household": lambda: household_a,
            "plan": lambda: AssistancePlanFactory(household=household_a),
            "opinion": lambda: OpinionFactory(community=places.community_a),
            "visit": lambda: VisitFactory(household=household_a, visitor=worker_a),
        }[kind]()
    page_url = {
        "household": reverse("households:detail", args=[household_a.pk]),
        "plan": reverse("households:plan_detail", args=[household_a.pk]),
        "opinion": reverse("feedback:detail", args=[record.pk]),
        "visit": reverse("visits:detail", args=[record.pk]),
    }[kind]
    url = trail_url(record)
    assert url == trail_page(kind, record.pk)

    leader_page = client_for(leader).get(page_url)
    assert leader_page.status_code == 200
    assert f'href="{url}"' in leader_page.content.decode()
    trail = client_for(leader).get(url)
    assert trail.status_code == 200
    assert [row.entry.action for row in trail.context["rows"]][-1] == Action.CREATE

    worker_page = client_for(worker_a).get(page_url)
    if worker_page.status_code == 200:
        assert url not in worker_page.content.decode()


@pytest.mark.parametrize(
    "persona", ["worker_a", "worker_b", "community_leader", "chief", "deputy", "staff", "other_street_leader"]
)
def test_the_trail_answers_404_to_those_who_may_not_read_it(request, client_for, household_a, worker_a, persona):
    _edited(household_a, worker_a)
    user = request.getfixturevalue(persona)
    assert client_for(user).get(trail_page("household", household_a.pk)).status_code == 404


def test_a_leader_gets_404_for_another_streets_record_and_unknown_kinds(
    client_for, leader, places, other_street_leader
):
    from tests.factories import CommunityFactory, EstateFactory, GridAreaFactory

    community = CommunityFactory(street=places.other_street, name="翠苑一区")
    elsewhere = HouseholdFactory(
        grid_area=GridAreaFactory(community=community), estate=EstateFactory(community=community)
    )
    client = client_for(leader)
    assert client.get(trail_page("household", elsewhere.pk)).status_code == 404
    assert client_for(other_street_leader).get(trail_page("household", elsewhere.pk)).status_code == 200
    assert client.get(trail_page("resident", elsewhere.pk)).status_code == 404
    assert client.get(trail_page("household", 999_999)).status_code == 404
    assert client.get(trail_page("household", elsewhere.pk) + "?page=abc").status_code == 404


def test_a_system_administrator_reads_any_trail_and_anonymous_is_sent_to_log_in(
    client, client_for, system_admin, household_a
):
    assert client_for(system_admin).get(trail_page("household", household_a.pk)).status_code == 200
    response = client.get(trail_page("household", household_a.pk))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_trail_cannot_be_posted_to(client_for, leader, household_a):
    assert client_for(leader).post(trail_page("household", household_a.pk)).status_code == 405


def test_a_long_trail_pages_and_costs_the_same_queries(client_for, leader, worker_a, worker_a2, places, household_a):
    client = client_for(leader)
    url = trail_page("household", household_a.pk)

    def edit(times: int) -> None:
        with audit_actor(worker_a):
            for n in range(times):
                ResidentFactory(household=household_a, relation=Resident.Relation.CHILD)
                household_a.grid_area = places.area_a2 if n % 2 else places.area_a
                household_a.note = f"第{n}次"
                household_a.save()
        with audit_actor(worker_a2):
            SubsidyFactory(household=household_a, recorded_by=worker_a2)

    edit(5)
    client.get(url)  # content types and the session are cached from here on
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    edit(30)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["rows"]) == 50
    assert response.context["page"].paginator.num_pages == 2
    assert len(many) <= len(few)  # one query per kind of related row shown, never one per entry
    assert len(many) <= 12
    assert client.get(url + "?page=2").status_code == 200


# --- The trail in the admin ---------------------------------------------------------------------------------------


def test_the_admin_lists_a_street_leader_only_her_streets_entries(client_for, leader, places, worker_a, household_a):
    from tests.factories import CommunityFactory, EstateFactory, GridAreaFactory

    community = CommunityFactory(street=places.other_street, name="翠苑一区")
    with audit_actor(worker_a):
        household_a.note = "本街道"
        household_a.save()
        elsewhere = HouseholdFactory(
            grid_area=GridAreaFactory(community=community), estate=EstateFactory(community=community)
        )
    response = client_for(leader).get(reverse("admin:auditlog_logentry_changelist"))
    assert response.status_code == 200
    listed = set(response.context["cl"].queryset.values_list("pk", flat=True))
    assert {entry.pk for entry in entries_of(household_a)} <= listed
    assert not {entry.pk for entry in entries_of(elsewhere)} & listed


def test_the_admin_entries_are_read_only(client_for, leader, system_admin, worker_a, household_a):
    with audit_actor(worker_a):
        household_a.note = "改过"
        household_a.save()
    [entry] = entries_of(household_a, Action.UPDATE)
    for user in (leader, system_admin):
        client = client_for(user)
        change_url = reverse("admin:auditlog_logentry_change", args=[entry.pk])
        page = client.get(change_url)
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()
        assert client.post(change_url, {"object_repr": "篡改"}).status_code == 403
        assert client.get(reverse("admin:auditlog_logentry_add")).status_code == 403
        assert (
            client.post(reverse("admin:auditlog_logentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
        )
        changelist = client.post(
            reverse("admin:auditlog_logentry_changelist"),
            {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
        )
        assert changelist.status_code in (200, 302)
    entry.refresh_from_db()
    assert entry.object_repr != "篡改"
    assert LogEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize("persona", ["community_leader", "chief", "deputy", "cadre"])
def test_other_admin_users_cannot_open_the_trail_in_the_admin(request, client_for, persona, worker_a, household_a):
    with audit_actor(worker_a):
        household_a.note = "改过"
        household_a.save()
    [entry] = entries_of(household_a, Action.UPDATE)
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 403
    assert client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk])).status_code in (302, 403)
    assert "auditlog" not in client.get(reverse("admin:index")).content.decode()


def test_a_leader_cannot_open_another_streets_entry_in_the_admin(
    client_for, other_street_leader, worker_a, household_a
):
    with audit_actor(worker_a):
        household_a.note = "改过"
        household_a.save()
    [entry] = entries_of(household_a, Action.UPDATE)
    response = client_for(other_street_leader).get(reverse("admin:auditlog_logentry_change", args=[entry.pk]))
    assert response.status_code in (302, 403, 404)
    assert "改过" not in response.content.decode()
