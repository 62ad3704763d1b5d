"""Spot-checks, evaluations and the three musts in the Django admin, the leaders' tool, scoped by visible_to(user).

Places (tests/conftest.py): our street (文新街道) with community A (德加社区) and community B (益乐社区), and another
street (翠苑街道). Two district-managed cadres of our street visit estates last quarter; the street leader spot-checks
them. Every write goes through assessment.services, so the tests also read the audit trail.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from assessment.models import AssessmentRule, CadreLink, Evaluation, SpotCheck, SpotCheckItem, VisitVerification
from assessment.services import spot_check_create, spot_check_draw, spot_check_record
from tests.factories import CommunityFactory, HouseholdFactory, UserFactory, VisitFactory
from visits.models import Visit
from visits.periods import Quarter
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


LAST = Quarter.current().previous()


def changelist(model: str = "spotcheck") -> str:
    return reverse(f"admin:assessment_{model}_changelist")


def add_url(model: str = "spotcheck") -> str:
    return reverse(f"admin:assessment_{model}_add")


def change_url(obj) -> str:
    return reverse(f"admin:assessment_{obj._meta.model_name}_change", args=[obj.pk])


def estate_visit(visitor: User, places, day: datetime.date, estate=None) -> Visit:
    """A visit to an estate of community A (or the given one), as cadres and leaders make them."""
    estate = estate or places.estate_a
    return VisitFactory(
        household=None,
        kind=Visit.Kind.ESTATE,
        estate=estate,
        visitor=visitor,
        street=estate.community.street,
        community=estate.community,
        visited_on=day,
    )


@pytest.fixture
def cadre2(places) -> User:
    return UserFactory(username="cadre2", full_name="孔部长", role=Role.CADRE, street=places.street)


@pytest.fixture
def cadre_visits(places, cadre, cadre2) -> list[Visit]:
    """Three visits of one cadre and two of another last quarter, and one of this quarter (not in the period)."""
    visits = [estate_visit(cadre, places, LAST.start + datetime.timedelta(days=n)) for n in (1, 20, 40)]
    visits += [estate_visit(cadre2, places, LAST.start + datetime.timedelta(days=n), places.estate_b) for n in (5, 50)]
    estate_visit(cadre, places, timezone.localdate())
    return visits


def spot_check_form(**changes) -> dict:
    """What the add form posts: a count of three of last quarter's cadre visits."""
    data = {
        "level": SpotCheck.Level.CADRE,
        "department": "",
        "community": "",
        "period_start": LAST.start.isoformat(),
        "period_end": LAST.end.isoformat(),
        "sample_mode": SpotCheck.SampleMode.COUNT,
        "sample_value": "3",
        "note": "",
    }
    data.update(changes)
    return data


def draw(client, *spot_checks: SpotCheck):
    return client.post(
        changelist(),
        {"action": "draw_sample", "_selected_action": [str(s.pk) for s in spot_checks]},
        follow=True,
    )


def items_form(spot_check: SpotCheck, rows: dict[int, dict], note: str = "") -> dict:
    """The change form of a drawn spot-check as posted: its note and the inline of sampled visits.

    `rows` maps an item's pk to the method/result/note to post; other items are posted as they are.
    """
    items = list(spot_check.items.order_by("pk"))
    data = {
        "note": note,
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": str(len(items)),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "0",
    }
    for n, item in enumerate(items):
        values = rows.get(item.pk, {"method": item.method, "result": item.result, "note": item.note})
        data.update(
            {
                f"items-{n}-id": str(item.pk),
                f"items-{n}-spot_check": str(spot_check.pk),
                **{f"items-{n}-{name}": value for name, value in values.items()},
            }
        )
    return data


# --- The done-when story ----------------------------------------------------------------------------------------


