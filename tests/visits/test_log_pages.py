"""Logging a visit on a phone, the household search behind it, and a visit's page and correction.

Area A (worker_a) holds 香港城 3幢1单元301室, head 王大伯. worker_a2 works the other area of the same community
and worker_b another community: for them a visit or household of area A answers 404, exactly as one that does
not exist. Street staff see area A but may not edit worker_a's visits: 403 on the edit page.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from households.models import Household
from tests.factories import (
    EnterpriseFactory,
    HouseholdCategoryFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    VisitFactory,
)
from visits.models import Visit
from wenxin.models import AuditEntry
from wenxin.roles import Role

LOG = reverse("visits:log")
SEARCH = reverse("visits:household_search")
TODAY = timezone.localdate


@pytest.fixture
def household_a(places):
    low_income = HouseholdCategoryFactory(name="低保户", is_key=True)
    household = HouseholdFactory(
        grid_area=places.area_a,
        estate=places.estate_a,
        building="3",
        unit="1",
        room="301",
        phone="13812345678",
        categories=[low_income],
    )
    ResidentFactory(household=household, name="王大伯", phone="13911112222")
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


def log_data(**changes) -> dict:
    """What the log page posts when she only picks the household and writes what she found."""
    data = {
        "visited_on": TODAY().isoformat(),
        "kind": Visit.Kind.DOOR_TO_DOOR,
        "met_whom": "户主王大伯",
        "situation": "老人独居，身体尚可，楼道灯坏了两周",
        "difficulty": "希望社区帮忙修楼道灯",
        "action_taken": "",
        "living_conditions": "",
        "state_of_mind": "",
    }
    data.update(changes)
    return data


def success_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- logging a visit ---------------------------------------------------------------------------------------


class TestLogPage:
    def test_it_opens_with_today_door_to_door_and_no_target(self, client_for, worker_a, household_a):
        response = client_for(worker_a).get(LOG)
        assert response.status_code == 200
        form = response.context["form"]
        assert form.initial["visited_on"] == TODAY()
        assert form.initial["kind"] == Visit.Kind.DOOR_TO_DOOR
        assert response.context["chosen"] is None
        assert f'value="{TODAY().isoformat()}"' in response.text
        assert '<option value="door_to_door" selected>入户走访</option>' in response.text

    def test_it_preselects_the_household_from_the_household_page(self, client_for, worker_a, household_a):
        response = client_for(worker_a).get(LOG, {"household": household_a.pk})
        assert response.status_code == 200
        assert response.context["chosen"] == household_a
        assert "香港城 3幢1单元301室" in response.text
        assert "户主：王大伯" in response.text
        assert f'name="household" value="{household_a.pk}" data-wx-pick checked' in response.text
        # A key household: the "five musts" fields are unfolded.
        assert response.context["key_household"] is True

    @pytest.mark.parametrize("persona", ["worker_a2", "worker_b", "other_street_leader"])
    def test_an_out_of_scope_household_in_the_link_is_404(self, request, client_for, household_a, persona):
        response = client_for(request.getfixturevalue(persona)).get(LOG, {"household": household_a.pk})
        assert response.status_code == 404
        assert "王大伯" not in response.text

    def test_a_household_link_that_is_not_a_number_is_404(self, client_for, worker_a, places):
        assert client_for(worker_a).get(LOG, {"household": "abc"}).status_code == 404

    def test_it_logs_a_visit_with_the_defaults(self, client_for, worker_a, household_a, places):
        response = client_for(worker_a).post(LOG, log_data(household=household_a.pk))
        visit = Visit.objects.get()
        assert response.status_code == 302
        assert response.url == reverse("households:detail", args=[household_a.pk])
        assert visit.visitor == worker_a
        assert visit.kind == Visit.Kind.DOOR_TO_DOOR
        assert visit.visited_on == TODAY()
        assert visit.household == household_a
        assert visit.street == places.street
        assert visit.community == places.community_a
        assert visit.situation == "老人独居，身体尚可，楼道灯坏了两周"
        assert list(visit.companions.all()) == []
        assert AuditEntry.objects.get(action=AuditEntry.Action.CREATE, object_id=str(visit.pk)).actor == worker_a

    def test_the_success_message_shows_the_quota_moving_once_per_household(self, client_for, worker_a, household_a):
        client = client_for(worker_a)
        first = client.post(LOG, log_data(household=household_a.pk), follow=True)
        assert "已记录走访：香港城 3幢1单元301室。本季度已走访 1/50 户。" in first.text
        assert "再记一条" in first.text
        second = client.post(LOG, log_data(household=household_a.pk, kind=Visit.Kind.CARING), follow=True)
        assert "本季度已走访 1/50 户" in second.text  # the same household again does not count twice
        assert Visit.objects.count() == 2
        other = HouseholdFactory(grid_area=household_a.grid_area, estate=household_a.estate)
        third = client.post(LOG, log_data(household=other.pk), follow=True)
        assert "本季度已走访 2/50 户" in third.text

    def test_a_future_date_writes_nothing_and_keeps_everything_typed(self, client_for, worker_a, household_a):
        tomorrow = TODAY() + datetime.timedelta(days=1)
        data = log_data(household=household_a.pk, visited_on=tomorrow.isoformat(), state_of_mind="情绪低落，已开导")
        response = client_for(worker_a).post(LOG, data)
        assert response.status_code == 200
        assert "走访日期不能晚于今天" in response.text
        assert "老人独居，身体尚可，楼道灯坏了两周" in response.text
        assert "希望社区帮忙修楼道灯" in response.text
        assert 'value="户主王大伯"' in response.text
        assert "情绪低落，已开导" in response.text
        assert f'value="{tomorrow.isoformat()}"' in response.text
        # The household she chose is shown again, chosen.
        assert f'name="household" value="{household_a.pk}" data-wx-pick checked' in response.text
        assert "3幢1单元301室" in response.text
        assert not Visit.objects.exists()
        assert not AuditEntry.objects.exists()

    @pytest.mark.parametrize("other", ["household_a2", "household_b"])
    def test_a_household_of_another_area_is_refused_and_nothing_is_lost(
        self, request, client_for, worker_a, household_a, other
    ):
        household = request.getfixturevalue(other)
        response = client_for(worker_a).post(LOG, log_data(household=household.pk))
        assert response.status_code == 200
        assert "所选的户不存在，或不在您的管辖范围内" in response.text
        assert "老人独居，身体尚可，楼道灯坏了两周" in response.text
        assert 'value="户主王大伯"' in response.text
        # Nothing about the other household is given away.
        assert household.residents.get().name not in response.text
        assert household.address not in response.text
        assert not Visit.objects.exists()

    def test_a_household_visit_without_a_household_asks_for_one(self, client_for, worker_a, household_a):
        response = client_for(worker_a).post(LOG, log_data())
        assert response.status_code == 200
        assert "请选择走访对象" in response.text
        assert "老人独居，身体尚可，楼道灯坏了两周" in response.text
        assert not Visit.objects.exists()

    def test_a_moved_out_household_is_refused(self, client_for, worker_a, household_a):
        Household.objects.filter(pk=household_a.pk).update(status=Household.Status.MOVED_OUT)
        response = client_for(worker_a).post(LOG, log_data(household=household_a.pk))
        assert response.status_code == 200
        assert "该户已迁出，不能再记录走访" in response.text
        assert not Visit.objects.exists()

    def test_a_follow_up_needs_a_date(self, client_for, worker_a, household_a):
        response = client_for(worker_a).post(LOG, log_data(household=household_a.pk, follow_up_needed="on"))
        assert response.status_code == 200
        assert "需要跟进时请填写跟进期限" in response.text
        assert response.context["form"]["follow_up_needed"].value() is True  # still ticked
        assert not Visit.objects.exists()
        by = (TODAY() + datetime.timedelta(days=7)).isoformat()
        client_for(worker_a).post(LOG, log_data(household=household_a.pk, follow_up_needed="on", follow_up_by=by))
        visit = Visit.objects.get()
        assert visit.follow_up_needed is True
        assert visit.follow_up_by.isoformat() == by

    def test_companions_come_along_and_only_from_her_scope(
        self, client_for, worker_a, worker_a2, worker_b, household_a
    ):
        client = client_for(worker_a)
        page = client.get(LOG)
        assert "陈静" in page.text  # a colleague of her community
        assert "王芳" not in page.text  # another community
        refused = client.post(LOG, log_data(household=household_a.pk, companions=[worker_b.pk]))
        assert refused.status_code == 200
        assert "companions" in refused.context["form"].errors
        assert not Visit.objects.exists()
        client.post(LOG, log_data(household=household_a.pk, companions=[worker_a2.pk]))
        assert list(Visit.objects.get().companions.all()) == [worker_a2]

    def test_department_staff_log_an_estate_visit_and_land_in_the_diary(self, client_for, staff, places):
        data = log_data(kind=Visit.Kind.ESTATE, estate=places.estate_a.pk, met_whom="物业经理")
        response = client_for(staff).post(LOG, data)
        assert response.status_code == 302
        assert response.url == reverse("visits:diary")
        visit = Visit.objects.get()
        assert (visit.kind, visit.estate, visit.household) == (Visit.Kind.ESTATE, places.estate_a, None)
        assert visit.community == places.community_a
        assert "已记录走访：香港城。" in success_messages(response)[0]
        assert "本季度已走访" not in success_messages(response)[0]  # no household quota for staff

    def test_a_target_that_does_not_fit_the_kind_is_left_out(self, client_for, worker_a, household_a, places):
        # Without JavaScript every target field shows; the household picked earlier is not an estate visit's.
        data = log_data(kind=Visit.Kind.ESTATE, estate=places.estate_a.pk, household=household_a.pk)
        client_for(worker_a).post(LOG, data)
        visit = Visit.objects.get()
        assert visit.estate == places.estate_a
        assert visit.household is None

    def test_an_enterprise_of_another_street_cannot_be_chosen(self, client_for, staff, places):
        elsewhere = EnterpriseFactory(street=places.other_street, name="翠苑企业")
        response = client_for(staff).post(LOG, log_data(kind=Visit.Kind.ENTERPRISE, enterprise=elsewhere.pk))
        assert response.status_code == 200
        assert "enterprise" in response.context["form"].errors
        assert "翠苑企业" not in response.text
        assert not Visit.objects.exists()

    def test_the_kinds_offered_follow_the_role(self, client_for, worker_a, leader):
        worker_kinds = [k for k, _label in client_for(worker_a).get(LOG).context["form"].fields["kind"].choices]
        assert Visit.Kind.DOOR_TO_DOOR in worker_kinds
        assert Visit.Kind.LEADERSHIP not in worker_kinds
        assert Visit.Kind.PAIRED_VILLAGE not in worker_kinds
        leader_page = client_for(leader).get(LOG)
        assert "领导走访村社" in leader_page.text
        assert "走访结对村" in leader_page.text

    def test_the_search_button_without_javascript_finds_and_saves_nothing(self, client_for, worker_a, household_a):
        response = client_for(worker_a).post(LOG, log_data(q="王大伯", find="1"))
        assert response.status_code == 200
        assert not Visit.objects.exists()
        assert response.context["results"] == [household_a]
        assert f'name="household" value="{household_a.pk}"' in response.text
        assert "老人独居，身体尚可，楼道灯坏了两周" in response.text
        assert "请选择走访对象" not in response.text  # searching is not a failed save

    def test_it_answers_403_to_a_user_without_a_street(self, client_for, system_admin, household_a):
        client = client_for(system_admin)
        assert client.get(LOG).status_code == 403
        assert client.post(LOG, log_data(household=household_a.pk)).status_code == 403
        assert not Visit.objects.exists()

    def test_it_redirects_anonymous_users_to_login(self, client, household_a):
        response = client.post(LOG, log_data(household=household_a.pk))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
        assert not Visit.objects.exists()


# --- the household search --------------------------------------------------------------------------------


class TestHouseholdSearch:
    @pytest.mark.parametrize("q", ["王大伯", "3-1-301", "13812345678", "13911112222"])
    def test_it_finds_her_household_by_name_address_and_phone(self, client_for, worker_a, household_a, q):
        response = client_for(worker_a).get(SEARCH, {"q": q}, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert response.context["results"] == [household_a]
        assert "<html" not in response.text
        assert f'type="radio" name="household" value="{household_a.pk}"' in response.text
        assert "户主：王大伯" in response.text

    def test_it_returns_only_her_households(self, client_for, worker_a, household_a, household_a2, household_b):
        # 香港城 holds households of both areas of community A: only hers come back.
        response = client_for(worker_a).get(SEARCH, {"q": "香港城"})
        assert response.context["results"] == [household_a]
        assert "陈邻居" not in response.text
        assert client_for(worker_a).get(SEARCH, {"q": "赵远邻"}).context["results"] == []

    def test_another_worker_finds_none_of_area_a(self, client_for, worker_b, household_a, household_b):
        response = client_for(worker_b).get(SEARCH, {"q": "王大伯"})
        assert response.context["results"] == []
        assert "没有找到" in response.text

    def test_it_leaves_out_moved_out_households(self, client_for, worker_a, household_a):
        Household.objects.filter(pk=household_a.pk).update(status=Household.Status.MOVED_OUT)
        assert client_for(worker_a).get(SEARCH, {"q": "王大伯"}).context["results"] == []

    def test_it_shows_at_most_twenty(self, client_for, worker_a, places):
        HouseholdFactory.create_batch(25, grid_area=places.area_a, estate=places.estate_a)
        response = client_for(worker_a).get(SEARCH, {"q": "香港城"})
        assert len(response.context["results"]) == 20
        assert "只显示前 20 户" in response.text

    def test_an_empty_search_answers_nothing(self, client_for, worker_a, household_a):
        response = client_for(worker_a).get(SEARCH, {"q": " "})
        assert response.context["results"] == []
        assert response.text.strip() == ""

    def test_it_redirects_anonymous_users_to_login(self, client, household_a):
        response = client.get(SEARCH, {"q": "王大伯"})
        assert response.status_code == 302
        assert "王大伯" not in response.text


# --- a visit's page -------------------------------------------------------------------------------------------


@pytest.fixture
def visit_a(worker_a, household_a):
    return VisitFactory(
        household=household_a, visitor=worker_a, situation="老人说腿脚不便", difficulty="想申请助餐服务"
    )


class TestVisitDetail:
    def url(self, visit) -> str:
        return reverse("visits:detail", args=[visit.pk])

    def test_it_shows_her_visit_with_an_edit_button(self, client_for, worker_a, visit_a):
        response = client_for(worker_a).get(self.url(visit_a))
        assert response.status_code == 200
        assert "老人说腿脚不便" in response.text
        assert "想申请助餐服务" in response.text
        assert "香港城 3幢1单元301室" in response.text
        assert reverse("visits:edit", args=[visit_a.pk]) in response.text

    def test_a_spot_checked_visit_says_so_instead_of_an_edit_button(self, client_for, worker_a, visit_a):
        Visit.objects.filter(pk=visit_a.pk).update(spot_checked_at=timezone.now())
        response = client_for(worker_a).get(self.url(visit_a))
        assert "已抽查，不能修改" in response.text
        assert reverse("visits:edit", args=[visit_a.pk]) not in response.text

    @pytest.mark.parametrize("persona", ["community_leader", "leader", "chief"])
    def test_reviewers_in_scope_see_it_without_an_edit_button(self, request, client_for, visit_a, persona):
        response = client_for(request.getfixturevalue(persona)).get(self.url(visit_a))
        assert response.status_code == 200
        assert "老人说腿脚不便" in response.text
        assert reverse("visits:edit", args=[visit_a.pk]) not in response.text

    @pytest.mark.parametrize("persona", ["worker_a2", "worker_b", "other_street_leader"])
    def test_it_answers_404_outside_the_users_scope(self, request, client_for, visit_a, persona):
        response = client_for(request.getfixturevalue(persona)).get(self.url(visit_a))
        assert response.status_code == 404
        assert "老人说腿脚不便" not in response.text

    def test_it_answers_404_for_a_missing_visit_the_same_way(self, client_for, worker_a, places):
        assert client_for(worker_a).get(reverse("visits:detail", args=[999_999])).status_code == 404

    def test_it_redirects_anonymous_users_to_login(self, client, visit_a):
        response = client.get(self.url(visit_a))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


# --- correcting a visit ---------------------------------------------------------------------------------------


def visit_form_data(visit: Visit, **changes) -> dict:
    """What the edit page posts: every field as typed, and beside it (hidden) the value the form showed."""
    shown = {
        "visited_on": visit.visited_on.isoformat(),
        "kind": visit.kind,
        "household": visit.household_id or "",
        "estate": visit.estate_id or "",
        "owners_committee": "",
        "property_company": "",
        "enterprise": "",
        "met_whom": visit.met_whom,
        "situation": visit.situation,
        "living_conditions": visit.living_conditions,
        "state_of_mind": visit.state_of_mind,
        "difficulty": visit.difficulty,
        "action_taken": visit.action_taken,
        "follow_up_by": visit.follow_up_by.isoformat() if visit.follow_up_by else "",
        "companions": [c.pk for c in visit.companions.all()],
    }
    if visit.follow_up_needed:
        shown["follow_up_needed"] = "on"
    data = {**shown, **changes}
    data.update({f"initial-{name}": value for name, value in shown.items()})
    data["initial-follow_up_needed"] = str(visit.follow_up_needed)
    return data


class TestVisitEdit:
    def url(self, visit) -> str:
        return reverse("visits:edit", args=[visit.pk])

    def test_the_form_carries_the_values_it_showed(self, client_for, worker_a, visit_a):
        response = client_for(worker_a).get(self.url(visit_a))
        assert response.status_code == 200
        assert 'name="initial-situation" value="老人说腿脚不便"' in response.text
        assert f'name="initial-household" value="{visit_a.household_id}"' in response.text
        assert response.context["chosen"] == visit_a.household

    def test_it_saves_only_what_changed(self, client_for, worker_a, visit_a):
        response = client_for(worker_a).post(self.url(visit_a), visit_form_data(visit_a, action_taken="已转交助餐点"))
        assert response.status_code == 302
        assert response.url == reverse("visits:detail", args=[visit_a.pk])
        visit_a.refresh_from_db()
        assert visit_a.action_taken == "已转交助餐点"
        [entry] = AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE, object_id=str(visit_a.pk))
        assert entry.changes == {"action_taken": ["", "已转交助餐点"]}

    def test_it_keeps_a_colleagues_concurrent_change_to_another_field(self, client_for, worker_a, visit_a):
        data = visit_form_data(visit_a, action_taken="已转交助餐点")  # the form as she opened it
        Visit.objects.filter(pk=visit_a.pk).update(difficulty="想申请助餐服务和居家养老")
        client_for(worker_a).post(self.url(visit_a), data)
        visit_a.refresh_from_db()
        assert visit_a.difficulty == "想申请助餐服务和居家养老"
        assert visit_a.action_taken == "已转交助餐点"

    def test_an_unchanged_form_writes_nothing(self, client_for, worker_a, visit_a):
        response = client_for(worker_a).post(self.url(visit_a), visit_form_data(visit_a), follow=True)
        assert "没有修改任何内容" in response.text
        assert not AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE).exists()

    def test_turning_it_into_an_estate_visit_clears_the_household(self, client_for, worker_a, visit_a, places):
        data = visit_form_data(visit_a, kind=Visit.Kind.ESTATE, estate=places.estate_a.pk)
        assert client_for(worker_a).post(self.url(visit_a), data).status_code == 302
        visit_a.refresh_from_db()
        assert (visit_a.kind, visit_a.estate, visit_a.household) == (Visit.Kind.ESTATE, places.estate_a, None)

    def test_a_future_date_is_refused_and_nothing_changes(self, client_for, worker_a, visit_a):
        tomorrow = (TODAY() + datetime.timedelta(days=1)).isoformat()
        data = visit_form_data(visit_a, visited_on=tomorrow, situation="改过的情况")
        response = client_for(worker_a).post(self.url(visit_a), data)
        assert response.status_code == 200
        assert "走访日期不能晚于今天" in response.text
        assert "改过的情况" in response.text
        visit_a.refresh_from_db()
        assert visit_a.situation == "老人说腿脚不便"

    def test_the_worker_of_the_household_may_correct_a_colleagues_visit(
        self, client_for, worker_a, community_leader, household_a
    ):
        visit = VisitFactory(household=household_a, visitor=community_leader)
        client_for(worker_a).post(self.url(visit), visit_form_data(visit, met_whom="户主和女儿"))
        visit.refresh_from_db()
        assert visit.met_whom == "户主和女儿"

    def test_a_spot_checked_visit_cannot_be_edited(self, client_for, worker_a, visit_a):
        Visit.objects.filter(pk=visit_a.pk).update(spot_checked_at=timezone.now())
        client = client_for(worker_a)
        assert client.get(self.url(visit_a)).status_code == 403
        assert client.post(self.url(visit_a), visit_form_data(visit_a, situation="改")).status_code == 403
        visit_a.refresh_from_db()
        assert visit_a.situation == "老人说腿脚不便"

    @pytest.mark.parametrize("persona", ["community_leader", "leader", "staff"])
    def test_it_answers_403_to_those_who_see_but_may_not_edit(self, request, client_for, visit_a, persona):
        client = client_for(request.getfixturevalue(persona))
        assert client.get(self.url(visit_a)).status_code == 403
        assert client.post(self.url(visit_a), visit_form_data(visit_a, situation="改")).status_code == 403
        visit_a.refresh_from_db()
        assert visit_a.situation == "老人说腿脚不便"

    @pytest.mark.parametrize("persona", ["worker_a2", "worker_b", "other_street_leader"])
    def test_it_answers_404_outside_the_users_scope(self, request, client_for, visit_a, persona):
        client = client_for(request.getfixturevalue(persona))
        assert client.get(self.url(visit_a)).status_code == 404
        assert client.post(self.url(visit_a), visit_form_data(visit_a, situation="改")).status_code == 404
        visit_a.refresh_from_db()
        assert visit_a.situation == "老人说腿脚不便"

    def test_it_redirects_anonymous_users_to_login(self, client, visit_a):
        response = client.post(self.url(visit_a), visit_form_data(visit_a, situation="改"))
        assert response.status_code == 302
        visit_a.refresh_from_db()
        assert visit_a.situation == "老人说腿脚不便"


def test_a_new_colleague_without_areas_still_logs_an_estate_visit(client_for, places):
    newcomer = UserFactory(
        username="newcomer", role=Role.SOCIAL_WORKER, street=places.street, community=places.community_a
    )
    response = client_for(newcomer).post(LOG, log_data(kind=Visit.Kind.ESTATE, estate=places.estate_a.pk))
    assert response.status_code == 302
    assert Visit.objects.get().visitor == newcomer


def test_editing_the_companions_changes_only_them(client_for, worker_a, worker_a2, community_leader, visit_a):
    visit_a.companions.set([worker_a2])
    client = client_for(worker_a)
    assert (
        f'name="initial-companions" value="{worker_a2.pk}"'
        in client.get(reverse("visits:edit", args=[visit_a.pk])).text
    )
    data = visit_form_data(visit_a, companions=[worker_a2.pk, community_leader.pk])
    assert client.post(reverse("visits:edit", args=[visit_a.pk]), data).status_code == 302
    assert set(visit_a.companions.all()) == {worker_a2, community_leader}
    [entry] = AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE, object_id=str(visit_a.pk))
    assert set(entry.changes) == {"companions"}


# --- a visit that updates the household's one-household-one-plan --------------------------------------------

PLAN_CHECKBOX = "同时更新一户一策的生活状况和思想动态"


@pytest.fixture
def plan_a(household_a, worker_a):
    from households.services import plan_create

    return plan_create(actor=worker_a, household=household_a, review_on=TODAY() + datetime.timedelta(days=90))


class TestVisitUpdatesThePlan:
    def test_the_checkbox_is_offered_for_a_household_with_a_plan(self, client_for, worker_a, household_a, plan_a):
        assert PLAN_CHECKBOX in client_for(worker_a).get(LOG, {"household": household_a.pk}).text

    def test_the_checkbox_is_not_offered_without_a_plan(self, client_for, worker_a, household_a):
        assert PLAN_CHECKBOX not in client_for(worker_a).get(LOG, {"household": household_a.pk}).text

    def test_the_checkbox_is_not_offered_to_those_who_may_not_change_the_plan(
        self, client_for, leader, household_a, plan_a
    ):
        assert PLAN_CHECKBOX not in client_for(leader).get(LOG, {"household": household_a.pk}).text

    def test_a_ticked_visit_records_living_conditions_and_state_of_mind_in_the_plan(
        self, client_for, worker_a, household_a, plan_a
    ):
        data = log_data(
            household=household_a.pk, living_conditions="屋顶漏水", state_of_mind="担心冬天", update_plan="on"
        )
        assert client_for(worker_a).post(LOG, data).status_code == 302
        visit = Visit.objects.get()
        sections = {s.must: s for s in plan_a.sections.all()}
        assert (sections["living"].text, sections["mind"].text) == ("屋顶漏水", "担心冬天")
        assert sections["living"].source_visit == visit
        assert sections["mind"].recorded_by == worker_a
        assert plan_a.versions.count() == 2

    def test_an_unticked_visit_leaves_the_plan_alone(self, client_for, worker_a, household_a, plan_a):
        data = log_data(household=household_a.pk, living_conditions="屋顶漏水")
        assert client_for(worker_a).post(LOG, data).status_code == 302
        assert not plan_a.sections.exists()

    def test_a_ticked_visit_to_a_household_without_a_plan_is_refused_and_kept(self, client_for, worker_a, household_a):
        data = log_data(household=household_a.pk, living_conditions="屋顶漏水", update_plan="on")
        response = client_for(worker_a).post(LOG, data)
        assert response.status_code == 200
        assert "该户还没有一户一策" in response.text
        assert "屋顶漏水" in response.text
        assert not Visit.objects.exists()
