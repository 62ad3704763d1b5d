"""A resident's access request: everything about one household as one file, for its community leader."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from feedback.models import Opinion
from feedback.services import opinion_create, opinion_split
from households import services
from households.models import Household, Resident
from tests.factories import (
    AssistancePairFactory,
    HouseholdCategoryFactory,
    HouseholdFactory,
    ResidentFactory,
    SubsidyFactory,
    UserFactory,
    VisitFactory,
    opinion_category,
)
from wenxin.models import AuditEntry
from wenxin.roles import Role


@pytest.fixture
def family(places, worker_a, staff):
    """A key household of area A with two residents, visits, a plan with history, a pair, subsidies, opinions."""
    key = HouseholdCategoryFactory(name="低保户", is_key=True)
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, categories=[key], note="独居老人")
    head = ResidentFactory(household=household, name="王建国", disability=Resident.Disability.PHYSICAL)
    spouse = ResidentFactory(household=household, name="李秀英", relation=Resident.Relation.SPOUSE)
    ResidentFactory(household=household, name="王小明", relation=Resident.Relation.CHILD, id_number="")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    visit = VisitFactory(household=household, visitor=worker_a, situation="腿脚不便，需要助餐", visited_on=yesterday)
    VisitFactory(household=household, visitor=worker_a, kind="caring", visited_on=yesterday - datetime.timedelta(7))
    plan = services.plan_create(actor=worker_a, household=household, review_on=yesterday + datetime.timedelta(90))
    services.plan_record_sections(actor=worker_a, plan=plan, sections={"basic": "两口之家", "living": "低保"})
    services.measure_add(actor=worker_a, plan=plan, description="每周送餐", responsible=worker_a, due_on=yesterday)
    AssistancePairFactory(household=household, staff=staff)
    SubsidyFactory(household=household, amount=Decimal("1234.56"))
    SubsidyFactory(household=household, amount=Decimal("800.00"), kind="festival")
    opinion = opinion_create(actor=worker_a, source=Opinion.Source.VISIT, text="楼道灯坏了，晚上看不见", visit=visit)
    # Someone else's household, in the same area: none of its records may come along.
    other = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    ResidentFactory(household=other, name="陌生人")
    other_visit = VisitFactory(household=other, visitor=worker_a, situation="别人家的事")
    opinion_create(actor=worker_a, source=Opinion.Source.VISIT, text="别人家的意见", visit=other_visit)
    return {"household": household, "head": head, "spouse": spouse, "opinion": opinion, "plan": plan}


def url(household: Household) -> str:
    return reverse("households:access_export", args=[household.pk])


def export(client: Client, household: Household, file_format: str, *, full: bool = False):
    data = {"file_format": file_format}
    if full:
        data["full_id_numbers"] = "on"
    return client.post(url(household), data)


def audit_entries(action: str, model) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, content_type=ContentType.objects.get_for_model(model)))


class TestTheCommunityLeaderExports:
    def test_the_page_says_what_the_file_holds_and_that_it_is_audited(self, family, community_leader, client_for):
        response = client_for(community_leader).get(url(family["household"]))
        assert response.status_code == 200
        text = response.content.decode()
        assert "导出本户全部信息" in text and "记入审计记录" in text
        assert 'name="file_format"' in text and 'name="full_id_numbers"' in text
        assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).count() == 0

    def test_the_household_page_links_to_it(self, family, community_leader, client_for):
        response = client_for(community_leader).get(reverse("households:detail", args=[family["household"].pk]))
        assert url(family["household"]) in response.content.decode()

    def test_json_holds_every_record_about_the_household_and_nothing_else(
        self, family, community_leader, client_for, worker_a
    ):
        response = export(client_for(community_leader), family["household"], "json")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/json")
        assert "attachment" in response["Content-Disposition"]
        assert response["Cache-Control"] == "no-store"
        document = json.loads(response.content)
        assert document["household_id"] == family["household"].pk
        assert document["household"]["note"] == "独居老人"
        assert document["household"]["categories"] == "低保户"
        assert [r["name"] for r in document["residents"]] == ["王建国", "李秀英", "王小明"]
        assert document["residents"][0]["disability"] == "肢体残疾"
        assert len(document["visits"]) == 2
        assert {v["situation"] for v in document["visits"]} >= {"腿脚不便，需要助餐"}
        assert document["assistance_plan"]["version"] == family["plan"].versions.count() == 3
        assert {s["must"] for s in document["plan_sections"]} == {"基本情况", "生活状况"}
        assert [m["description"] for m in document["plan_measures"]] == ["每周送餐"]
        assert [v["number"] for v in document["plan_versions"]] == [1, 2, 3]
        assert document["plan_versions"][-1]["snapshot"]["sections"]["basic"] == "两口之家"
        assert len(document["pairs"]) == 1
        assert sorted(s["amount"] for s in document["subsidies"]) == ["1234.56", "800.00"]
        assert [o["text"] for o in document["opinions"]] == ["楼道灯坏了，晚上看不见"]
        assert document["opinion_events"][0]["opinion"] == family["opinion"].pk
        assert document["labels"]["residents"]["id_number"] == "身份证号码"
        text = response.content.decode()
        assert "陌生人" not in text and "别人家" not in text

    def test_id_numbers_are_masked_unless_asked_for_and_then_each_is_a_recorded_reveal(
        self, family, community_leader, client_for
    ):
        client = client_for(community_leader)
        masked = json.loads(export(client, family["household"], "json").content)
        head_number = family["head"].id_number
        assert masked["full_id_numbers"] is False
        assert masked["residents"][0]["id_number"] == f"{head_number[:6]}********{head_number[-4:]}"
        assert head_number not in json.dumps(masked)
        assert audit_entries(AuditEntry.Action.REVEAL, Resident) == []

        full = json.loads(export(client, family["household"], "json", full=True).content)
        assert full["full_id_numbers"] is True
        assert [r["id_number"] for r in full["residents"]] == [head_number, family["spouse"].id_number, ""]
        reveals = audit_entries(AuditEntry.Action.REVEAL, Resident)
        # The child has no ID number: nothing to reveal.
        assert sorted(int(e.object_id) for e in reveals) == sorted([family["head"].pk, family["spouse"].pk])
        assert all(e.actor == community_leader for e in reveals)

    def test_each_download_is_recorded_as_an_export_of_the_household(self, family, community_leader, client_for):
        export(client_for(community_leader), family["household"], "xlsx", full=True)
        (entry,) = audit_entries(AuditEntry.Action.EXPORT, Household)
        assert entry.actor == community_leader
        assert entry.object_id == str(family["household"].pk)
        assert entry.changes["page"] == "access_request"
        assert entry.changes["format"] == "xlsx"
        assert entry.changes["full_id_numbers"] is True
        assert entry.changes["records"]["residents"] == 3
        assert entry.changes["records"]["visits"] == 2
        assert entry.changes["records"]["subsidies"] == 2

    def test_the_workbook_has_a_sheet_for_each_kind_of_record(self, family, community_leader, client_for):
        response = export(client_for(community_leader), family["household"], "xlsx")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        workbook = load_workbook(io.BytesIO(response.content), read_only=True)
        assert workbook.sheetnames == [
            "说明",
            "户",
            "居民",
            "走访记录",
            "一户一策",
            "一户一策内容",
            "帮扶措施",
            "一户一策历史版本",
            "帮扶结对",
            "困难补助",
            "意见建议",
            "办理记录",
        ]
        residents = list(workbook["居民"].iter_rows(values_only=True))
        assert residents[0][:3] == ("编号", "姓名", "与户主关系")
        assert [row[1] for row in residents[1:]] == ["王建国", "李秀英", "王小明"]
        assert "*" in residents[1][3]  # masked by default
        subsidies = list(workbook["困难补助"].iter_rows(values_only=True))
        assert sorted(row[1] for row in subsidies[1:]) == [800, 1234.56]

    def test_a_household_without_plan_or_opinions_exports_empty_sheets(self, places, community_leader, client_for):
        household = HouseholdFactory(grid_area=places.area_a2, estate=places.estate_a)
        document = json.loads(export(client_for(community_leader), household, "json").content)
        assert document["assistance_plan"] is None
        assert document["residents"] == document["visits"] == document["opinions"] == []

    def test_a_system_administrator_may_export_too(self, family, system_admin, client_for):
        response = export(client_for(system_admin), family["household"], "json", full=True)
        assert response.status_code == 200
        assert json.loads(response.content)["residents"][0]["id_number"] == family["head"].id_number

    def test_split_parts_of_an_opinion_come_along(self, family, community_leader, client_for):
        parts = opinion_split(
            actor=community_leader,
            opinion=family["opinion"],
            parts=[("修楼道灯", opinion_category("社区服务")), ("加装感应开关", opinion_category("社区建设"))],
        )
        document = json.loads(export(client_for(community_leader), family["household"], "json").content)
        assert {o["id"] for o in document["opinions"]} == {family["opinion"].pk, *(p.pk for p in parts)}
        assert {o["parent"] for o in document["opinions"]} == {None, family["opinion"].pk}

    def test_a_format_it_does_not_know_is_refused_and_nothing_is_recorded(self, family, community_leader, client_for):
        response = client_for(community_leader).post(url(family["household"]), {"file_format": "csv"})
        assert response.status_code == 200
        assert "is-invalid" in response.content.decode() or "errorlist" in response.content.decode()
        assert AuditEntry.objects.filter(action__in=[AuditEntry.Action.EXPORT, AuditEntry.Action.REVEAL]).count() == 0


class TestOthersMayNot:
    @pytest.mark.parametrize("persona", ["worker_a", "leader", "chief", "staff", "social_affairs_staff"])
    def test_those_who_see_the_household_but_do_not_answer_requests_get_403(self, family, persona, request, client_for):
        client = client_for(request.getfixturevalue(persona))
        assert client.get(url(family["household"])).status_code == 403
        assert export(client, family["household"], "json", full=True).status_code == 403
        assert AuditEntry.objects.filter(action__in=[AuditEntry.Action.EXPORT, AuditEntry.Action.REVEAL]).count() == 0

    def test_the_household_page_does_not_offer_it_to_a_social_worker(self, family, worker_a, client_for):
        response = client_for(worker_a).get(reverse("households:detail", args=[family["household"].pk]))
        assert url(family["household"]) not in response.content.decode()

    def test_another_communitys_leader_gets_404(self, family, places, client_for):
        leader_b = UserFactory(role=Role.COMMUNITY_LEADER, street=places.street, community=places.community_b)
        client = client_for(leader_b)
        assert client.get(url(family["household"])).status_code == 404
        assert export(client, family["household"], "json").status_code == 404

    def test_another_streets_leader_and_a_stranger_get_404(self, family, other_street_leader, worker_b, client_for):
        for user in (other_street_leader, worker_b):
            assert export(client_for(user), family["household"], "json").status_code == 404

    def test_anonymous_is_sent_to_login(self, family):
        response = Client().post(url(family["household"]), {"file_format": "json"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()
