"""The household registry pages: who sees what, who may change what, and what each change leaves behind.

Area A (worker_a) holds the household at 香港城 3幢1单元301室; worker_a2 works the other area of the same
community and worker_b another community: both must get 404, exactly as for a household that does not exist.
Street-wide roles see the household but may not edit it: 403 on the edit pages.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from households.forms import ResidentForm
from households.models import Household, Resident
from tests.factories import (
    HouseholdCategoryFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    VisitFactory,
    make_id_number,
)
from visits.models import Visit
from wenxin.models import AuditEntry
from wenxin.validators import birth_date_from_id

HEAD_ID = make_id_number(21_456_301)
SPOUSE_ID = make_id_number(22_000_302)
NEW_ID = make_id_number(23_111_123)


@pytest.fixture
def low_income(db):
    return HouseholdCategoryFactory(name="低保户", is_key=True, sort_order=1)


@pytest.fixture
def elderly(db):
    return HouseholdCategoryFactory(name="独居老人", is_key=False, sort_order=2)


@pytest.fixture
def household_a(places, low_income):
    household = HouseholdFactory(
        grid_area=places.area_a,
        estate=places.estate_a,
        building="3",
        unit="1",
        room="301",
        phone="13812345678",
        categories=[low_income],
    )
    ResidentFactory(
        household=household,
        name="王大伯",
        id_number=HEAD_ID,
        birth_date=birth_date_from_id(HEAD_ID),
        phone="13911112222",
    )
    ResidentFactory(
        household=household,
        name="李阿姨",
        relation=Resident.Relation.SPOUSE,
        id_number=SPOUSE_ID,
        disability=Resident.Disability.PHYSICAL,
        disability_grade=2,
    )
    return household


@pytest.fixture
def household_a2(places):
    household = HouseholdFactory(grid_area=places.area_a2, estate=places.estate_a, building="5", unit="2", room="502")
    ResidentFactory(household=household, name="陈邻居")
    return household


@pytest.fixture
def household_b(places):
    household = HouseholdFactory(grid_area=places.area_b, estate=places.estate_b, building="7", unit="1", room="101")
    ResidentFactory(household=household, name="赵远邻")
    return household


@pytest.fixture
def head(household_a) -> Resident:
    return household_a.residents.get(relation=Resident.Relation.HEAD)


def audit_entries(action: str, obj) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(action=action, object_id=str(obj.pk), content_type__model=obj._meta.model_name)
    )


def login_url_for(url: str) -> str:
    return f"{reverse('login')}?next={url}"


# --- the list ---------------------------------------------------------------------------------------------


class TestHouseholdList:
    url = reverse("households:list")

    def test_it_shows_a_worker_her_own_area_only(self, client_for, worker_a, household_a, household_a2, household_b):
        response = client_for(worker_a).get(self.url)
        assert response.status_code == 200
        assert "香港城 3幢1单元301室" in response.text
        assert "王大伯" in response.text
        assert "5幢2单元502室" not in response.text
        assert "益乐新村" not in response.text

    def test_it_shows_a_worker_of_another_community_nothing_of_area_a(
        self, client_for, worker_b, household_a, household_b
    ):
        response = client_for(worker_b).get(self.url)
        assert "益乐新村 7幢1单元101室" in response.text
        assert "王大伯" not in response.text
        assert "香港城" not in response.text

    def test_it_shows_a_community_leader_her_whole_community(
        self, client_for, community_leader, household_a, household_a2, household_b
    ):
        response = client_for(community_leader).get(self.url)
        assert "3幢1单元301室" in response.text
        assert "5幢2单元502室" in response.text
        assert "益乐新村 7幢" not in response.text

    def test_it_shows_a_street_leader_the_whole_street_but_not_another_street(
        self, client_for, leader, other_street_leader, household_a, household_b
    ):
        response = client_for(leader).get(self.url)
        assert "3幢1单元301室" in response.text
        assert "7幢1单元101室" in response.text
        other = client_for(other_street_leader).get(self.url)
        assert "3幢1单元301室" not in other.text
        assert "王大伯" not in other.text

    def test_it_redirects_anonymous_users_to_login(self, client, household_a):
        response = client.get(self.url)
        assert response.status_code == 302
        assert response.url == login_url_for(self.url)

    def test_it_rejects_post(self, client_for, worker_a):
        assert client_for(worker_a).post(self.url).status_code == 405

    def test_it_shows_the_columns(self, client_for, worker_a, household_a):
        response = client_for(worker_a).get(self.url)
        assert "德加社区 · 德加第1网格" in response.text
        assert "低保户" in response.text
        assert "text-bg-danger" in response.text  # the key category is highlighted
        assert "2 人" in response.text
        assert "在册" in response.text

    @pytest.mark.parametrize("q", ["王大伯", "大伯", "13812345678", "13911112222", "3-1-301", "3幢301", HEAD_ID[-4:]])
    def test_it_searches_by_name_phone_address_and_id_tail(self, client_for, worker_a, household_a, places, q):
        other = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, building="9", room="909", phone="")
        ResidentFactory(household=other, name="孙路人", phone="", id_number=make_id_number(30_000_777))
        response = client_for(worker_a).get(self.url, {"q": q})
        assert "3幢1单元301室" in response.text
        assert "孙路人" not in response.text
        assert response.context["page"].paginator.count == 1

    def test_search_never_finds_another_areas_household(self, client_for, worker_a, household_a, household_b):
        response = client_for(worker_a).get(self.url, {"q": "赵远邻"})
        assert response.context["page"].paginator.count == 0
        assert "7幢1单元101室" not in response.text
        assert "没有符合条件的户" in response.text

    def test_it_filters_key_households(self, client_for, worker_a, household_a, places):
        HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, building="8", unit="1", room="801")
        response = client_for(worker_a).get(self.url, {"key_only": "on"})
        assert [h.pk for h in response.context["page"]] == [household_a.pk]
        assert response.context["filtering"] is True

    def test_it_filters_by_category_and_grid_area(
        self, client_for, community_leader, household_a, household_a2, elderly
    ):
        household_a2.categories.add(elderly)
        client = client_for(community_leader)
        by_category = client.get(self.url, {"category": elderly.pk})
        assert [h.pk for h in by_category.context["page"]] == [household_a2.pk]
        by_area = client.get(self.url, {"grid_area": household_a.grid_area_id})
        assert [h.pk for h in by_area.context["page"]] == [household_a.pk]

    def test_a_filter_naming_another_area_is_ignored_not_obeyed(self, client_for, worker_a, household_a, household_b):
        response = client_for(worker_a).get(self.url, {"grid_area": household_b.grid_area_id})
        assert response.status_code == 200
        assert "赵远邻" not in response.text
        assert [h.pk for h in response.context["page"]] == [household_a.pk]

    def test_moved_out_households_show_only_on_request(self, client_for, worker_a, household_a):
        Household.objects.filter(pk=household_a.pk).update(status=Household.Status.MOVED_OUT)
        client = client_for(worker_a)
        assert client.get(self.url).context["page"].paginator.count == 0
        response = client.get(self.url, {"include_moved_out": "on"})
        assert response.context["page"].paginator.count == 1
        assert "已迁出" in response.text

    def test_it_pages_25_at_a_time_and_keeps_the_filter(self, client_for, worker_a, places):
        HouseholdFactory.create_batch(30, grid_area=places.area_a, estate=places.estate_a)
        client = client_for(worker_a)
        first = client.get(self.url, {"q": "香港城"})
        assert len(first.context["page"].object_list) == 25
        assert "q=%E9%A6%99%E6%B8%AF%E5%9F%8E&amp;page=2" in first.text
        second = client.get(self.url, {"q": "香港城", "page": 2})
        assert len(second.context["page"].object_list) == 5
        assert client.get(self.url, {"page": "999"}).context["page"].number == 2

    def test_the_export_link_carries_the_current_filter(self, client_for, worker_a, household_a):
        response = client_for(worker_a).get(self.url, {"q": "王", "key_only": "on", "page": "1"})
        assert f'{reverse("households:export")}?q=%E7%8E%8B&amp;key_only=on"' in response.text

    def test_it_offers_new_and_import_by_role(self, client_for, worker_a, community_leader, leader):
        create, import_ = reverse("households:create"), reverse("households:import")
        worker_page = client_for(worker_a).get(self.url).text
        assert create in worker_page
        assert import_ not in worker_page
        leader_page = client_for(community_leader).get(self.url).text
        assert create in leader_page
        assert import_ in leader_page
        street_page = client_for(leader).get(self.url).text
        assert create not in street_page
        assert import_ not in street_page

    def test_live_search_works_as_a_plain_get(self, client_for, worker_a, household_a):
        response = client_for(worker_a).get(self.url, {"q": "王大伯"}, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert 'id="household-results"' in response.text

    @pytest.mark.parametrize("count", [30, 80])
    def test_its_query_count_does_not_grow_with_the_households(
        self, client_for, worker_a, places, low_income, elderly, count, django_assert_max_num_queries
    ):
        for household in HouseholdFactory.create_batch(count, grid_area=places.area_a, estate=places.estate_a):
            household.categories.set([low_income, elderly])
            ResidentFactory(household=household)
        client = client_for(worker_a)
        with django_assert_max_num_queries(10):
            response = client.get(self.url, {"key_only": "on"})
        assert len(response.context["page"].object_list) == 25


# --- the detail page and the reveal ---------------------------------------------------------------------


class TestHouseholdDetail:
    def url(self, household) -> str:
        return reverse("households:detail", args=[household.pk])

    def test_it_shows_the_household_and_masked_id_numbers(self, client_for, worker_a, household_a):
        response = client_for(worker_a).get(self.url(household_a))
        assert response.status_code == 200
        assert "王大伯" in response.text
        assert "李阿姨" in response.text
        assert Resident(id_number=HEAD_ID).masked_id_number in response.text
        assert HEAD_ID not in response.text
        assert SPOUSE_ID not in response.text

    def test_it_puts_the_head_of_household_first(self, client_for, worker_a, household_a):
        ResidentFactory(household=household_a, name="王小孙", relation=Resident.Relation.CHILD)
        residents = client_for(worker_a).get(self.url(household_a)).context["residents"]
        assert residents[0].name == "王大伯"

    def test_it_shows_disability_and_the_reveal_button_to_those_allowed(self, client_for, worker_a, household_a):
        response = client_for(worker_a).get(self.url(household_a))
        assert "肢体残疾" in response.text
        assert "显示完整身份证号" in response.text

    def test_the_social_affairs_section_sees_disability(self, client_for, social_affairs_staff, household_a):
        response = client_for(social_affairs_staff).get(self.url(household_a))
        assert "肢体残疾" in response.text
        assert "显示完整身份证号" in response.text

    def test_other_department_staff_see_neither_disability_nor_birth_date(self, client_for, staff, household_a):
        response = client_for(staff).get(self.url(household_a))
        assert response.status_code == 200
        assert "王大伯" in response.text
        assert "肢体残疾" not in response.text
        assert "残疾类别" not in response.text
        assert "显示完整身份证号" not in response.text
        # Birth date and masked number together would be the whole number.
        born = Resident.objects.get(id_number=HEAD_ID).birth_date
        assert born.strftime("%Y-%m-%d") not in response.text

    def test_it_offers_edit_buttons_only_to_editors(self, client_for, worker_a, leader, household_a):
        edit = reverse("households:edit", args=[household_a.pk])
        assert edit in client_for(worker_a).get(self.url(household_a)).text
        street_page = client_for(leader).get(self.url(household_a))
        assert street_page.status_code == 200
        assert edit not in street_page.text
        assert reverse("households:move_out", args=[household_a.pk]) not in street_page.text

    @pytest.mark.parametrize("persona", ["worker_a2", "worker_b", "other_street_leader"])
    def test_it_answers_404_outside_the_users_scope(self, request, client_for, household_a, persona):
        response = client_for(request.getfixturevalue(persona)).get(self.url(household_a))
        assert response.status_code == 404

    def test_it_answers_404_for_a_missing_household_the_same_way(self, client_for, worker_a, places):
        assert client_for(worker_a).get(reverse("households:detail", args=[999_999])).status_code == 404

    def test_it_redirects_anonymous_users_to_login(self, client, household_a):
        response = client.get(self.url(household_a))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


class TestHouseholdVisits:
    """The household page lists the household's visits and offers the big "log a visit" button."""

    def url(self, household) -> str:
        return reverse("households:detail", args=[household.pk])

    def test_it_lists_the_households_visits_newest_first(self, client_for, worker_a, community_leader, household_a):
        older = VisitFactory(
            household=household_a, visitor=worker_a, visited_on=datetime.date(2025, 3, 1), difficulty="想装扶手"
        )
        newer = VisitFactory(
            household=household_a,
            visitor=community_leader,
            visited_on=datetime.date(2025, 6, 1),
            companions=[worker_a],
            follow_up_needed=True,
            follow_up_by=datetime.date(2025, 6, 15),
        )
        response = client_for(worker_a).get(self.url(household_a))
        assert list(response.context["visits"].object_list) == [newer, older]
        assert "想装扶手" in response.text
        assert "走访人：李书记" in response.text
        assert "需跟进 · 06-15" in response.text
        assert reverse("visits:detail", args=[older.pk]) in response.text

    def test_it_does_not_list_other_households_visits(self, client_for, leader, household_a, household_b):
        VisitFactory(household=household_b, difficulty="别家的诉求")
        response = client_for(leader).get(self.url(household_a))
        assert list(response.context["visits"].object_list) == []
        assert "这户还没有走访记录" in response.text
        assert "别家的诉求" not in response.text

    def test_it_shows_the_latest_ten_and_pages_to_older_ones(self, client_for, worker_a, household_a):
        start = datetime.date(2025, 1, 1)
        for day in range(13):
            VisitFactory(household=household_a, visitor=worker_a, visited_on=start + datetime.timedelta(days=day))
        client = client_for(worker_a)
        first = client.get(self.url(household_a))
        assert len(first.context["visits"].object_list) == 10
        assert first.context["visits"][0].visited_on == datetime.date(2025, 1, 13)
        assert "共 13 次" in first.text
        assert "?visits_page=2#visits" in first.text
        second = client.get(self.url(household_a), {"visits_page": 2})
        assert [v.visited_on.day for v in second.context["visits"]] == [3, 2, 1]

    @pytest.mark.parametrize("persona", ["worker_a", "community_leader", "staff", "leader"])
    def test_it_offers_the_log_button_to_staff_who_may_visit(self, request, client_for, household_a, persona):
        response = client_for(request.getfixturevalue(persona)).get(self.url(household_a))
        assert f'href="{reverse("visits:log")}?household={household_a.pk}"' in response.text
        assert "记录走访" in response.text

    def test_no_log_button_for_a_moved_out_household(self, client_for, worker_a, household_a):
        Household.objects.filter(pk=household_a.pk).update(status=Household.Status.MOVED_OUT)
        response = client_for(worker_a).get(self.url(household_a))
        assert f"{reverse('visits:log')}?household=" not in response.text

    def test_no_log_button_for_an_administrator_without_a_street(self, client_for, system_admin, household_a):
        response = client_for(system_admin).get(self.url(household_a))
        assert response.status_code == 200
        assert f"{reverse('visits:log')}?household=" not in response.text

    @pytest.mark.parametrize("persona", ["worker_a2", "worker_b"])
    def test_another_areas_worker_sees_neither_page_nor_visits(
        self, request, client_for, worker_a, household_a, persona
    ):
        VisitFactory(household=household_a, visitor=worker_a, difficulty="想装扶手")
        response = client_for(request.getfixturevalue(persona)).get(self.url(household_a))
        assert response.status_code == 404
        assert "想装扶手" not in response.text

    @pytest.mark.parametrize("count", [30, 90])
    def test_its_query_count_does_not_grow_with_the_visits(
        self, client_for, worker_a, places, household_a, count, django_assert_max_num_queries
    ):
        colleague = UserFactory(role=worker_a.role, street=places.street, community=places.community_a)
        for _n in range(count):
            VisitFactory(household=household_a, visitor=worker_a, companions=[colleague], kind=Visit.Kind.CARING)
        client = client_for(worker_a)
        # 11: the key household's plan card adds one query, whatever the number of visits.
        with django_assert_max_num_queries(11):
            response = client.get(self.url(household_a))
        assert len(response.context["visits"].object_list) == 10


