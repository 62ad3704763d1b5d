"""The roles of the 2433 method, defined once, and the Django groups that carry their admin permissions.

Views and templates never compare role strings: they ask the user's boolean properties (wenxin.models.User),
which are derived from the sets below.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STREET_LEADER = "street_leader", _("街道主要领导")
    LEADER_IN_CHARGE = "leader_in_charge", _("分管领导")
    CADRE = "cadre", _("区管干部")
    SECTION_CHIEF = "section_chief", _("科长")
    DEPARTMENT_STAFF = "department_staff", _("科室人员")
    COMMUNITY_LEADER = "community_leader", _("社区主要领导")
    SOCIAL_WORKER = "social_worker", _("社工")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")


# Who sees what (see wenxin.scoping.scope_q).
STREET_WIDE_ROLES = frozenset(
    {Role.STREET_LEADER, Role.LEADER_IN_CHARGE, Role.CADRE, Role.SECTION_CHIEF, Role.DEPARTMENT_STAFF}
)
COMMUNITY_ROLES = frozenset({Role.COMMUNITY_LEADER, Role.SOCIAL_WORKER})
DEPARTMENT_ROLES = frozenset({Role.LEADER_IN_CHARGE, Role.SECTION_CHIEF, Role.DEPARTMENT_STAFF})
# Who keeps the household registry: the people who walk the households.
REGISTRY_EDITOR_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.COMMUNITY_LEADER, Role.SOCIAL_WORKER})
REGISTRY_IMPORT_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.COMMUNITY_LEADER})
# Who may reveal ID numbers and read disabilities (DOMAIN: own area, community leaders, Social Affairs,
# street leaders); the Social Affairs Section is a department flag, checked on the user.
SENSITIVE_DATA_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.STREET_LEADER, Role.COMMUNITY_LEADER, Role.SOCIAL_WORKER})
# Who reviews social workers' quarterly quotas and coverage (DOMAIN: chiefs, community leaders, leaders).
QUOTA_REVIEW_ROLES = frozenset(
    {
        Role.SYSTEM_ADMIN,
        Role.STREET_LEADER,
        Role.LEADER_IN_CHARGE,
        Role.CADRE,
        Role.SECTION_CHIEF,
        Role.COMMUNITY_LEADER,
    }
)
# Who reviews the department staff's visit-service day (chiefs and leaders in charge, and street leaders).
SERVICE_DAY_REVIEW_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.STREET_LEADER, Role.LEADER_IN_CHARGE, Role.SECTION_CHIEF})
# Four listenings and opinions (DOMAIN "4"). Who sorts, splits and assigns opinions to a responsible person.
OPINION_DISPATCH_ROLES = frozenset(
    {Role.SYSTEM_ADMIN, Role.STREET_LEADER, Role.LEADER_IN_CHARGE, Role.SECTION_CHIEF, Role.COMMUNITY_LEADER}
)
# Who reads the meeting-cadence calendar and the opinion figures: leaders and community leaders.
MEETING_REVIEW_ROLES = frozenset(
    {Role.SYSTEM_ADMIN, Role.STREET_LEADER, Role.LEADER_IN_CHARGE, Role.CADRE, Role.COMMUNITY_LEADER}
)
# Who holds topic meetings (专题会议) on a group of opinions.
TOPIC_MEETING_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.STREET_LEADER, Role.LEADER_IN_CHARGE})
# Who works in the Django admin.
ADMIN_SITE_ROLES = frozenset(
    {
        Role.SYSTEM_ADMIN,
        Role.STREET_LEADER,
        Role.LEADER_IN_CHARGE,
        Role.CADRE,
        Role.SECTION_CHIEF,
        Role.COMMUNITY_LEADER,
    }
)

_VIEW_REGISTRY = [
    "households.view_street",
    "households.view_community",
    "households.view_estate",
    "households.view_gridarea",
    "households.view_household",
    "households.view_resident",
    "households.view_householdcategory",
    "households.view_ownerscommittee",
    "households.view_propertycompany",
    "households.view_enterprise",
    "households.view_pairedvillage",
    "wenxin.view_department",
    "wenxin.view_user",
]
_EDIT_REGISTRY = [
    "households.add_household",
    "households.change_household",
    "households.add_resident",
    "households.change_resident",
]

_VISITS = ["visits.view_visit", "visits.add_visit", "visits.change_visit", "visits.view_quotarule"]
_SERVICE_DAY_VIEW = ["visits.view_servicedayrule", "visits.view_servicedaymove"]
_SERVICE_DAY_EDIT = [
    *_SERVICE_DAY_VIEW,
    "visits.add_servicedayrule",
    "visits.change_servicedayrule",
    "visits.add_servicedaymove",
    "visits.change_servicedaymove",
    "visits.delete_servicedaymove",
]

_ASSISTANCE_VIEW = [
    "households.view_assistanceplan",
    "households.view_assistancepair",
    "households.view_subsidy",
    "households.view_initiative",
]
_ASSISTANCE_EDIT = ["households.add_subsidy", "households.change_assistanceplan"]

# Four listenings and opinions: records are read in the admin (written on the product pages); the kinds of
# meeting and the opinion categories are the office's data, kept by system administrators and street leaders.
_FEEDBACK_VIEW = [
    "feedback.view_meetingkind",
    "feedback.view_meeting",
    "feedback.view_opinioncategory",
    "feedback.view_opinion",
    "feedback.view_opinionevent",
    "feedback.view_topicmeeting",
]
_FEEDBACK_EDIT = [
    *_FEEDBACK_VIEW,
    "feedback.add_meetingkind",
    "feedback.change_meetingkind",
    "feedback.add_opinioncategory",
    "feedback.change_opinioncategory",
]

# Three musts, spot-checks and evaluations (DOMAIN "3 + 3"), in the admin. Who may check whom is the services'
# question (check_may_spot_check): the permissions only open the pages. Section chiefs run spot-checks because
# the Social Affairs Section's chief checks community staff; the admin offers adding one only to those who may
# check at some level. Department staff do not use the admin (ADMIN_SITE_ROLES), so the Section's staff do not
# spot-check there. Evaluations are added, never changed (assessment.admin.EvaluationAdmin).
_ASSESSMENT_VIEW = [
    "assessment.view_assessmentrule",
    "assessment.view_cadrelink",
    "assessment.view_spotcheck",
    "assessment.view_spotcheckitem",
    "assessment.view_visitverification",
    "assessment.view_evaluation",
]
_SPOT_CHECK_RUN = ["assessment.add_spotcheck", "assessment.change_spotcheck", "assessment.change_spotcheckitem"]
_ASSESSMENT_SETTINGS = [
    "assessment.add_assessmentrule",
    "assessment.change_assessmentrule",
    "assessment.add_cadrelink",
    "assessment.change_cadrelink",
    "assessment.delete_cadrelink",
]
_EVALUATION_ADD = ["assessment.add_evaluation"]
# Cadres are the checked at their level: their links, the rule and their own evaluations.
_ASSESSMENT_CADRE = ["assessment.view_assessmentrule", "assessment.view_cadrelink", "assessment.view_evaluation"]

# Model permissions per role, as "app_label.codename". Rows are scoped separately (visible_to).
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.SYSTEM_ADMIN: [
        *_VIEW_REGISTRY,
        *_EDIT_REGISTRY,
        "households.add_street",
        "households.change_street",
        "households.add_community",
        "households.change_community",
        "households.add_estate",
        "households.change_estate",
        "households.add_gridarea",
        "households.change_gridarea",
        "households.add_householdcategory",
        "households.change_householdcategory",
        "households.add_ownerscommittee",
        "households.change_ownerscommittee",
        "households.add_propertycompany",
        "households.change_propertycompany",
        "households.add_enterprise",
        "households.change_enterprise",
        "households.add_pairedvillage",
        "households.change_pairedvillage",
        "wenxin.add_department",
        "wenxin.change_department",
        "wenxin.add_user",
        "wenxin.change_user",
        "wenxin.view_auditentry",
        # Failed logins (django-axes): reading them, and unlocking a locked-out colleague by deleting the attempt.
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accesslog",
        "axes.view_accessfailurelog",
        "households.view_householdimport",
        "auth.view_group",
        *_VISITS,
        "visits.add_quotarule",
        "visits.change_quotarule",
        "visits.delete_quotarule",
        *_SERVICE_DAY_EDIT,
        *_ASSISTANCE_VIEW,
        *_ASSISTANCE_EDIT,
        *_FEEDBACK_EDIT,
        *_ASSESSMENT_VIEW,
        *_SPOT_CHECK_RUN,
        *_ASSESSMENT_SETTINGS,
        *_EVALUATION_ADD,
    ],
    Role.STREET_LEADER: [
        *_VIEW_REGISTRY,
        "wenxin.view_auditentry",
        *_VISITS,
        *_SERVICE_DAY_EDIT,
        *_ASSISTANCE_VIEW,
        *_FEEDBACK_EDIT,
        *_ASSESSMENT_VIEW,
        *_SPOT_CHECK_RUN,
        *_ASSESSMENT_SETTINGS,
        *_EVALUATION_ADD,
    ],
    Role.LEADER_IN_CHARGE: [
        *_VIEW_REGISTRY,
        *_VISITS,
        *_SERVICE_DAY_VIEW,
        *_FEEDBACK_VIEW,
        *_ASSESSMENT_VIEW,
        *_SPOT_CHECK_RUN,
        *_EVALUATION_ADD,
    ],
    Role.CADRE: [*_VIEW_REGISTRY, *_VISITS, *_SERVICE_DAY_VIEW, *_FEEDBACK_VIEW, *_ASSESSMENT_CADRE],
    Role.SECTION_CHIEF: [
        *_VIEW_REGISTRY,
        *_VISITS,
        *_SERVICE_DAY_VIEW,
        *_FEEDBACK_VIEW,
        *_ASSESSMENT_VIEW,
        *_SPOT_CHECK_RUN,
    ],
    Role.DEPARTMENT_STAFF: list(_VIEW_REGISTRY),
    Role.COMMUNITY_LEADER: [
        *_VIEW_REGISTRY,
        *_EDIT_REGISTRY,
        "households.view_householdimport",
        *_VISITS,
        *_SERVICE_DAY_VIEW,
        *_ASSISTANCE_VIEW,
        *_ASSISTANCE_EDIT,
        *_FEEDBACK_VIEW,
        *_ASSESSMENT_VIEW,
        *_SPOT_CHECK_RUN,
        # The mutual evaluation his community gives the street's departments.
        *_EVALUATION_ADD,
    ],
    Role.SOCIAL_WORKER: [*_VIEW_REGISTRY, *_EDIT_REGISTRY],
}


def group_name(role: str) -> str:
    """The Django group of a role; named by its stable value so a language switch does not rename it."""
    return f"role:{role}"


def sync_role_groups(**kwargs) -> None:
    """Create or update one group per role with exactly the permissions of ROLE_PERMISSIONS."""
    from django.contrib.auth.models import Group, Permission

    wanted = {(p.split(".")[0], p.split(".")[1]) for perms in ROLE_PERMISSIONS.values() for p in perms}
    by_key = {
        (perm.content_type.app_label, perm.codename): perm
        for perm in Permission.objects.select_related("content_type").filter(
            codename__in={codename for _app, codename in wanted}
        )
    }
    for role in Role.values:
        group, _created = Group.objects.get_or_create(name=group_name(role))
        perms = [by_key[tuple(p.split("."))] for p in ROLE_PERMISSIONS[role] if tuple(p.split(".")) in by_key]
        group.permissions.set(perms)
