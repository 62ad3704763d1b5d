"""The three musts' Excel export: every cadre link of the period the page shows, for the same people, with each must
visited, not yet, or nothing to visit; Chinese headers; a formula in a name comes out as plain text."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from assessment.models import CadreLink
from tests.factories import (
    CommunityFactory,
    EstateFactory,
    OwnersCommitteeFactory,
    PropertyCompanyFactory,
    UserFactory,
    VisitFactory,
)
from visits.models import Visit
from wenxin.roles import Role
from wenxin.xlsx import XLSX_CONTENT_TYPE

TODAY = datetime.date(2026, 8, 15)  # Q3: the three musts' default period is a quarter
EVIL = '=HYPERLINK("http://evil.example/","点我")'
PAGE = reverse("assessment:three_musts")
EXPORT = reverse("assessment:three_musts_export")
HEADERS = ("区管干部", "联系村社", "联系小区", "村社（小区）", "业委会", "物业", "未走访")


@pytest.fixture(autouse=True)
def today(monkeypatch):
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


def rows_of(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return list(ws.iter_rows(values_only=True))


def page_links(response) -> list[CadreLink]:
    return [row.link for entry in response.context["cadres"] for row in entry["rows"]]


def visit(person, kind: str, target, on: datetime.date = TODAY) -> Visit:
    return VisitFactory(household=None, kind=kind, visitor=person, visited_on=on, **{Visit.TARGET_FIELD[kind]: target})


@pytest.fixture
def links(places, cadre):
    """郑部长 linked to 香港城 (an owners' committee, a property company) and to 益乐社区 (neither);
    a second cadre linked to 德加社区 itself."""
    places.estate_a.property_company = PropertyCompanyFactory(street=places.street, name="绿城物业")
    places.estate_a.save()
    OwnersCommitteeFactory(estate=places.estate_a, name="香港城业委会")
    start = datetime.date(2026, 1, 1)
    estate_link = CadreLink.objects.create(
        cadre=cadre, community=places.community_a, estate=places.estate_a, starts_on=start
    )
    community_link = CadreLink.objects.create(cadre=cadre, community=places.community_b, starts_on=start)
    other = UserFactory(role=Role.CADRE, street=places.street, full_name="何部长")
    other_link = CadreLink.objects.create(cadre=other, community=places.community_a, starts_on=start)
    visit(cadre, Visit.Kind.ESTATE, places.estate_a)
    visit(cadre, Visit.Kind.PROPERTY_COMPANY, places.estate_a.property_company)
    visit(cadre, Visit.Kind.LEADERSHIP, places.community_b, on=datetime.date(2026, 5, 20))  # last quarter
    return {"estate": estate_link, "community": community_link, "other": other_link}


class TestThreeMustsExport:
    def test_it_has_the_pages_links_and_musts(self, leader, links, client_for):
        client = client_for(leader)
        rows = rows_of(client.get(EXPORT))
        assert rows[0] == HEADERS
        page = page_links(client.get(PAGE))
        assert len(rows) == 1 + len(page) == 4
        assert [(row[0], row[1], row[2] or "") for row in rows[1:]] == [
            (link.cadre.get_full_name(), link.community.name, link.estate.name if link.estate else "") for link in page
        ]
        by_place = {(row[0], row[1]): row[2:] for row in rows[1:]}
        assert by_place[("郑部长", "德加社区")] == ("香港城", "已走访", "未走访", "已走访", "业委会")
        assert by_place[("郑部长", "益乐社区")] == (None, "未走访", "无需走访", "无需走访", "联系村社（小区）")

    def test_it_keeps_the_pages_period(self, leader, links, client_for):
        client = client_for(leader)
        ws = load_workbook(io.BytesIO(client.get(EXPORT, {"on": "2026-05-01"}).content)).worksheets[0]
        assert ws.title == "2026年第2季度"
        rows = list(ws.iter_rows(values_only=True))
        by_place = {(row[0], row[1]): row[2:] for row in rows[1:]}
        assert by_place[("郑部长", "益乐社区")][1] == "已走访"
        assert by_place[("郑部长", "德加社区")][1:4] == ("未走访", "未走访", "未走访")
        # A date that is no date is this period, as on the page.
        assert load_workbook(io.BytesIO(client.get(EXPORT, {"on": "2026-13-45"}).content)).worksheets[0].title == (
            "2026年第3季度"
        )

    def test_a_community_leader_gets_his_communitys_links(self, community_leader, links, client_for):
        rows = rows_of(client_for(community_leader).get(EXPORT))
        assert {row[1] for row in rows[1:]} == {"德加社区"}
        assert len(rows) == 1 + 2

    def test_another_streets_leader_gets_none_of_ours(self, other_street_leader, links, client_for):
        assert rows_of(client_for(other_street_leader).get(EXPORT)) == [HEADERS]

    @pytest.mark.parametrize("persona", ["worker_a", "staff"])
    def test_a_role_without_the_page_is_refused(self, persona, request, client_for):
        assert client_for(request.getfixturevalue(persona)).get(EXPORT).status_code == 403

    def test_anonymous_is_sent_to_log_in(self, client, places):
        response = client.get(EXPORT)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_a_formula_in_a_name_stays_text(self, leader, places, client_for):
        cadre = UserFactory(role=Role.CADRE, street=places.street, full_name=EVIL)
        CadreLink.objects.create(cadre=cadre, community=places.community_a, starts_on=datetime.date(2026, 1, 1))
        rows = rows_of(client_for(leader).get(EXPORT))
        assert rows[1][0] == "'" + EVIL

    def test_it_does_not_grow_with_links(self, leader, places, client_for, django_assert_max_num_queries):
        client = client_for(leader)

        def add(count: int) -> None:
            for _ in range(count):
                cadre = UserFactory(role=Role.CADRE, street=places.street)
                community = CommunityFactory(street=places.street)
                estate = EstateFactory(community=community)
                OwnersCommitteeFactory(estate=estate)
                CadreLink.objects.create(
                    cadre=cadre, community=community, estate=estate, starts_on=datetime.date(2026, 1, 1)
                )
                visit(cadre, Visit.Kind.ESTATE, estate)

        add(10)
        with django_assert_max_num_queries(8) as small:
            client.get(EXPORT)
        add(40)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert len(rows_of(client.get(EXPORT))) == 1 + 50


def test_the_page_offers_the_export_of_its_period(leader, links, client_for):
    html = client_for(leader).get(PAGE, {"on": "2026-05-01"}).content.decode()
    assert f'href="{EXPORT}?on=2026-05-01"' in html
