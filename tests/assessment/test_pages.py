"""The assessment's pages: three-musts compliance, the quarterly scorecard and its export, verification."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from assessment.models import CadreLink, VisitVerification
from tests.factories import HouseholdFactory, OwnersCommitteeFactory, UserFactory, VisitFactory
from visits.models import Visit
from visits.periods import Quarter
from wenxin.roles import Role

pytestmark = pytest.mark.django_db


def _visits(worker, area, estate, count: int, *, day=None) -> list[Visit]:
    day = day or timezone.localdate()
    return [
        VisitFactory(household=HouseholdFactory(grid_area=area, estate=estate), visitor=worker, visited_on=day)
        for _i in range(count)
    ]


# --- Three musts ----------------------------------------------------------------------------------------------


@pytest.fixture
def linked_cadre(places, cadre):
    OwnersCommitteeFactory(estate=places.estate_a, name="香港城业委会")
    CadreLink.objects.create(cadre=cadre, community=places.community_a, estate=places.estate_a, starts_on="2020-01-01")
    return cadre


def test_the_leader_reads_what_each_cadre_still_has_to_visit(client_for, places, leader, linked_cadre):
    Visit.objects.create(
        street=places.street,
        community=places.community_a,
        visitor=linked_cadre,
        visited_on=timezone.localdate(),
        kind=Visit.Kind.ESTATE,
        estate=places.estate_a,
    )

    response = client_for(leader).get(reverse("assessment:three_musts"))

    assert response.status_code == 200
    (entry,) = response.context["cadres"]
    assert entry["cadre"] == linked_cadre
    assert entry["rows"][0].missing == ["业委会"]
    assert "缺 1 项" in response.content.decode()


def test_last_period_is_read_with_on(client_for, places, leader, linked_cadre):
    start = Quarter.current().previous().start
    response = client_for(leader).get(reverse("assessment:three_musts"), {"on": start.isoformat()})
    assert response.context["start"] == start


@pytest.mark.parametrize("on", ["garbage", "2026-13-45", "9999-99-99", "<script>"])
def test_a_bad_date_falls_back_to_this_period(client_for, leader, linked_cadre, on):
    response = client_for(leader).get(reverse("assessment:three_musts"), {"on": on})
    assert response.status_code == 200
    assert response.context["is_current"]


def test_a_social_worker_may_not_open_the_assessment_pages(client_for, worker_a):
    client = client_for(worker_a)
    for name in ("assessment:three_musts", "assessment:scorecard", "assessment:scorecard_export"):
        assert client.get(reverse(name)).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("assessment:scorecard"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- Scorecard ------------------------------------------------------------------------------------------------


def test_the_scorecard_shows_each_part_and_exports_the_same(client_for, places, leader, worker_a, worker_b):
    _visits(worker_a, places.area_a, places.estate_a, 5)
    client = client_for(leader)

    response = client.get(reverse("assessment:scorecard"))

    assert response.status_code == 200
    rows = {row.subject: row for row in response.context["people"]}
    assert rows[worker_a].parts["quota"] is not None
    assert rows[worker_a].parts["verification"] == 0
    assert {row.subject for row in response.context["units"]} >= {places.community_a, places.community_b}

    export = client.get(reverse("assessment:scorecard_export"))
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    header = [cell.value for cell in sheet[1]]
    assert header[0] == "对象" and header[-1] == "综合得分"
    names = [sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)]
    assert "张丽" in names and "德加社区" in names


def test_a_community_leader_scores_only_his_community(client_for, places, community_leader, worker_a, worker_b):
    response = client_for(community_leader).get(reverse("assessment:scorecard"))
    people = {row.subject for row in response.context["people"]}
    assert worker_a in people and worker_b not in people
    assert {row.subject for row in response.context["units"] if row.kind == "community"} == {places.community_a}


@pytest.mark.parametrize("workers", [2, 8])
def test_the_scorecard_query_count_does_not_grow(
    client_for, places, leader, workers, django_assert_max_num_queries, linked_cadre
):
    for _n in range(workers):
        worker = UserFactory(role=Role.SOCIAL_WORKER, street=places.street, community=places.community_a)
        places.area_a.workers.add(worker)
        _visits(worker, places.area_a, places.estate_a, 3)
    client = client_for(leader)
    with django_assert_max_num_queries(18):
        response = client.get(reverse("assessment:scorecard"))
    assert len(response.context["people"]) >= workers


# --- Verification ---------------------------------------------------------------------------------------------


def test_a_community_leader_verifies_and_queries_his_workers_visits(client_for, places, community_leader, worker_a):
    first, second = _visits(worker_a, places.area_a, places.estate_a, 2)
    client = client_for(community_leader)

    listing = client.get(reverse("assessment:verify"))
    assert [worker for worker, _share in listing.context["rows"]] == [worker_a]

    response = client.post(reverse("assessment:verify_visit", args=[first.pk]), {"status": "verified"})
    assert response.status_code == 302
    assert VisitVerification.objects.get(visit=first).status == "verified"

    # Queried needs a note: refused with a message, nothing stored.
    response = client.post(reverse("assessment:verify_visit", args=[second.pk]), {"status": "queried"}, follow=True)
    assert "存疑时请写明疑点" in response.content.decode()
    assert not VisitVerification.objects.filter(visit=second).exists()

    client.post(reverse("assessment:verify_visit", args=[second.pk]), {"status": "queried", "note": "户主说没见过"})
    page = client.get(reverse("assessment:verify_worker", args=[worker_a.pk]))
    assert page.context["share"].verified == 1 and page.context["share"].queried == 1
    assert "户主说没见过" in page.content.decode()


def test_a_community_leader_cannot_verify_another_communitys_visits(client_for, places, community_leader, worker_b):
    (visit,) = _visits(worker_b, places.area_b, places.estate_b, 1)
    client = client_for(community_leader)
    assert client.post(reverse("assessment:verify_visit", args=[visit.pk]), {"status": "verified"}).status_code == 404
    assert client.get(reverse("assessment:verify_worker", args=[worker_b.pk])).status_code == 404
    assert not VisitVerification.objects.exists()


def test_only_community_leaders_verify(client_for, places, leader, worker_a):
    (visit,) = _visits(worker_a, places.area_a, places.estate_a, 1)
    for user in (leader, worker_a):
        client = client_for(user)
        assert client.get(reverse("assessment:verify")).status_code == 403
        assert (
            client.post(reverse("assessment:verify_visit", args=[visit.pk]), {"status": "verified"}).status_code == 403
        )


def test_an_unknown_status_changes_nothing(client_for, places, community_leader, worker_a):
    (visit,) = _visits(worker_a, places.area_a, places.estate_a, 1)
    response = client_for(community_leader).post(
        reverse("assessment:verify_visit", args=[visit.pk]), {"status": "bogus"}, follow=True
    )
    assert response.status_code == 200
    assert "请选择核实结果" in response.content.decode()
    assert not VisitVerification.objects.exists()


@pytest.mark.parametrize("count", [3, 30])
def test_the_workers_visits_page_has_bounded_queries(
    client_for, places, community_leader, worker_a, count, django_assert_max_num_queries
):
    _visits(worker_a, places.area_a, places.estate_a, count)
    client = client_for(community_leader)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("assessment:verify_worker", args=[worker_a.pk]))
    assert len(response.context["visits"]) == count
