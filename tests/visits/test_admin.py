"""The visit diary, quota rules and the visit-service day in the Django admin, scoped by visible_to(user).

Places (tests/conftest.py): our street (文新街道) with community A (德加社区: areas A and A2) and community B (益乐社区:
area B), and another street (翠苑街道). One visit to a household of each area, one of another street, and the
leaders' own visits.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    CommunityFactory,
    EstateFactory,
    GridAreaFactory,
    HouseholdFactory,
    QuotaRuleFactory,
    ServiceDayMoveFactory,
    UserFactory,
    VisitFactory,
)
from visits.models import QuotaRule, ServiceDayMove, ServiceDayRule, Visit
from visits.periods import Quarter
from visits.selectors import quota_progress, quota_targets
from wenxin.models import AuditEntry, User
from wenxin.roles import Role, sync_role_groups
from wenxin.services import user_sync_role


@pytest.fixture(autouse=True)
def role_groups(db):
    """The role groups exactly as migrate builds them from wenxin.roles."""
    sync_role_groups()


@pytest.fixture
def admin_client_for(client_for):
    """A client logged in as the user, with the group (and admin access) of their role."""

    def make(user):
        user_sync_role(user=user)
        return client_for(user)

    return make


@dataclass
class World:
    households: dict
    visits: dict[str, Visit]


@pytest.fixture
def world(places, worker_a, worker_a2, worker_b, community_leader, leader) -> World:
    """A visit to a household of area A, A2, B and of another street; the community leader's estate visit and
    the street leader's visit to community B."""
    other_community = CommunityFactory(street=places.other_street, name="翠苑一社区")
    other_area = GridAreaFactory(community=other_community, name="翠苑第1网格")
    other_worker = UserFactory(
        username="other_worker", role=Role.SOCIAL_WORKER, street=places.other_street, community=other_community
    )
    other_area.workers.add(other_worker)
    households = {
        "a": HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, building="1", room="101"),
        "a2": HouseholdFactory(grid_area=places.area_a2, estate=places.estate_a, building="2", room="202"),
        "b": HouseholdFactory(grid_area=places.area_b, estate=places.estate_b, building="3", room="303"),
        "other": HouseholdFactory(
            grid_area=other_area, estate=EstateFactory(community=other_community, name="翠苑新村"), room="404"
        ),
    }
    difficulties = {"a": "楼道灯坏了", "a2": "申请低保咨询", "b": "子女不在身边", "other": "翠苑的困难"}
    visits = {key: VisitFactory(household=h, difficulty=difficulties[key]) for key, h in households.items()}
    visits["community_leader"] = VisitFactory(
        household=None,
        kind=Visit.Kind.ESTATE,
        estate=places.estate_a,
        visitor=community_leader,
        street=places.street,
        community=places.community_a,
        situation="查看消防通道",
    )
    visits["leader"] = VisitFactory(
        household=None,
        kind=Visit.Kind.LEADERSHIP,
        target_community=places.community_b,
        visitor=leader,
        street=places.street,
        community=places.community_b,
        situation="听取益乐社区工作汇报",
    )
    return World(households, visits)


def changelist(model: str = "visit") -> str:
    return reverse(f"admin:visits_{model}_changelist")


def change_url(obj) -> str:
    return reverse(f"admin:visits_{obj._meta.model_name}_change", args=[obj.pk])


def form_data(visit: Visit, **changes) -> dict:
    """What the change form posts for the visit, with some fields changed."""
    data = {
        "visited_on": visit.visited_on.isoformat(),
        "kind": visit.kind,
        "companions": [c.pk for c in visit.companions.all()],
        "met_whom": visit.met_whom,
        "situation": visit.situation,
        "living_conditions": visit.living_conditions,
        "state_of_mind": visit.state_of_mind,
        "difficulty": visit.difficulty,
        "action_taken": visit.action_taken,
        "follow_up_by": visit.follow_up_by.isoformat() if visit.follow_up_by else "",
    }
    for field in Visit.TARGET_FIELDS:
        data[field] = getattr(visit, f"{field}_id") or ""
    if visit.follow_up_needed:
        data["follow_up_needed"] = "on"
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