def test_the_leader_draws_last_quarters_cadre_visits_and_records_the_results(
    admin_client_for, leader, cadre, cadre2, cadre_visits
):
    client = admin_client_for(leader)

    # The add form proposes last quarter.
    page = client.get(add_url())
    assert page.status_code == 200
    assert page.context["adminform"].form.initial["period_start"] == LAST.start

    # 1. Create the spot-check: the checker is the one saving, the street his.
    response = client.post(add_url(), spot_check_form())
    assert response.status_code == 302
    spot_check = SpotCheck.objects.get()
    assert (spot_check.checker, spot_check.street, spot_check.level) == (leader, leader.street, "cadre")
    assert not spot_check.is_drawn
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATE, object_id=str(spot_check.pk)).exists()

    # 2. Draw the sample with the admin action: three visits of last quarter, both cadres represented.
    response = draw(client, spot_check)
    assert response.status_code == 200
    assert "已从 5 条走访中抽取 3 条" in response.text
    spot_check.refresh_from_db()
    assert spot_check.is_drawn and spot_check.seed is not None and spot_check.population_size == 5
    items = list(spot_check.items.select_related("visit"))
    assert len(items) == 3
    assert {item.visit.visitor for item in items} == {cadre, cadre2}
    assert {item.visit for item in items} <= set(cadre_visits)

    # The drawn spot-check shows its sampled visits; the set-up is read-only now.
    page = client.get(change_url(spot_check))
    assert page.status_code == 200
    assert 'name="sample_value"' not in page.text
    assert 'name="items-0-result"' in page.text
    assert "郑部长" in page.text or "孔部长" in page.text

    # 3. Record the results inline: each changed row through spot_check_record.
    first, second, third = sorted(items, key=lambda i: i.pk)
    rows = {
        first.pk: {"method": "phone", "result": "confirmed", "note": ""},
        second.pk: {"method": "on_site", "result": "discrepancy", "note": "走访时间有出入"},
    }
    response = client.post(change_url(spot_check), items_form(spot_check, rows))
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    third.refresh_from_db()
    assert (first.method, first.result, first.checked_by) == ("phone", "confirmed", leader)
    assert (second.result, second.note) == ("discrepancy", "走访时间有出入")
    assert third.result == ""  # not posted as changed, not recorded
    for item in (first, second):
        assert Visit.objects.get(pk=item.visit_id).spot_checked_at is not None
        assert AuditEntry.objects.filter(object_id=str(item.pk), actor=leader).exists()

    # 4. The list tallies what was found.
    response = client.get(changelist())
    row = response.context["cl"].result_list[0]
    assert (row.n_items, row.n_checked, row.n_confirmed, row.n_discrepancy, row.n_not_confirmed) == (3, 2, 1, 1, 0)


def test_a_result_the_service_refuses_is_shown_on_its_row_and_nothing_is_saved(admin_client_for, leader, cadre_visits):
    spot_check = spot_check_create(
        checker=leader, level="cadre", period_start=LAST.start, period_end=LAST.end, sample_value=2
    )
    spot_check_draw(actor=leader, spot_check=spot_check)
    item = spot_check.items.order_by("pk").first()
    client = admin_client_for(leader)

    response = client.post(
        change_url(spot_check), items_form(spot_check, {item.pk: {"method": "phone", "result": "not_confirmed"}})
    )

    assert response.status_code == 200
    assert "不属实或有出入时请写明情况" in response.text
    item.refresh_from_db()
    assert item.result == ""
    assert not AuditEntry.objects.filter(object_id=str(item.pk), content_type__model="spotcheckitem").exists()


def test_the_set_up_is_changed_through_the_service_until_the_draw(admin_client_for, leader, cadre_visits):
    client = admin_client_for(leader)
    client.post(add_url(), spot_check_form())
    spot_check = SpotCheck.objects.get()

    response = client.post(change_url(spot_check), spot_check_form(sample_value="4", note="季末抽查"))

    assert response.status_code == 302
    spot_check.refresh_from_db()
    assert (spot_check.sample_value, spot_check.note) == (4, "季末抽查")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE, object_id=str(spot_check.pk))
    assert entry.changes["sample_value"] == [3, 4]


