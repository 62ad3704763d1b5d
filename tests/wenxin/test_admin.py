"""Users, departments, the audit trail and the role groups in the Django admin, scoped by visible_to(user)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from households.models import Household
from households.services import household_update
from tests.factories import DepartmentFactory, GridAreaFactory, HouseholdFactory, UserFactory
from wenxin.models import AuditEntry, User
from wenxin.roles import ROLE_PERMISSIONS, Role, group_name, sync_role_groups
from wenxin.services import user_sync_role


@pytest.fixture
def role_groups(db):
    # A fresh test database's groups are empty after migrate (test_after_migrate_... below); build them the way a
    # second migrate, and so every deployed site, has them.
    sync_role_groups()


@pytest.fixture
def admin_client_for(client_for, role_groups):
    """A client logged in as the user, with the group (and admin access) of their role."""

    def make(user):
        user_sync_role(user=user)
        return client_for(user)

    return make


@pytest.fixture
def superuser(places) -> User:
    return UserFactory(username="root", full_name="超级管理员", role=Role.SYSTEM_ADMIN, street=None, is_superuser=True)


def changelist(model: str) -> str:
    return reverse(f"admin:wenxin_{model}_changelist")


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def group_permissions(group: Group) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


# --- Role groups ---------------------------------------------------------------------------------------------------


def test_after_migrate_each_role_has_its_group_with_exactly_its_permissions(db):
    for role in Role.values:
        group = Group.objects.get(name=group_name(role))
        assert group_permissions(group) == set(ROLE_PERMISSIONS[role]), role


def test_after_migrate_there_is_one_group_per_role(db):
    assert set(Group.objects.filter(name__startswith="role:").values_list("name", flat=True)) == {
        group_name(role) for role in Role.values
    }


def test_sync_role_groups_gives_each_role_exactly_its_permissions(role_groups):
    for role in Role.values:
        assert group_permissions(Group.objects.get(name=group_name(role))) == set(ROLE_PERMISSIONS[role]), role


def test_every_permission_named_in_role_permissions_exists(role_groups):
    # sync_role_groups skips names it cannot find; a typo would silently take a permission away.
    granted = set().union(*(group_permissions(group) for group in Group.objects.filter(name__startswith="role:")))
    named = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    assert named == granted


def test_user_sync_role_puts_the_user_in_the_group_of_the_role_only(role_groups, worker_a):
    user_sync_role(user=worker_a)
    assert list(worker_a.groups.values_list("name", flat=True)) == [group_name(Role.SOCIAL_WORKER)]
    assert not worker_a.is_staff

    worker_a.role = Role.COMMUNITY_LEADER
    worker_a.save(update_fields=["role"])
    user_sync_role(user=worker_a)

    worker_a.refresh_from_db()
    assert list(worker_a.groups.values_list("name", flat=True)) == [group_name(Role.COMMUNITY_LEADER)]
    assert worker_a.is_staff
    assert User.objects.get(pk=worker_a.pk).has_perm("households.change_household")


def test_role_groups_are_shown_to_superusers_but_not_edited(admin_client_for, superuser, leader):
    client = admin_client_for(superuser)
    group = Group.objects.get(name=group_name(Role.STREET_LEADER))

    assert client.get(reverse("admin:auth_group_changelist")).status_code == 200
    assert client.get(reverse("admin:auth_group_add")).status_code == 403
    assert client.post(change_url(group), {"name": "改名"}).status_code == 403
    assert client.post(reverse("admin:auth_group_delete", args=[group.pk]), {"post": "yes"}).status_code == 403
    assert admin_client_for(leader).get(reverse("admin:auth_group_changelist")).status_code == 403


# --- Users -----------------------------------------------------------------------------------------------------


def test_a_street_leader_lists_the_streets_users_and_none_of_another_streets(
    admin_client_for, leader, worker_a, worker_b, other_street_leader
):
    response = admin_client_for(leader).get(changelist("user"))

    assert response.status_code == 200
    assert "张丽" in response.text
    assert "王芳" in response.text
    assert "冯书记" not in response.text
    assert "翠苑街道" not in response.text  # not even in the street filter


def test_a_leader_of_another_street_lists_none_of_our_users(admin_client_for, other_street_leader, leader, worker_a):
    response = admin_client_for(other_street_leader).get(changelist("user"))

    assert "钱书记" not in response.text
    assert "张丽" not in response.text
    assert "文新街道" not in response.text


def test_a_community_leader_lists_only_the_communitys_users(admin_client_for, community_leader, worker_a, worker_b):
    response = admin_client_for(community_leader).get(changelist("user"))

    assert "张丽" in response.text
    assert "王芳" not in response.text
    assert "益乐社区" not in response.text


def test_the_page_of_a_user_of_another_street_is_not_served(admin_client_for, leader, other_street_leader):
    client = admin_client_for(leader)

    response = client.get(change_url(other_street_leader))

    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    password_url = reverse("admin:auth_user_password_change", args=[other_street_leader.pk])
    assert client.get(password_url).status_code in (403, 404)


def test_a_leader_reads_a_user_without_editing(admin_client_for, leader, worker_a):
    client = admin_client_for(leader)

    assert client.get(change_url(worker_a)).status_code == 200
    assert client.post(change_url(worker_a), {"username": "x", "role": Role.CADRE}).status_code == 403
    assert client.get(reverse("admin:wenxin_user_add")).status_code == 403


def user_form(user: User, **changes) -> dict:
    data = {
        "username": user.username,
        "full_name": user.full_name,
        "phone": user.phone,
        "email": user.email,
        "role": user.role,
        "street": user.street_id or "",
        "department": user.department_id or "",
        "community": user.community_id or "",
        "overseen_departments": [d.pk for d in user.overseen_departments.all()],
        "is_active": "on",
        "_save": "保存",
    }
    data |= changes
    return {key: value for key, value in data.items() if value is not None}


def test_changing_a_users_role_in_the_admin_syncs_the_group(admin_client_for, system_admin, worker_a):
    user_sync_role(user=worker_a)

    response = admin_client_for(system_admin).post(
        change_url(worker_a), user_form(worker_a, role=Role.COMMUNITY_LEADER)
    )

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    worker_a.refresh_from_db()
    assert worker_a.role == Role.COMMUNITY_LEADER
    assert list(worker_a.groups.values_list("name", flat=True)) == [group_name(Role.COMMUNITY_LEADER)]
    assert worker_a.is_staff


def test_a_user_added_in_the_admin_joins_the_group_of_the_role(admin_client_for, system_admin, places):
    data = {
        "username": "new_leader",
        "usable_password": "true",
        "password1": "Wenxin-2025-secret",
        "password2": "Wenxin-2025-secret",
        "full_name": "新书记",
        "role": Role.COMMUNITY_LEADER,
        "street": places.street.pk,
        "community": places.community_b.pk,
    }

    response = admin_client_for(system_admin).post(reverse("admin:wenxin_user_add"), data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    user = User.objects.get(username="new_leader")
    assert list(user.groups.values_list("name", flat=True)) == [group_name(Role.COMMUNITY_LEADER)]
    assert user.is_staff


def test_admin_access_follows_the_role_not_a_checkbox(admin_client_for, system_admin, staff):
    # is_staff is shown read-only: a department staff member cannot be let into the admin by ticking it.
    response = admin_client_for(system_admin).post(change_url(staff), user_form(staff, is_staff="on"))

    assert response.status_code == 302
    staff.refresh_from_db()
    assert not staff.is_staff


def test_the_role_rules_of_the_user_model_apply_in_the_admin(admin_client_for, system_admin, worker_a):
    response = admin_client_for(system_admin).post(change_url(worker_a), user_form(worker_a, community=""))

    assert response.status_code == 200
    assert "community" in response.context["adminform"].form.errors


def test_only_a_superuser_sees_the_superuser_checkbox(admin_client_for, system_admin, superuser, worker_a):
    assert 'name="is_superuser"' not in admin_client_for(system_admin).get(change_url(worker_a)).text
    assert 'name="is_superuser"' in admin_client_for(superuser).get(change_url(worker_a)).text


def test_the_user_form_offers_only_departments_and_communities_in_scope(admin_client_for, community_leader, places):
    # A community leader only reads users; with a direct grant to change them, the choices stay in scope.
    community_leader.user_permissions.add(Permission.objects.get(codename="change_user"))
    colleague = UserFactory(
        username="colleague", role=Role.SOCIAL_WORKER, street=places.street, community=places.community_a
    )

    response = admin_client_for(community_leader).get(change_url(colleague))

    fields = response.context["adminform"].form.fields
    assert set(fields["community"].queryset) == {places.community_a}
    assert set(fields["street"].queryset) == {places.street}


@pytest.mark.parametrize("count", [30, 120])
def test_the_user_list_runs_a_bounded_number_of_queries(
    admin_client_for, leader, places, count, django_assert_max_num_queries
):
    for _ in range(count):
        UserFactory(role=Role.SOCIAL_WORKER, street=places.street, community=places.community_a)
    client = admin_client_for(leader)

    with django_assert_max_num_queries(12):
        response = client.get(changelist("user"))

    assert response.status_code == 200


# --- Departments ---------------------------------------------------------------------------------------------------


def test_departments_are_listed_for_their_own_street(admin_client_for, leader, other_street_leader, places):
    DepartmentFactory(street=places.other_street, name="翠苑综治办")

    ours = admin_client_for(leader).get(changelist("department")).text
    theirs = admin_client_for(other_street_leader).get(changelist("department")).text

    assert "城管科" in ours
    assert "翠苑综治办" not in ours
    assert "翠苑综治办" in theirs
    assert "城管科" not in theirs


# --- The audit trail ---------------------------------------------------------------------------------------------


@pytest.fixture
def audited(places, worker_a):
    """One audited change by a worker of our street, and one by a worker of another street."""
    ours = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    household_update(actor=worker_a, household=ours, data={"note": "我们的备注"})
    other_area = GridAreaFactory(community__street=places.other_street)
    theirs = HouseholdFactory(grid_area=other_area)
    other_worker = UserFactory(
        username="other_worker",
        full_name="翠苑社工",
        role=Role.SOCIAL_WORKER,
        street=places.other_street,
        community=other_area.community,
    )
    other_area.workers.add(other_worker)
    household_update(actor=other_worker, household=theirs, data={"note": "别人的备注"})
    return ours, theirs


def test_a_street_leader_reads_the_streets_audit_trail_only(admin_client_for, leader, audited):
    ours, theirs = audited
    response = admin_client_for(leader).get(changelist("auditentry"))

    assert response.status_code == 200
    assert str(ours) in response.text
    assert str(theirs) not in response.text
    assert "翠苑社工" not in response.text  # nor in the actor filter


def test_the_audit_trail_is_not_for_other_roles(admin_client_for, community_leader, cadre, audited):
    assert admin_client_for(community_leader).get(changelist("auditentry")).status_code == 403
    assert admin_client_for(cadre).get(changelist("auditentry")).status_code == 403


def test_nobody_adds_changes_or_deletes_an_audit_entry(admin_client_for, system_admin, superuser, audited):
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE).first()
    for user in (system_admin, superuser):
        client = admin_client_for(user)
        assert client.get(changelist("auditentry")).status_code == 200
        assert client.get(change_url(entry)).status_code == 200  # read-only view
        assert client.get(reverse("admin:wenxin_auditentry_add")).status_code == 403
        assert client.post(change_url(entry), {"object_repr": "改写"}).status_code == 403
        delete_url = reverse("admin:wenxin_auditentry_delete", args=[entry.pk])
        assert client.post(delete_url, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.object_repr != "改写"


def test_the_audit_entry_of_another_street_is_not_served(admin_client_for, leader, audited):
    _ours, theirs = audited
    entry = AuditEntry.objects.get(object_id=str(theirs.pk), action=AuditEntry.Action.UPDATE)

    response = admin_client_for(leader).get(change_url(entry))

    assert response.status_code == 302
    assert response.url == reverse("admin:index")


@pytest.mark.parametrize("count", [30, 120])
def test_the_audit_list_runs_a_bounded_number_of_queries(
    admin_client_for, leader, worker_a, places, count, django_assert_max_num_queries
):
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    for n in range(count):
        household_update(actor=worker_a, household=Household.objects.get(pk=household.pk), data={"note": f"第{n}次"})
    client = admin_client_for(leader)

    with django_assert_max_num_queries(12):
        response = client.get(changelist("auditentry"))

    assert response.status_code == 200


# --- Who may use the admin -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["worker_a", "staff", "social_affairs_staff"])
def test_roles_outside_the_admin_are_sent_to_its_login(request, admin_client_for, persona):
    client = admin_client_for(request.getfixturevalue(persona))

    for url in (reverse("admin:index"), changelist("user"), changelist("auditentry")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


@pytest.mark.parametrize("persona", ["leader", "deputy", "cadre", "chief", "community_leader", "system_admin"])
def test_admin_roles_reach_the_admin_index(request, admin_client_for, persona):
    response = admin_client_for(request.getfixturevalue(persona)).get(reverse("admin:index"))

    assert response.status_code == 200
    assert "户籍档案" in response.text


@pytest.mark.parametrize("persona", ["superuser", "system_admin", "leader", "community_leader"])
def test_every_page_of_users_departments_and_audit_renders(request, admin_client_for, places, audited, persona):
    user = request.getfixturevalue(persona)
    client = admin_client_for(user)
    rows = [user if persona != "superuser" else request.getfixturevalue("worker_a"), places.department]
    rows.append(AuditEntry.objects.filter(actor__street=places.street).first())
    for obj in rows:
        model = obj._meta.model_name
        for url in (changelist(model), reverse(f"admin:wenxin_{model}_add"), change_url(obj)):
            assert client.get(url).status_code in (200, 403), url