class TestRevealIdNumber:
    def url(self, resident) -> str:
        return reverse("households:resident_reveal_id", args=[resident.pk])

    def test_it_shows_the_full_number_and_records_who_looked(self, client_for, worker_a, head):
        response = client_for(worker_a).post(self.url(head))
        assert response.status_code == 200
        assert HEAD_ID in response.text
        assert SPOUSE_ID not in response.text  # only the one asked for
        [entry] = audit_entries(AuditEntry.Action.REVEAL, head)
        assert entry.actor == worker_a

    def test_htmx_gets_only_the_number(self, client_for, worker_a, head):
        response = client_for(worker_a).post(self.url(head), headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert HEAD_ID in response.text
        assert "<html" not in response.text
        assert len(audit_entries(AuditEntry.Action.REVEAL, head)) == 1

    def test_it_refuses_get(self, client_for, worker_a, head):
        response = client_for(worker_a).get(self.url(head))
        assert response.status_code == 405
        assert HEAD_ID not in response.text
        assert audit_entries(AuditEntry.Action.REVEAL, head) == []

    @pytest.mark.parametrize("persona", ["worker_a2", "worker_b", "other_street_leader"])
    def test_it_answers_404_outside_the_users_scope(self, request, client_for, head, persona):
        response = client_for(request.getfixturevalue(persona)).post(self.url(head))
        assert response.status_code == 404
        assert audit_entries(AuditEntry.Action.REVEAL, head) == []

    def test_it_answers_403_to_those_who_see_the_household_but_not_ids(self, client_for, staff, head):
        response = client_for(staff).post(self.url(head))
        assert response.status_code == 403
        assert HEAD_ID not in response.text
        assert audit_entries(AuditEntry.Action.REVEAL, head) == []

    def test_a_street_leader_may_reveal(self, client_for, leader, head):
        assert HEAD_ID in client_for(leader).post(self.url(head)).text
        assert len(audit_entries(AuditEntry.Action.REVEAL, head)) == 1

    def test_it_redirects_anonymous_users_to_login(self, client, head):
        response = client.post(self.url(head))
        assert response.status_code == 302
        assert audit_entries(AuditEntry.Action.REVEAL, head) == []


# --- create -------------------------------------------------------------------------------------------------


class TestHouseholdCreate:
    url = reverse("households:create")

    @pytest.fixture
    def data(self, places, low_income):
        return {
            "estate": places.estate_a.pk,
            "grid_area": places.area_a.pk,
            "building": "12",
            "unit": "2",
            "room": "1203",
            "phone": "0571-88886666",
            "categories": [low_income.pk],
            "note": "独居，行动不便",
            "head_name": "钱老伯",
            "head_id_number": f" {NEW_ID[:6]} {NEW_ID[6:].lower()} ",  # spaces and a lower-case x, as typed
            "head_phone": "13700001111",
        }

    def test_it_shows_one_screen_with_the_head_of_household(self, client_for, worker_a, places):
        response = client_for(worker_a).get(self.url)
        assert response.status_code == 200
        assert "户主姓名" in response.text
        assert "户主身份证号码" in response.text
        # Her only area is chosen for her; another area is not offered.
        assert response.context["form"].initial["grid_area"] == places.area_a.pk
        assert "德加第2网格" not in response.text
        assert "益乐新村" not in response.text

    def test_it_creates_the_household_and_its_head(self, client_for, worker_a, data, low_income):
        response = client_for(worker_a).post(self.url, data)
        household = Household.objects.get(building="12", room="1203")
        assert response.status_code == 302
        assert response.url == reverse("households:detail", args=[household.pk])
        assert list(household.categories.all()) == [low_income]
        assert household.note == "独居，行动不便"
        head = household.residents.get()
        assert head.relation == Resident.Relation.HEAD
        assert head.id_number == NEW_ID
        assert head.gender == ("M" if int(NEW_ID[16]) % 2 else "F")
        assert head.birth_date == datetime.date(int(NEW_ID[6:10]), int(NEW_ID[10:12]), int(NEW_ID[12:14]))
        assert audit_entries(AuditEntry.Action.CREATE, household)[0].actor == worker_a
        assert audit_entries(AuditEntry.Action.CREATE, head)

    def test_a_bad_id_number_keeps_what_was_typed_and_writes_nothing(self, client_for, worker_a, data):
        data["head_id_number"] = "330106199001011230"  # wrong check digit
        response = client_for(worker_a).post(self.url, data)
        assert response.status_code == 200
        assert "身份证号码校验位不正确" in response.text
        assert 'value="钱老伯"' in response.text
        assert 'value="1203"' in response.text
        assert 'value="330106199001011230"' in response.text
        assert "独居，行动不便" in response.text
        assert not Household.objects.filter(room="1203").exists()
        assert not AuditEntry.objects.exists()

    def test_an_id_number_already_registered_is_refused_by_the_service_and_writes_nothing(
        self, client_for, worker_a, data, household_b
    ):
        data["head_id_number"] = household_b.residents.get().id_number
        response = client_for(worker_a).post(self.url, data)
        assert response.status_code == 200
        assert "该身份证号码已登记在其他居民名下" in response.text
        assert 'value="钱老伯"' in response.text
        assert not Household.objects.filter(room="1203").exists()
        assert not AuditEntry.objects.exists()

    def test_an_address_already_registered_is_refused(self, client_for, worker_a, data, household_a):
        data.update(building="3", unit="1", room="301", head_id_number="")
        response = client_for(worker_a).post(self.url, data)
        assert response.status_code == 200
        assert "该地址已有在册户" in response.text
        assert Household.objects.filter(building="3", room="301").count() == 1

    def test_a_grid_area_of_another_community_is_put_beside_its_field(self, client_for, community_leader, data, places):
        data["grid_area"] = places.area_a2.pk
        data["estate"] = places.estate_a.pk
        response = client_for(community_leader).post(self.url, data)
        assert response.status_code == 302  # both in community A: allowed for its leader
        data.update(room="1204", head_id_number="", estate=places.estate_a.pk, grid_area=places.area_b.pk)
        response = client_for(community_leader).post(self.url, data)
        assert response.status_code == 200
        assert response.context["form"].errors["grid_area"]
        assert not Household.objects.filter(room="1204").exists()

    def test_another_areas_grid_area_cannot_be_chosen(self, client_for, worker_a, data, places):
        data["grid_area"] = places.area_a2.pk
        response = client_for(worker_a).post(self.url, data)
        assert response.status_code == 200
        assert "grid_area" in response.context["form"].errors
        assert not Household.objects.filter(room="1203").exists()

    @pytest.mark.parametrize("persona", ["leader", "staff", "chief", "cadre", "social_affairs_staff"])
    def test_it_answers_403_to_roles_that_do_not_keep_the_registry(self, request, client_for, data, persona):
        client = client_for(request.getfixturevalue(persona))
        assert client.get(self.url).status_code == 403
        assert client.post(self.url, data).status_code == 403
        assert not Household.objects.exists()

    def test_it_redirects_anonymous_users_to_login(self, client, data):
        response = client.post(self.url, data)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
        assert not Household.objects.exists()


# --- edit and move out ----------------------------------------------------------------------------------------


def with_initials(shown: dict, changes: dict) -> dict:
    """What the browser posts: every field as typed, and beside it (hidden) the value the form showed."""
    return {**shown, **changes, **{f"initial-{name}": value for name, value in shown.items()}}


def household_form_data(household: Household, **changes) -> dict:
    shown = {
        "estate": household.estate_id,
        "grid_area": household.grid_area_id,
        "building": household.building,
        "unit": household.unit,
        "room": household.room,
        "phone": household.phone,
        "categories": [c.pk for c in household.categories.all()],
        "note": household.note,
    }
    # The version the edit page carries (a hidden field): the one stored now, as a page opened now shows it.
    return {**with_initials(shown, changes), "version": Household.objects.get(pk=household.pk).version}


class TestHouseholdEdit:
    def url(self, household) -> str:
        return reverse("households:edit", args=[household.pk])

    def test_it_saves_only_what_changed(self, client_for, worker_a, household_a):
        response = client_for(worker_a).post(
            self.url(household_a), household_form_data(household_a, phone="13600000000")
        )
        assert response.status_code == 302
        household_a.refresh_from_db()
        assert household_a.phone == "13600000000"
        [entry] = audit_entries(AuditEntry.Action.UPDATE, household_a)
        assert entry.changes == {"phone": ["13812345678", "13600000000"]}

    def test_the_form_carries_the_values_it_showed(self, client_for, worker_a, household_a, low_income):
        response = client_for(worker_a).get(self.url(household_a))
        assert 'name="initial-phone" value="13812345678"' in response.text
        assert f'name="initial-categories" value="{low_income.pk}"' in response.text

    def test_it_keeps_a_colleagues_concurrent_change_to_another_field(self, client_for, worker_a, household_a, elderly):
        data = household_form_data(household_a, phone="13600000000")  # the form as she opened it
        Household.objects.filter(pk=household_a.pk).update(note="社区刚补充的备注")
        household_a.categories.add(elderly)
        client_for(worker_a).post(self.url(household_a), data)
        household_a.refresh_from_db()
        assert household_a.note == "社区刚补充的备注"
        assert set(household_a.categories.values_list("name", flat=True)) == {"低保户", "独居老人"}
        assert household_a.phone == "13600000000"

    def test_it_changes_categories(self, client_for, worker_a, household_a, elderly):
        client_for(worker_a).post(self.url(household_a), household_form_data(household_a, categories=[elderly.pk]))
        assert list(household_a.categories.all()) == [elderly]
        [entry] = audit_entries(AuditEntry.Action.UPDATE, household_a)
        assert entry.changes == {"categories": [["低保户"], ["独居老人"]]}

    def test_an_unchanged_form_writes_nothing(self, client_for, worker_a, household_a):
        response = client_for(worker_a).post(self.url(household_a), household_form_data(household_a), follow=True)
        assert "没有修改任何内容" in response.text
        assert audit_entries(AuditEntry.Action.UPDATE, household_a) == []

    def test_a_service_error_is_shown_and_nothing_changes(self, client_for, worker_a, household_a, places):
        HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, building="4", unit="1", room="401")
        response = client_for(worker_a).post(
            self.url(household_a), household_form_data(household_a, building="4", room="401")
        )
        assert response.status_code == 200
        assert "该地址已有在册户" in response.text
        assert "香港城 3幢1单元301室" in response.text  # the breadcrumb still names the stored address
        household_a.refresh_from_db()
        assert (household_a.building, household_a.room) == ("3", "301")

    def test_the_community_leader_may_edit(self, client_for, community_leader, household_a):
        client_for(community_leader).post(self.url(household_a), household_form_data(household_a, note="已核实"))
        household_a.refresh_from_db()
        assert household_a.note == "已核实"

    @pytest.mark.parametrize("persona", ["leader", "staff", "social_affairs_staff"])
    def test_it_answers_403_to_those_who_see_but_may_not_edit(self, request, client_for, household_a, persona):
        client = client_for(request.getfixturevalue(persona))
        assert client.get(self.url(household_a)).status_code == 403
        assert client.post(self.url(household_a), household_form_data(household_a, phone="")).status_code == 403
        household_a.refresh_from_db()
        assert household_a.phone == "13812345678"

    @pytest.mark.parametrize("persona", ["worker_a2", "worker_b", "other_street_leader"])
    def test_it_answers_404_outside_the_users_scope(self, request, client_for, household_a, persona):
        client = client_for(request.getfixturevalue(persona))
        assert client.get(self.url(household_a)).status_code == 404
        assert client.post(self.url(household_a), household_form_data(household_a, phone="")).status_code == 404
        household_a.refresh_from_db()
        assert household_a.phone == "13812345678"

    def test_it_redirects_anonymous_users_to_login(self, client, household_a):
        assert client.post(self.url(household_a), household_form_data(household_a, phone="")).status_code == 302
        household_a.refresh_from_db()
        assert household_a.phone == "13812345678"