def test_the_draw_action_reports_each_row(admin_client_for, leader, places, cadre_visits):
    drawn = spot_check_create(
        checker=leader, level="cadre", period_start=LAST.start, period_end=LAST.end, sample_value=2
    )
    spot_check_draw(actor=leader, spot_check=drawn)
    long_ago = datetime.date(2001, 1, 1)
    empty = spot_check_create(checker=leader, level="cadre", period_start=long_ago, period_end=long_ago, sample_value=2)
    fresh = spot_check_create(
        checker=leader, level="cadre", period_start=LAST.start, period_end=LAST.end, sample_value=1
    )

    response = draw(admin_client_for(leader), drawn, empty, fresh)

    assert "已经抽过样，不能重抽" in response.text
    assert "这一期间没有可抽查的走访记录" in response.text
    assert "已从 5 条走访中抽取 2 条" in response.text  # one per cadre at least
    assert drawn.items.count() == 2
    assert not empty.items.exists()
    assert fresh.items.count() == 2


def test_only_the_checker_draws_and_records_others_read(admin_client_for, leader, deputy, cadre_visits):
    spot_check = spot_check_create(
        checker=leader, level="cadre", period_start=LAST.start, period_end=LAST.end, sample_value=2
    )
    client = admin_client_for(deputy)

    response = draw(client, spot_check)
    assert "只有抽查人本人可以抽样" in response.text
    assert not spot_check.items.exists()

    spot_check_draw(actor=leader, spot_check=spot_check)
    page = client.get(change_url(spot_check))
    assert page.status_code == 200
    assert 'name="items-0-result"' not in page.text
    item = spot_check.items.order_by("pk").first()
    data = items_form(spot_check, {item.pk: {"method": "phone", "result": "confirmed", "note": ""}})
    assert client.post(change_url(spot_check), data).status_code == 403
    item.refresh_from_db()
    assert item.result == ""


# --- Who may check whom, on the add form ------------------------------------------------------------------------


def test_a_deputys_spot_check_of_a_department_he_does_not_oversee_is_refused(admin_client_for, deputy, places):
    data = spot_check_form(level=SpotCheck.Level.DEPARTMENT, department=str(places.social_affairs.pk))

    response = admin_client_for(deputy).post(add_url(), data)

    assert response.status_code == 200
    assert "只能抽查您分管科室人员的走访" in response.text
    assert not SpotCheck.objects.exists()


def test_a_deputy_is_offered_his_level_only_and_checks_his_departments(admin_client_for, deputy, places):
    client = admin_client_for(deputy)

    level = client.get(add_url()).context["adminform"].form.fields["level"]
    refused = client.post(add_url(), spot_check_form(level=SpotCheck.Level.CADRE))
    allowed = client.post(
        add_url(), spot_check_form(level=SpotCheck.Level.DEPARTMENT, department=str(places.department.pk))
    )

    assert [value for value, _label in level.choices if value] == [SpotCheck.Level.DEPARTMENT]
    assert refused.status_code == 200
    assert allowed.status_code == 302
    assert SpotCheck.objects.get().department == places.department


def test_a_community_leader_checks_his_own_community_only(admin_client_for, community_leader, places):
    client = admin_client_for(community_leader)

    assert client.get(add_url()).context["adminform"].form.initial["community"] == places.community_a.pk
    other = client.post(
        add_url(), spot_check_form(level=SpotCheck.Level.COMMUNITY, community=str(places.community_b.pk))
    )
    own = client.post(add_url(), spot_check_form(level=SpotCheck.Level.COMMUNITY, community=str(places.community_a.pk)))

    assert other.status_code == 200  # community B is not even a choice
    assert own.status_code == 302
    assert SpotCheck.objects.get().community == places.community_a


def test_the_social_affairs_chief_spot_checks_community_staff(admin_client_for, places, chief):
    sa_chief = UserFactory(
        username="sa_chief",
        full_name="何科长",
        role=Role.SECTION_CHIEF,
        street=places.street,
        department=places.social_affairs,
    )
    data = spot_check_form(level=SpotCheck.Level.COMMUNITY)

    assert admin_client_for(sa_chief).post(add_url(), data).status_code == 302
    assert SpotCheck.objects.get().checker == sa_chief
    # Another department's chief reads the spot-checks but is not offered to add one.
    client = admin_client_for(chief)
    assert client.get(changelist()).status_code == 200
    assert client.get(add_url()).status_code == 403
    assert client.post(add_url(), data).status_code == 403
    assert SpotCheck.objects.count() == 1