# --- Scope -------------------------------------------------------------------------------------------------------


def test_a_street_leader_lists_the_streets_visits_and_none_of_another_streets(admin_client_for, leader, world):
    response = admin_client_for(leader).get(changelist())

    assert response.status_code == 200
    for key in ("a", "a2", "b", "community_leader", "leader"):
        assert change_url(world.visits[key]) in response.text
    assert change_url(world.visits["other"]) not in response.text
    assert "翠苑" not in response.text


def test_a_community_leader_lists_only_the_communitys_visits(admin_client_for, community_leader, world):
    response = admin_client_for(community_leader).get(changelist())

    assert response.status_code == 200
    for key in ("a", "a2", "community_leader"):
        assert change_url(world.visits[key]) in response.text
    for key in ("b", "leader", "other"):
        assert change_url(world.visits[key]) not in response.text
    assert "益乐社区" not in response.text  # neither in the rows nor in the community filter


def test_a_leader_of_another_street_sees_none_of_our_visits(admin_client_for, other_street_leader, world):
    response = admin_client_for(other_street_leader).get(changelist())

    assert response.status_code == 200
    assert change_url(world.visits["other"]) in response.text
    for key in ("a", "a2", "b", "community_leader", "leader"):
        assert change_url(world.visits[key]) not in response.text


def test_the_list_searches_visitor_address_and_difficulty(admin_client_for, leader, world):
    client = admin_client_for(leader)

    by_difficulty = client.get(changelist(), {"q": "低保"}).text
    by_visitor = client.get(changelist(), {"q": "王芳"}).text
    by_room = client.get(changelist(), {"q": "303"}).text

    assert change_url(world.visits["a2"]) in by_difficulty
    assert change_url(world.visits["a"]) not in by_difficulty
    assert change_url(world.visits["b"]) in by_visitor
    assert change_url(world.visits["a"]) not in by_visitor
    assert change_url(world.visits["b"]) in by_room
    assert change_url(world.visits["a"]) not in by_room


def test_the_search_matches_estates_full_addresses_and_usernames(admin_client_for, leader, world):
    client = admin_client_for(leader)
    estate_b = world.households["b"].estate.name

    by_estate = client.get(changelist(), {"q": estate_b}).text
    by_address = client.get(changelist(), {"q": "2-202"}).text
    by_username = client.get(changelist(), {"q": world.visits["a"].visitor.username}).text

    assert change_url(world.visits["b"]) in by_estate
    assert change_url(world.visits["a"]) not in by_estate
    assert change_url(world.visits["a2"]) in by_address
    assert change_url(world.visits["a"]) not in by_address
    assert change_url(world.visits["a"]) in by_username
    assert change_url(world.visits["b"]) not in by_username


def test_every_word_of_a_search_must_match(admin_client_for, leader, world):
    client = admin_client_for(leader)
    visitor_a2 = world.visits["a2"].visitor.full_name

    both = client.get(changelist(), {"q": f"{visitor_a2} 低保"}).text
    one_only = client.get(changelist(), {"q": f"{visitor_a2} 子女"}).text

    assert change_url(world.visits["a2"]) in both
    assert change_url(world.visits["a2"]) not in one_only


def test_the_search_finds_nothing_out_of_scope(admin_client_for, leader, world):
    response = admin_client_for(leader).get(changelist(), {"q": "翠苑"})

    assert response.status_code == 200
    assert change_url(world.visits["other"]) not in response.text
    assert response.context["cl"].result_list.count() == 0


def test_a_search_makes_as_many_queries_for_many_visits_as_for_few(
    admin_client_for, leader, world, django_assert_max_num_queries
):
    client = admin_client_for(leader)
    with django_assert_max_num_queries(20) as few:
        client.get(changelist(), {"q": "低保"})
    VisitFactory.create_batch(30, household=world.households["a2"], difficulty="申请低保")

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(changelist(), {"q": "低保"})

    assert response.context["cl"].result_count == 31