class TestHouseholdMoveOut:
    def url(self, household) -> str:
        return reverse("households:move_out", args=[household.pk])

    def test_it_archives_the_household(self, client_for, worker_a, household_a):
        today = timezone.localdate()
        response = client_for(worker_a).post(self.url(household_a), {"moved_out_on": today, "reason": "搬至余杭区"})
        assert response.status_code == 302
        household_a.refresh_from_db()
        assert household_a.status == Household.Status.MOVED_OUT
        assert household_a.moved_out_on == today
        assert household_a.moved_out_reason == "搬至余杭区"
        assert audit_entries(AuditEntry.Action.ARCHIVE, household_a)[0].actor == worker_a

    def test_it_refuses_a_date_in_the_future(self, client_for, worker_a, household_a):
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        response = client_for(worker_a).post(self.url(household_a), {"moved_out_on": tomorrow, "reason": "搬家"})
        assert response.status_code == 200
        assert "迁出日期不能晚于今天" in response.text
        household_a.refresh_from_db()
        assert household_a.is_active

    def test_it_says_so_when_the_household_has_already_moved_out(self, client_for, worker_a, household_a):
        Household.objects.filter(pk=household_a.pk).update(status=Household.Status.MOVED_OUT)
        response = client_for(worker_a).post(
            self.url(household_a), {"moved_out_on": timezone.localdate(), "reason": "搬家"}
        )
        assert response.status_code == 200
        assert "该户已迁出" in response.text
        assert audit_entries(AuditEntry.Action.ARCHIVE, household_a) == []

    def test_it_answers_403_to_a_street_leader(self, client_for, leader, household_a):
        response = client_for(leader).post(self.url(household_a), {"moved_out_on": timezone.localdate(), "reason": "x"})
        assert response.status_code == 403
        household_a.refresh_from_db()
        assert household_a.is_active

    @pytest.mark.parametrize("persona", ["worker_a2", "worker_b"])
    def test_it_answers_404_outside_the_users_scope(self, request, client_for, household_a, persona):
        client = client_for(request.getfixturevalue(persona))
        assert client.get(self.url(household_a)).status_code == 404
        response = client.post(self.url(household_a), {"moved_out_on": timezone.localdate(), "reason": "x"})
        assert response.status_code == 404
        household_a.refresh_from_db()
        assert household_a.is_active

    def test_it_redirects_anonymous_users_to_login(self, client, household_a):
        response = client.post(self.url(household_a), {"moved_out_on": timezone.localdate(), "reason": "x"})
        assert response.status_code == 302
        household_a.refresh_from_db()
        assert household_a.is_active