def test_a_system_admin_without_a_street_names_the_community_to_check(admin_client_for, system_admin, places):
    client = admin_client_for(system_admin)

    no_street = client.post(add_url(), spot_check_form())
    with_community = client.post(
        add_url(), spot_check_form(level=SpotCheck.Level.COMMUNITY, community=str(places.community_b.pk))
    )

    assert no_street.status_code == 200
    assert "您不属于任何街道" in no_street.text
    assert with_community.status_code == 302
    assert SpotCheck.objects.get().street == places.street


@pytest.mark.parametrize("persona", ["social_affairs_staff", "staff", "worker_a"])
def test_roles_outside_the_admin_are_sent_to_its_login(request, admin_client_for, persona):
    client = admin_client_for(request.getfixturevalue(persona))

    response = client.get(changelist())

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_a_cadre_reads_his_links_and_not_the_spot_checks(admin_client_for, cadre, places):
    CadreLink.objects.create(cadre=cadre, community=places.community_a, starts_on=LAST.start)
    client = admin_client_for(cadre)

    assert client.get(changelist()).status_code == 403
    assert client.get(changelist("cadrelink")).status_code == 200
    assert client.get(add_url("cadrelink")).status_code == 403


# --- Scope ------------------------------------------------------------------------------------------------------


@dataclass
class Checks:
    own_community: SpotCheck  # community A, by its leader
    other_community: SpotCheck  # community B, by the street leader
    cadres: SpotCheck  # the street leader's cadre-level check
    other_street: SpotCheck


@pytest.fixture
def checks(places, leader, community_leader, other_street_leader) -> Checks:
    period = {"period_start": LAST.start, "period_end": LAST.end, "sample_value": 2}
    return Checks(
        own_community=spot_check_create(
            checker=community_leader, level="community", community=places.community_a, note="德加抽查", **period
        ),
        other_community=spot_check_create(
            checker=leader, level="community", community=places.community_b, note="益乐抽查", **period
        ),
        cadres=spot_check_create(checker=leader, level="cadre", note="干部抽查", **period),
        other_street=spot_check_create(checker=other_street_leader, level="cadre", note="翠苑抽查", **period),
    )


def test_a_community_leader_lists_only_his_communitys_spot_checks(admin_client_for, community_leader, checks):
    response = admin_client_for(community_leader).get(changelist())

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [checks.own_community]
    assert "钱书记" not in response.text  # not even in the checker filter


def test_the_street_leader_lists_his_streets_spot_checks(admin_client_for, leader, checks):
    response = admin_client_for(leader).get(changelist())

    assert set(response.context["cl"].result_list) == {checks.own_community, checks.other_community, checks.cadres}


def test_a_leader_of_another_street_sees_none_of_ours(admin_client_for, other_street_leader, checks):
    response = admin_client_for(other_street_leader).get(changelist())

    assert list(response.context["cl"].result_list) == [checks.other_street]


@pytest.mark.parametrize(
    ("persona", "key"),
    [("community_leader", "other_community"), ("community_leader", "cadres"), ("other_street_leader", "cadres")],
)
def test_an_out_of_scope_spot_check_answers_like_a_missing_one(request, admin_client_for, checks, persona, key):
    client = admin_client_for(request.getfixturevalue(persona))
    spot_check = getattr(checks, key)

    response = client.get(change_url(spot_check))

    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    followed = client.get(response.url)
    assert "不存在" in followed.text
    assert spot_check.note not in followed.text
    assert client.post(change_url(spot_check), spot_check_form(note="改了")).status_code == 302
    spot_check.refresh_from_db()
    assert spot_check.note != "改了"
    assert draw(client, spot_check).status_code == 200
    assert not spot_check.items.exists()