def test_the_list_filters_by_spot_check(admin_client_for, leader, world):
    Visit.objects.filter(pk=world.visits["a"].pk).update(spot_checked_at=timezone.now())
    client = admin_client_for(leader)

    checked = client.get(changelist(), {"spot_checked": "yes"}).text
    unchecked = client.get(changelist(), {"spot_checked": "no"}).text

    assert change_url(world.visits["a"]) in checked
    assert change_url(world.visits["b"]) not in checked
    assert change_url(world.visits["a"]) not in unchecked
    assert change_url(world.visits["b"]) in unchecked


@pytest.mark.parametrize(
    ("persona", "key"), [("community_leader", "b"), ("other_street_leader", "a"), ("leader", "other")]
)
def test_the_change_page_of_an_out_of_scope_visit_is_not_served(request, admin_client_for, world, persona, key):
    client = admin_client_for(request.getfixturevalue(persona))
    visit = world.visits[key]

    response = client.get(change_url(visit))

    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    followed = client.get(response.url)
    assert "不存在" in followed.text  # "missing" and "not yours" look alike
    assert visit.difficulty not in followed.text
    assert client.post(change_url(visit), form_data(visit, difficulty="改了")).status_code == 302
    visit.refresh_from_db()
    assert visit.difficulty != "改了"


@pytest.mark.parametrize("persona", ["worker_a", "staff"])
def test_users_who_do_not_work_in_the_admin_are_sent_to_its_login(request, admin_client_for, world, persona):
    client = admin_client_for(request.getfixturevalue(persona))

    for url in (changelist(), change_url(world.visits["a"]), changelist("quotarule")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


# --- Autocomplete ------------------------------------------------------------------------------------------------


def autocomplete(client, field_name: str, term: str = "") -> set[str]:
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "visits", "model_name": "visit", "field_name": field_name, "term": term},
    )
    assert response.status_code == 200
    return {result["text"] for result in json.loads(response.content)["results"]}


def test_the_household_autocomplete_answers_only_households_in_scope(admin_client_for, community_leader, world):
    texts = autocomplete(admin_client_for(community_leader), "household")

    assert texts == {str(world.households["a"]), str(world.households["a2"])}


def test_the_estate_and_companion_autocompletes_are_scoped(admin_client_for, community_leader, world, places):
    client = admin_client_for(community_leader)

    assert autocomplete(client, "estate") == {"香港城"}
    assert autocomplete(client, "estate", term="益乐") == set()
    companions = autocomplete(client, "companions")
    assert {"张丽", "陈静", "李书记"} <= companions
    assert not companions & {"王芳", "钱书记", "冯书记"}


def test_the_autocompletes_of_another_streets_leader_answer_only_that_street(
    admin_client_for, other_street_leader, world
):
    client = admin_client_for(other_street_leader)

    assert autocomplete(client, "household") == {str(world.households["other"])}
    assert autocomplete(client, "target_community") == {"翠苑一社区"}


# --- Visits are records: never deleted, changed only through the services ---------------------------------------


@pytest.mark.parametrize("persona", ["community_leader", "leader", "system_admin", "superuser"])
def test_deleting_a_visit_is_refused_to_everyone(request, admin_client_for, world, persona):
    if persona == "superuser":
        user = UserFactory(username="root", role=Role.SYSTEM_ADMIN, street=None, is_staff=True, is_superuser=True)
    else:
        user = request.getfixturevalue(persona)
    client = admin_client_for(user)
    visit = world.visits["community_leader"]
    delete_url = reverse("admin:visits_visit_delete", args=[visit.pk])

    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Visit.objects.filter(pk=visit.pk).exists()
    assert "delete_selected" not in client.get(changelist()).text


def test_editing_her_own_visit_writes_an_audit_entry(admin_client_for, community_leader, world):
    visit = world.visits["community_leader"]
    client = admin_client_for(community_leader)

    response = client.post(change_url(visit), form_data(visit, difficulty="消防通道被占用", action_taken="督促清理"))

    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.difficulty == "消防通道被占用"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE, object_id=str(visit.pk))
    assert entry.actor == community_leader
    assert entry.changes["difficulty"] == ["", "消防通道被占用"]


def test_a_system_admin_edits_a_workers_visit_through_the_service(admin_client_for, system_admin, world, places):
    visit = world.visits["a"]

    response = admin_client_for(system_admin).post(change_url(visit), form_data(visit, met_whom="配偶"))

    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.met_whom == "配偶"
    assert visit.visitor.username == "worker_a"  # the diary's author stays hers
    assert (visit.street, visit.community) == (places.street, places.community_a)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE, object_id=str(visit.pk))
    assert entry.actor == system_admin