# --- residents ----------------------------------------------------------------------------------------------


class TestResidentCreate:
    def url(self, household) -> str:
        return reverse("households:resident_create", args=[household.pk])

    def test_it_adds_a_resident(self, client_for, worker_a, household_a):
        data = {"name": "王小明", "relation": "child", "id_number": NEW_ID, "phone": "", "disability": "", "note": ""}
        response = client_for(worker_a).post(self.url(household_a), data)
        assert response.status_code == 302
        resident = household_a.residents.get(name="王小明")
        assert resident.relation == Resident.Relation.CHILD
        assert resident.birth_date is not None
        assert audit_entries(AuditEntry.Action.CREATE, resident)

    def test_it_suggests_head_only_for_a_household_without_one(self, client_for, worker_a, household_a, places):
        client = client_for(worker_a)
        assert client.get(self.url(household_a)).context["form"].initial == {}
        empty = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
        assert client.get(self.url(empty)).context["form"].initial == {"relation": Resident.Relation.HEAD}

    def test_a_second_head_is_refused_and_nothing_written(self, client_for, worker_a, household_a):
        data = {"name": "王二", "relation": "head", "id_number": "", "phone": "", "disability": "", "note": ""}
        response = client_for(worker_a).post(self.url(household_a), data)
        assert response.status_code == 200
        assert "一户只能有一位户主" in response.text
        assert 'value="王二"' in response.text
        assert not Resident.objects.filter(name="王二").exists()

    def test_a_disability_grade_needs_a_disability(self, client_for, worker_a, household_a):
        data = {"name": "王三", "relation": "child", "disability": "", "disability_grade": "2"}
        response = client_for(worker_a).post(self.url(household_a), data)
        assert response.status_code == 200
        assert "请同时选择残疾类别" in response.text
        assert not Resident.objects.filter(name="王三").exists()

    def test_it_answers_403_to_a_street_leader(self, client_for, leader, household_a):
        assert client_for(leader).post(self.url(household_a), {"name": "某", "relation": "child"}).status_code == 403
        assert not Resident.objects.filter(name="某").exists()

    @pytest.mark.parametrize("persona", ["worker_a2", "worker_b"])
    def test_it_answers_404_outside_the_users_scope(self, request, client_for, household_a, persona):
        client = client_for(request.getfixturevalue(persona))
        assert client.get(self.url(household_a)).status_code == 404
        assert client.post(self.url(household_a), {"name": "某", "relation": "child"}).status_code == 404
        assert not Resident.objects.filter(name="某").exists()

    def test_it_redirects_anonymous_users_to_login(self, client, household_a):
        assert client.post(self.url(household_a), {"name": "某", "relation": "child"}).status_code == 302
        assert not Resident.objects.filter(name="某").exists()