def test_the_list_filters_by_level_quarter_checker_and_result(
    admin_client_for, leader, community_leader, checks, cadre_visits
):
    spot_check_draw(actor=leader, spot_check=checks.cadres)
    item = checks.cadres.items.order_by("pk").first()
    spot_check_record(actor=leader, item=item, method="phone", result="not_confirmed", note="户主说没人来过")
    client = admin_client_for(leader)

    def listed(**params) -> set[SpotCheck]:
        return set(client.get(changelist(), params).context["cl"].result_list)

    assert listed(level__exact="cadre") == {checks.cadres}
    assert listed(quarter=LAST.slug) == {checks.own_community, checks.other_community, checks.cadres}
    assert listed(quarter=LAST.previous().slug) == set()
    assert listed(quarter="nonsense") == listed()
    assert listed(checker__id__exact=str(community_leader.pk)) == {checks.own_community}
    assert listed(result="not_confirmed") == {checks.cadres}
    assert listed(result="confirmed") == set()
    assert listed(result="pending") == {checks.cadres}
    assert listed(result="<script>") == listed()


def test_the_community_autocomplete_answers_only_communities_in_scope(
    admin_client_for, community_leader, leader, places, checks
):
    CommunityFactory(street=places.other_street, name="翠苑一社区")

    def communities(user) -> set[str]:
        response = admin_client_for(user).get(
            reverse("admin:autocomplete"),
            {"app_label": "assessment", "model_name": "spotcheck", "field_name": "community", "term": ""},
        )
        assert response.status_code == 200
        return {result["text"] for result in json.loads(response.content)["results"]}

    assert communities(community_leader) == {"德加社区"}
    assert communities(leader) == {"德加社区", "益乐社区"}


def test_the_sampled_visits_list_is_scoped_and_filtered(admin_client_for, leader, community_leader, places, checks):
    worker = UserFactory(
        username="sw", full_name="林社工", role=Role.SOCIAL_WORKER, community=places.community_a, street=places.street
    )
    worker_b = UserFactory(
        username="sw_b", full_name="马社工", role=Role.SOCIAL_WORKER, community=places.community_b, street=places.street
    )
    estate_visit(worker, places, LAST.start)
    estate_visit(worker_b, places, LAST.start, places.estate_b)
    spot_check_draw(actor=community_leader, spot_check=checks.own_community)
    spot_check_draw(actor=leader, spot_check=checks.other_community)

    mine = admin_client_for(community_leader).get(changelist("spotcheckitem"))
    street = admin_client_for(leader).get(changelist("spotcheckitem"), {"visit__visitor__id__exact": worker_b.pk})

    assert [item.visit.visitor for item in mine.context["cl"].result_list] == [worker]
    assert "马社工" not in mine.text
    assert [item.visit.visitor for item in street.context["cl"].result_list] == [worker_b]
    item = checks.own_community.items.get()
    assert admin_client_for(leader).post(change_url(item), {"result": "confirmed"}).status_code == 403


def test_the_cadre_autocomplete_of_a_link_answers_only_our_cadres(admin_client_for, leader, places, cadre, cadre2):
    UserFactory(username="other_cadre", full_name="翠苑部长", role=Role.CADRE, street=places.other_street)
    UserFactory(username="sw", full_name="林社工", role=Role.SOCIAL_WORKER, street=places.street)

    response = admin_client_for(leader).get(
        reverse("admin:autocomplete"),
        {"app_label": "assessment", "model_name": "cadrelink", "field_name": "cadre", "term": ""},
    )

    assert {result["text"] for result in json.loads(response.content)["results"]} == {"郑部长", "孔部长"}


def test_a_street_leader_links_a_cadre_but_not_a_worker(admin_client_for, leader, places, cadre, worker_a):
    client = admin_client_for(leader)
    data = {"community": places.community_a.pk, "estate": places.estate_a.pk, "starts_on": LAST.start.isoformat()}

    worker = client.post(add_url("cadrelink"), {**data, "cadre": worker_a.pk})
    other_estate = client.post(add_url("cadrelink"), {**data, "cadre": cadre.pk, "estate": places.estate_b.pk})
    linked = client.post(add_url("cadrelink"), {**data, "cadre": cadre.pk})

    assert worker.status_code == 200
    assert other_estate.status_code == 200
    assert "小区不在所选村社内" in other_estate.text
    assert linked.status_code == 302
    assert CadreLink.objects.get().cadre == cadre