def test_a_leader_reads_a_workers_visit_without_editing_it(admin_client_for, leader, world):
    visit = world.visits["b"]
    client = admin_client_for(leader)

    response = client.get(change_url(visit))

    assert response.status_code == 200
    assert "子女不在身边" in response.text
    assert 'name="difficulty"' not in response.text
    assert client.post(change_url(visit), form_data(visit, difficulty="改了")).status_code == 403
    assert not AuditEntry.objects.exists()


def test_a_spot_checked_visit_is_read_only_even_for_its_author(admin_client_for, community_leader, world):
    visit = world.visits["community_leader"]
    Visit.objects.filter(pk=visit.pk).update(spot_checked_at=timezone.now())
    client = admin_client_for(community_leader)

    assert 'name="situation"' not in client.get(change_url(visit)).text
    assert client.post(change_url(visit), form_data(visit, situation="改了")).status_code == 403
    visit.refresh_from_db()
    assert visit.situation == "查看消防通道"


def test_for_a_system_admin_the_admin_edits_a_spot_checked_visit_exactly_when_the_service_does(
    admin_client_for, system_admin, world
):
    visit = world.visits["a"]
    Visit.objects.filter(pk=visit.pk).update(spot_checked_at=timezone.now())
    service_allows = Visit.objects.editable_by(system_admin).filter(pk=visit.pk).exists()

    response = admin_client_for(system_admin).get(change_url(visit))

    assert response.status_code == 200
    assert ('name="situation"' in response.text) == service_allows


def test_a_visit_in_the_future_is_refused_with_a_message(admin_client_for, community_leader, world):
    visit = world.visits["community_leader"]
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    response = admin_client_for(community_leader).post(change_url(visit), form_data(visit, visited_on=tomorrow))

    assert response.status_code == 200
    assert "走访日期不能晚于今天" in response.text
    visit.refresh_from_db()
    assert visit.visited_on < tomorrow
    assert not AuditEntry.objects.exists()


def test_a_new_visit_is_the_writers_own_and_audited(admin_client_for, community_leader, world, places):
    data = {
        "visited_on": timezone.localdate().isoformat(),
        "kind": Visit.Kind.ESTATE,
        "estate": places.estate_a.pk,
        "met_whom": "物业项目经理",
        "situation": "走访服务日查看垃圾分类",
    }

    response = admin_client_for(community_leader).post(reverse("admin:visits_visit_add"), data)

    assert response.status_code == 302
    visit = Visit.objects.get(situation="走访服务日查看垃圾分类")
    assert visit.visitor == community_leader
    assert (visit.street, visit.community) == (places.street, places.community_a)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATE, object_id=str(visit.pk)).exists()


def test_a_new_visit_in_the_future_or_out_of_scope_is_refused(admin_client_for, community_leader, world, places):
    client = admin_client_for(community_leader)
    add = reverse("admin:visits_visit_add")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    base = {"kind": Visit.Kind.ESTATE, "situation": "不该保存"}

    future = client.post(add, {**base, "visited_on": tomorrow.isoformat(), "estate": places.estate_a.pk})
    elsewhere = client.post(add, {**base, "visited_on": timezone.localdate().isoformat(), "estate": places.estate_b.pk})

    assert future.status_code == 200
    assert "走访日期不能晚于今天" in future.text
    assert elsewhere.status_code == 200
    assert not Visit.objects.filter(situation="不该保存").exists()


def test_a_moved_out_household_is_refused_with_the_services_message(admin_client_for, community_leader, world):
    household = world.households["a"]
    visit = VisitFactory(household=household, visitor=community_leader, situation="和社工一起入户")
    household.status = household.Status.MOVED_OUT
    household.moved_out_on = timezone.localdate()
    household.save()

    response = admin_client_for(community_leader).post(change_url(visit), form_data(visit, met_whom="配偶"))

    assert response.status_code == 200
    assert "该户已迁出" in response.text
    visit.refresh_from_db()
    assert visit.met_whom == "户主"