class TestResidentEdit:
    def url(self, resident) -> str:
        return reverse("households:resident_edit", args=[resident.pk])

    def form_data(self, resident: Resident, **changes) -> dict:
        shown = {
            "name": resident.name,
            "relation": resident.relation,
            "id_number": "",
            "phone": resident.phone,
            "disability": resident.disability,
            "disability_grade": resident.disability_grade or "",
            "note": resident.note,
        }
        return with_initials(shown, changes)

    def test_the_form_does_not_show_the_full_id_number(self, client_for, worker_a, head):
        response = client_for(worker_a).get(self.url(head))
        assert response.status_code == 200
        assert HEAD_ID not in response.text
        assert head.masked_id_number in response.text  # as the placeholder
        assert "留空表示不修改" in response.text

    def test_it_saves_a_phone_and_keeps_the_id_number_when_left_empty(self, client_for, worker_a, head):
        response = client_for(worker_a).post(self.url(head), self.form_data(head, phone="13955556666"))
        assert response.status_code == 302
        head.refresh_from_db()
        assert head.phone == "13955556666"
        assert head.id_number == HEAD_ID
        [entry] = audit_entries(AuditEntry.Action.UPDATE, head)
        assert entry.changes == {"phone": ["13911112222", "13955556666"]}

    def test_it_keeps_a_colleagues_concurrent_change_to_another_field(self, client_for, worker_a, head):
        data = self.form_data(head, note="腿脚不便")  # the form as she opened it
        Resident.objects.filter(pk=head.pk).update(phone="13988887777")
        client_for(worker_a).post(self.url(head), data)
        head.refresh_from_db()
        assert head.note == "腿脚不便"
        assert head.phone == "13988887777"

    def test_it_corrects_the_id_number_and_audits_it_masked(self, client_for, worker_a, head):
        client_for(worker_a).post(self.url(head), self.form_data(head, id_number=NEW_ID))
        head.refresh_from_db()
        assert head.id_number == NEW_ID
        [entry] = audit_entries(AuditEntry.Action.UPDATE, head)
        assert NEW_ID not in str(entry.changes)
        assert HEAD_ID not in str(entry.changes)

    def test_a_bad_id_number_is_refused(self, client_for, worker_a, head):
        response = client_for(worker_a).post(self.url(head), self.form_data(head, id_number="12345"))
        assert response.status_code == 200
        assert "身份证号码应为18位" in response.text
        head.refresh_from_db()
        assert head.id_number == HEAD_ID

    def test_users_who_may_not_see_sensitive_data_get_no_such_fields(self, staff, social_affairs_staff, head):
        assert "id_number" not in ResidentForm(user=staff, resident=head).fields
        assert "disability" not in ResidentForm(user=staff, resident=head).fields
        assert "disability_grade" not in ResidentForm(user=staff, resident=head).fields
        assert "id_number" in ResidentForm(user=social_affairs_staff, resident=head).fields

    @pytest.mark.parametrize("persona", ["leader", "staff"])
    def test_it_answers_403_to_those_who_see_but_may_not_edit(self, request, client_for, head, persona):
        client = client_for(request.getfixturevalue(persona))
        assert client.get(self.url(head)).status_code == 403
        assert client.post(self.url(head), self.form_data(head, phone="")).status_code == 403
        head.refresh_from_db()
        assert head.phone == "13911112222"

    @pytest.mark.parametrize("persona", ["worker_a2", "worker_b", "other_street_leader"])
    def test_it_answers_404_outside_the_users_scope(self, request, client_for, head, persona):
        client = client_for(request.getfixturevalue(persona))
        assert client.get(self.url(head)).status_code == 404
        assert client.post(self.url(head), self.form_data(head, phone="")).status_code == 404
        head.refresh_from_db()
        assert head.phone == "13911112222"

    def test_it_redirects_anonymous_users_to_login(self, client, head):
        assert client.post(self.url(head), self.form_data(head, phone="")).status_code == 302
        head.refresh_from_db()
        assert head.phone == "13911112222"


def test_an_out_of_scope_household_gets_the_chinese_not_found_page(places, worker_a, client_for):
    other = HouseholdFactory(grid_area=places.area_b, estate=places.estate_b)
    response = client_for(worker_a).get(reverse("households:detail", args=[other.pk]))
    assert response.status_code == 404
    assert "不在您的管辖范围内" in response.content.decode()
    assert other.address not in response.content.decode()