def test_the_street_leader_sets_his_streets_rule_and_only_his(admin_client_for, leader, community_leader, places):
    client = admin_client_for(leader)
    weights = dict.fromkeys(AssessmentRule.WEIGHT_FIELDS, "10")

    theirs = client.post(
        add_url("assessmentrule"), {"street": places.other_street.pk, "three_musts_months": 3, **weights}
    )
    bad = client.post(add_url("assessmentrule"), {"street": places.street.pk, "three_musts_months": 5, **weights})
    ours = client.post(add_url("assessmentrule"), {"street": places.street.pk, "three_musts_months": 6, **weights})

    assert theirs.status_code == 200
    assert bad.status_code == 200
    assert ours.status_code == 302
    assert AssessmentRule.objects.get().street == places.street
    assert admin_client_for(community_leader).get(add_url("assessmentrule")).status_code == 403


def test_the_spot_check_list_links_to_the_assessment_pages(admin_client_for, leader):
    response = admin_client_for(leader).get(changelist())

    for name in ("assessment:three_musts", "assessment:scorecard"):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        assert f'href="{url}"' in response.text


# --- Evaluations ------------------------------------------------------------------------------------------------


def evaluation_form(**changes) -> dict:
    data = {
        "kind": Evaluation.Kind.PERFORMANCE,
        "year": str(LAST.year),
        "quarter": str(LAST.number),
        "person": "",
        "community": "",
        "department": "",
        "by_community": "",
        "by_department": "",
        "score": "88.5",
        "respondents": "",
        "comment": "走访扎实",
    }
    data.update({name: str(value) for name, value in changes.items()})
    return data


def test_the_leader_adds_an_evaluation_through_the_service(admin_client_for, leader, worker_a):
    response = admin_client_for(leader).post(add_url("evaluation"), evaluation_form(person=worker_a.pk))

    assert response.status_code == 302
    evaluation = Evaluation.objects.get()
    assert (evaluation.person, evaluation.score, evaluation.recorded_by) == (worker_a, Decimal("88.5"), leader)
    assert evaluation.street == worker_a.street
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATE, object_id=str(evaluation.pk)).exists()


def test_a_wrong_combination_is_a_form_error(admin_client_for, leader, worker_a, places):
    client = admin_client_for(leader)

    mutual_person = client.post(
        add_url("evaluation"),
        evaluation_form(kind="mutual", person=worker_a.pk, by_department=places.department.pk),
    )
    two_subjects = client.post(
        add_url("evaluation"), evaluation_form(person=worker_a.pk, community=places.community_a.pk)
    )
    too_high = client.post(add_url("evaluation"), evaluation_form(person=worker_a.pk, score="120"))

    assert mutual_person.status_code == 200
    assert "双向互评在科室和村社之间进行，不评个人" in mutual_person.text
    assert two_subjects.status_code == 200
    assert "请选择一个被测评对象" in two_subjects.text
    assert too_high.status_code == 200
    assert not Evaluation.objects.exists()


def test_a_mutual_evaluation_of_a_community_by_a_department(admin_client_for, deputy, places):
    data = evaluation_form(kind="mutual", community=places.community_a.pk, by_department=places.department.pk)

    assert admin_client_for(deputy).post(add_url("evaluation"), data).status_code == 302
    assert Evaluation.objects.get().by_department == places.department


def test_an_evaluation_is_not_changed_afterwards(admin_client_for, leader, worker_a, community_leader):
    client = admin_client_for(leader)
    client.post(add_url("evaluation"), evaluation_form(person=worker_a.pk))
    evaluation = Evaluation.objects.get()

    assert client.get(change_url(evaluation)).status_code == 200
    assert client.post(change_url(evaluation), evaluation_form(person=worker_a.pk, score="10")).status_code == 403
    evaluation.refresh_from_db()
    assert evaluation.score == Decimal("88.5")
    # A community leader reads his worker's evaluation.
    other = admin_client_for(community_leader)
    assert list(other.get(changelist("evaluation")).context["cl"].result_list) == [evaluation]