# --- Quota rules -------------------------------------------------------------------------------------------------


def test_a_system_admin_changes_the_role_target_and_the_dashboard_follows(
    admin_client_for, system_admin, leader, world, worker_a
):
    rule = QuotaRule.objects.get(role=Role.SOCIAL_WORKER, user=None)
    data = {"role": Role.SOCIAL_WORKER, "user": "", "households_per_quarter": 40, "note": "本季度调整"}

    response = admin_client_for(system_admin).post(change_url(rule), data)

    assert response.status_code == 302
    assert quota_targets([worker_a]) == {worker_a.pk: 40}
    rows = quota_progress(viewer=leader, quarter=Quarter.current())
    assert {row.target for row in rows} == {40}


def test_a_system_admin_gives_one_worker_a_target_of_her_own(admin_client_for, system_admin, world, worker_a, worker_b):
    data = {"role": "", "user": worker_a.pk, "households_per_quarter": 30, "note": "兼任网格长"}

    response = admin_client_for(system_admin).post(reverse("admin:visits_quotarule_add"), data)

    assert response.status_code == 302
    assert quota_targets([worker_a, worker_b]) == {worker_a.pk: 30, worker_b.pk: 50}


def test_a_quota_rule_needs_a_role_or_a_person(admin_client_for, system_admin, world, worker_a):
    data = {"role": Role.SOCIAL_WORKER, "user": worker_a.pk, "households_per_quarter": 30}

    response = admin_client_for(system_admin).post(reverse("admin:visits_quotarule_add"), data)

    assert response.status_code == 200
    assert "要么针对一个角色，要么针对一个人" in response.text
    assert QuotaRule.objects.count() == 1


@pytest.mark.parametrize("persona", ["leader", "community_leader", "chief"])
def test_leaders_read_the_quota_rules_without_changing_them(request, admin_client_for, world, persona):
    rule = QuotaRule.objects.get(role=Role.SOCIAL_WORKER, user=None)
    client = admin_client_for(request.getfixturevalue(persona))
    data = {"role": Role.SOCIAL_WORKER, "user": "", "households_per_quarter": 5}

    assert client.get(changelist("quotarule")).status_code == 200
    assert client.get(change_url(rule)).status_code == 200
    assert client.post(change_url(rule), data).status_code == 403
    assert client.get(reverse("admin:visits_quotarule_add")).status_code == 403
    rule.refresh_from_db()
    assert rule.households_per_quarter == 50


def test_a_role_wide_rule_is_changed_only_by_those_who_see_every_street(admin_client_for, leader, world):
    # Even with the model permission, a street's leader cannot change a number every street counts against.
    leader.user_permissions.add(Permission.objects.get(codename="change_quotarule"))
    rule = QuotaRule.objects.get(role=Role.SOCIAL_WORKER, user=None)
    data = {"role": Role.SOCIAL_WORKER, "user": "", "households_per_quarter": 5}

    assert admin_client_for(leader).post(change_url(rule), data).status_code == 403


def test_person_rules_and_the_user_autocomplete_are_scoped(
    admin_client_for, community_leader, world, worker_a, worker_b
):
    QuotaRuleFactory(user=worker_a, households_per_quarter=30, note="甲的指标")
    QuotaRuleFactory(user=worker_b, households_per_quarter=20, note="乙的指标")
    client = admin_client_for(community_leader)

    response = client.get(changelist("quotarule"))
    users = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "visits", "model_name": "quotarule", "field_name": "user", "term": ""},
    )

    assert "甲的指标" in response.text
    assert "乙的指标" not in response.text
    texts = {result["text"] for result in json.loads(users.content)["results"]}
    assert "张丽" in texts
    assert "王芳" not in texts


# --- The visit-service day ---------------------------------------------------------------------------------------


def test_a_street_leader_changes_his_streets_service_day(admin_client_for, leader, world, places):
    rule = ServiceDayRule.objects.create(street=places.street, day_of_month=20)
    theirs = ServiceDayRule.objects.create(street=places.other_street, day_of_month=15)
    client = admin_client_for(leader)

    response = client.post(change_url(rule), {"street": places.street.pk, "day_of_month": 18})

    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.day_of_month == 18
    assert client.get(change_url(theirs)).status_code == 302  # not served
    assert client.post(change_url(rule), {"street": places.street.pk, "day_of_month": 31}).status_code == 200
    rule.refresh_from_db()
    assert rule.day_of_month == 18


