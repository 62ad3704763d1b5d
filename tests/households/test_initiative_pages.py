"""Innovation initiatives (创新载体): the list, creating one's own and editing only one's own."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from households.models import Initiative
from wenxin.models import AuditEntry

LIST = reverse("households:initiative_list")
CREATE = reverse("households:initiative_create")
GOOD = {
    "title": "邻里互助小站",
    "description": "每周三下午为独居老人代买代办。",
    "status": "running",
    "started_on": "2026-03-01",
}


@pytest.fixture
def initiatives(worker_a, worker_a2, worker_b):
    return {
        "a": Initiative.objects.create(
            owner=worker_a, title="香港城晾衣架", description="公共晾衣架", status="finished"
        ),
        "a2": Initiative.objects.create(owner=worker_a2, title="德加读书会", description="每月一次"),
        "b": Initiative.objects.create(owner=worker_b, title="益乐议事角", description="楼道议事", status="running"),
    }


def edit_url(initiative):
    return reverse("households:initiative_edit", args=[initiative.pk])


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("worker_a", {"a", "a2"}),  # hers and her community's
        ("worker_a2", {"a", "a2"}),
        ("worker_b", {"b"}),
        ("community_leader", {"a", "a2"}),
        ("leader", {"a", "a2", "b"}),
        ("chief", {"a", "a2", "b"}),
        ("other_street_leader", set()),
    ],
)
def test_each_role_sees_the_initiatives_of_its_scope(request, client_for, initiatives, persona, sees):
    response = client_for(request.getfixturevalue(persona)).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert {key for key, i in initiatives.items() if f'data-initiative="{i.pk}"' in html} == sees


def test_the_status_shows_as_a_badge_and_only_her_own_can_be_edited(client_for, worker_a, initiatives):
    html = client_for(worker_a).get(LIST).content.decode()
    assert 'data-status="finished"' in html and "已结束" in html
    assert 'data-status="planning"' in html and "筹备中" in html
    assert edit_url(initiatives["a"]) in html
    assert edit_url(initiatives["a2"]) not in html


def test_anonymous_is_sent_to_log_in(client):
    assert client.get(LIST).status_code == 302
    assert client.get(CREATE).status_code == 302


def test_a_social_worker_creates_her_initiative(client_for, worker_a):
    client = client_for(worker_a)
    assert client.get(CREATE).status_code == 200
    assert client.post(CREATE, GOOD).status_code == 302
    initiative = Initiative.objects.get()
    assert (initiative.owner, initiative.title, initiative.status) == (worker_a, "邻里互助小站", "running")
    assert initiative.started_on == datetime.date(2026, 3, 1)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATE, object_id=str(initiative.pk)).exists()


def test_a_missing_title_is_refused_and_the_typing_kept(client_for, worker_a):
    response = client_for(worker_a).post(CREATE, {**GOOD, "title": ""})
    assert response.status_code == 200
    assert "每周三下午为独居老人代买代办。" in response.content.decode()
    assert not Initiative.objects.exists()


@pytest.mark.parametrize(
    "persona", ["community_leader", "leader", "staff", "chief", "deputy", "social_affairs_staff", "other_street_leader"]
)
def test_only_social_workers_create_initiatives(request, client_for, persona):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, GOOD).status_code == 403
    assert not Initiative.objects.exists()


def test_the_owner_edits_her_initiative(client_for, worker_a, initiatives):
    client = client_for(worker_a)
    initiative = initiatives["a"]
    response = client.get(edit_url(initiative))
    assert response.status_code == 200
    assert "香港城晾衣架" in response.content.decode()
    assert client.post(edit_url(initiative), GOOD).status_code == 302
    initiative.refresh_from_db()
    assert (initiative.title, initiative.status) == ("邻里互助小站", "running")
    assert AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE, object_id=str(initiative.pk)).exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("worker_a2", 403),  # she sees it (same community) but it is not hers
        ("community_leader", 403),
        ("leader", 403),
        ("worker_b", 404),
        ("other_street_leader", 404),
    ],
)
def test_no_one_else_edits_an_initiative(request, client_for, initiatives, persona, status):
    client = client_for(request.getfixturevalue(persona))
    initiative = initiatives["a"]
    assert client.get(edit_url(initiative)).status_code == status
    assert client.post(edit_url(initiative), GOOD).status_code == status
    initiative.refresh_from_db()
    assert initiative.title == "香港城晾衣架"


def test_anonymous_cannot_edit(client, initiatives):
    assert client.post(edit_url(initiatives["a"]), GOOD).status_code == 302