def test_a_community_leader_adds_only_the_mutual_evaluation_his_community_gives(
    admin_client_for, community_leader, worker_a, places
):
    client = admin_client_for(community_leader)

    refused = client.post(add_url("evaluation"), evaluation_form(person=worker_a.pk))
    assert refused.status_code == 200
    assert "您不能录入这类测评" in refused.content.decode()
    assert not Evaluation.objects.exists()

    given = evaluation_form(
        kind="mutual", department=places.department.pk, by_community=places.community_a.pk, comment="配合积极"
    )
    response = client.post(add_url("evaluation"), given)
    assert response.status_code == 302, response.context["adminform"].form.errors
    evaluation = Evaluation.objects.get()
    assert (evaluation.department, evaluation.by_community, evaluation.recorded_by) == (
        places.department,
        places.community_a,
        community_leader,
    )
    # Not in the name of another community: it is not even among his choices.
    other = evaluation_form(kind="mutual", department=places.department.pk, by_community=places.community_b.pk)
    response = client.post(add_url("evaluation"), other)
    assert response.status_code == 200 and "by_community" in response.context["adminform"].form.errors
    assert Evaluation.objects.count() == 1


def test_the_evaluation_list_filters_by_quarter_and_kind(admin_client_for, leader, worker_a, places):
    client = admin_client_for(leader)
    client.post(add_url("evaluation"), evaluation_form(person=worker_a.pk))
    client.post(
        add_url("evaluation"),
        evaluation_form(kind="public_rating", community=places.community_a.pk, year=2020, quarter=1, respondents=30),
    )

    def listed(**params) -> list[str]:
        return [e.kind for e in client.get(changelist("evaluation"), params).context["cl"].result_list]

    assert listed(quarter=LAST.slug) == ["performance"]
    assert listed(quarter="2020Q1") == ["public_rating"]
    assert listed(kind__exact="public_rating") == ["public_rating"]
    assert sorted(listed(quarter="bad")) == ["performance", "public_rating"]


# --- Verifications ----------------------------------------------------------------------------------------------


def test_verifications_are_read_only_and_scoped(admin_client_for, community_leader, leader, worker_a, worker_b):
    ours = VisitVerification.objects.create(
        visit=VisitFactory(household=HouseholdFactory(grid_area=worker_a.grid_areas.get()), visitor=worker_a),
        status="verified",
        verified_by=community_leader,
    )
    theirs = VisitVerification.objects.create(
        visit=VisitFactory(household=HouseholdFactory(grid_area=worker_b.grid_areas.get()), visitor=worker_b),
        status="queried",
        note="存疑",
        verified_by=leader,
    )
    client = admin_client_for(community_leader)

    assert list(client.get(changelist("visitverification")).context["cl"].result_list) == [ours]
    assert client.get(change_url(theirs)).status_code == 302
    assert client.post(change_url(ours), {"status": "queried"}).status_code == 403
    assert set(admin_client_for(leader).get(changelist("visitverification")).context["cl"].result_list) == {
        ours,
        theirs,
    }


# --- Bounded queries and every page -----------------------------------------------------------------------------