def test_a_street_leader_moves_a_months_service_day(admin_client_for, leader, world, places):
    data = {"street": places.street.pk, "month": "2026-09-01", "moved_to": "2026-09-18", "reason": "20日是星期日"}

    response = admin_client_for(leader).post(reverse("admin:visits_servicedaymove_add"), data)

    assert response.status_code == 302
    assert ServiceDayMove.objects.get(street=places.street).moved_to == datetime.date(2026, 9, 18)


def test_a_street_leader_cannot_move_another_streets_day(admin_client_for, leader, world, places):
    data = {"street": places.other_street.pk, "month": "2026-09-01", "moved_to": "2026-09-18"}

    response = admin_client_for(leader).post(reverse("admin:visits_servicedaymove_add"), data)

    assert response.status_code == 200  # the other street is not a choice
    assert not ServiceDayMove.objects.exists()


@pytest.mark.parametrize("persona", ["community_leader", "chief", "deputy"])
def test_other_roles_read_the_service_day_without_changing_it(request, admin_client_for, world, places, persona):
    rule = ServiceDayRule.objects.create(street=places.street, day_of_month=20)
    move = ServiceDayMoveFactory(street=places.street)
    client = admin_client_for(request.getfixturevalue(persona))

    assert client.get(changelist("servicedayrule")).status_code == 200
    assert client.get(change_url(move)).status_code == 200
    assert client.post(change_url(rule), {"street": places.street.pk, "day_of_month": 5}).status_code == 403
    assert client.get(reverse("admin:visits_servicedaymove_add")).status_code == 403


# --- Bounded queries and every page ------------------------------------------------------------------------------


def make_visits(places, worker_a, worker_b, leader, count: int) -> None:
    households = [
        HouseholdFactory(grid_area=places.area_a if n % 2 else places.area_b, estate=places.estate_a, room=str(n))
        for n in range(10)
    ]
    for n in range(count):
        if n % 3:
            household = households[n % 10]
            visit = VisitFactory(
                household=household, visitor=worker_a if household.grid_area_id == places.area_a.pk else worker_b
            )
            visit.companions.add(leader)
        else:
            VisitFactory(
                household=None,
                kind=Visit.Kind.ESTATE,
                estate=places.estate_a,
                visitor=leader,
                street=places.street,
                community=places.community_a,
                follow_up_needed=True,
                follow_up_by=timezone.localdate(),
            )


@pytest.mark.parametrize("count", [30, 120])
def test_the_visit_list_runs_a_bounded_number_of_queries(
    admin_client_for, leader, places, worker_a, worker_b, count, django_assert_max_num_queries
):
    make_visits(places, worker_a, worker_b, leader, count)
    client = admin_client_for(leader)

    with django_assert_max_num_queries(10):
        response = client.get(changelist())

    assert response.status_code == 200


@pytest.mark.parametrize(
    "persona",
    [
        "superuser",
        "system_admin",
        "leader",
        "deputy",
        "cadre",
        "chief",
        "community_leader",
    ],
)
def test_every_visits_page_renders_for_the_roles_that_use_the_admin(request, admin_client_for, world, places, persona):
    if persona == "superuser":
        user = UserFactory(username="root", role=Role.SYSTEM_ADMIN, street=None, is_staff=True, is_superuser=True)
    else:
        user = request.getfixturevalue(persona)
    client = admin_client_for(user)
    rows = [
        world.visits["community_leader"],
        QuotaRule.objects.get(role=Role.SOCIAL_WORKER),
        ServiceDayRule.objects.create(street=places.street, day_of_month=20),
        ServiceDayMoveFactory(street=places.street),
    ]
    for obj in rows:
        model = obj._meta.model_name
        for url in (changelist(model), reverse(f"admin:visits_{model}_add"), change_url(obj)):
            assert client.get(url).status_code in (200, 403), url
    assert User.objects.get(pk=user.pk).is_staff