def make_many(places, leader, community_leader, count: int) -> None:
    """`count` drawn spot-checks of three sampled visits each, half of them recorded, plus `count` evaluations
    and verifications: more rows than a changelist page holds when count > 100."""
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    worker = UserFactory(username="many", role=Role.SOCIAL_WORKER, street=places.street, community=places.community_a)
    visits = Visit.objects.bulk_create(
        Visit(
            street=places.street,
            community=places.community_a,
            visitor=worker,
            household=household,
            kind=Visit.Kind.DOOR_TO_DOOR,
            visited_on=LAST.start + datetime.timedelta(days=n % 80),
        )
        for n in range(count)
    )
    now = timezone.now()
    checks = SpotCheck.objects.bulk_create(
        SpotCheck(
            street=places.street,
            level=SpotCheck.Level.COMMUNITY,
            community=places.community_a,
            period_start=LAST.start,
            period_end=LAST.end,
            sample_value=3,
            seed=n,
            population_size=count,
            drawn_at=now,
            checker=leader if n % 2 else community_leader,
        )
        for n in range(count)
    )
    SpotCheckItem.objects.bulk_create(
        SpotCheckItem(
            spot_check=check,
            visit=visits[(n + k) % count],
            method="phone" if k else "",
            result=("confirmed", "discrepancy")[n % 2] if k else "",
            checked_by=check.checker if k else None,
            checked_at=now if k else None,
        )
        for n, check in enumerate(checks)
        for k in range(3)
    )
    Evaluation.objects.bulk_create(
        Evaluation(
            street=places.street,
            kind=Evaluation.Kind.PERFORMANCE,
            year=LAST.year,
            quarter=LAST.number,
            person=worker,
            score=Decimal(80),
            recorded_by=leader,
        )
        for _n in range(count)
    )
    VisitVerification.objects.bulk_create(
        VisitVerification(visit=visit, status="verified", verified_by=community_leader) for visit in visits
    )
    CadreLink.objects.bulk_create(
        CadreLink(
            cadre=UserFactory(role=Role.CADRE, street=places.street), community=places.community_a, starts_on=LAST.start
        )
        for _n in range(min(count, 10))
    )


QUERY_BOUND = 14


@pytest.mark.parametrize("count", [4, 105])
@pytest.mark.parametrize("model", ["spotcheck", "spotcheckitem", "evaluation", "visitverification", "cadrelink"])
@pytest.mark.parametrize("persona", ["leader", "community_leader"])
def test_the_changelists_run_a_bounded_number_of_queries(
    request, admin_client_for, places, leader, community_leader, count, model, persona, django_assert_max_num_queries
):
    make_many(places, leader, community_leader, count)
    client = admin_client_for(request.getfixturevalue(persona))

    with django_assert_max_num_queries(QUERY_BOUND):
        response = client.get(changelist(model))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == min(response.context["cl"].result_count, 100)


def test_the_spot_check_page_reads_its_sampled_visits_in_bounded_queries(
    admin_client_for, leader, places, cadre, django_assert_max_num_queries
):
    for n in range(30):
        estate_visit(cadre, places, LAST.start + datetime.timedelta(days=n))
    spot_check = spot_check_create(
        checker=leader, level="cadre", period_start=LAST.start, period_end=LAST.end, sample_value=30
    )
    spot_check_draw(actor=leader, spot_check=spot_check)
    client = admin_client_for(leader)

    with django_assert_max_num_queries(12):
        response = client.get(change_url(spot_check))

    assert response.status_code == 200
    assert response.text.count('name="items-') >= 30


@pytest.mark.parametrize(
    "persona", ["superuser", "system_admin", "leader", "deputy", "cadre", "chief", "community_leader"]
)
def test_every_assessment_page_renders_for_the_roles_that_use_the_admin(
    request, admin_client_for, places, leader, worker_a, cadre_visits, persona
):
    if persona == "superuser":
        user = UserFactory(username="root", role=Role.SYSTEM_ADMIN, street=None, is_staff=True, is_superuser=True)
    else:
        user = request.getfixturevalue(persona)
    spot_check = spot_check_create(
        checker=leader, level="cadre", period_start=LAST.start, period_end=LAST.end, sample_value=2
    )
    spot_check_draw(actor=leader, spot_check=spot_check)
    rows = [
        spot_check,
        spot_check.items.first(),
        AssessmentRule.objects.create(street=places.street),
        CadreLink.objects.create(cadre=cadre_visits[0].visitor, community=places.community_a, starts_on=LAST.start),
        Evaluation.objects.create(
            street=places.street,
            kind="performance",
            year=LAST.year,
            quarter=LAST.number,
            person=worker_a,
            score=90,
            recorded_by=leader,
        ),
        VisitVerification.objects.create(visit=cadre_visits[0], status="verified", verified_by=leader),
    ]
    client = admin_client_for(user)

    assert client.get(reverse("admin:index")).status_code == 200
    for obj in rows:
        model = obj._meta.model_name
        for url in (changelist(model), add_url(model), change_url(obj)):
            assert client.get(url).status_code in (200, 302, 403), url
