"""The permission matrix's table: for every URL pattern, how to build it and what each persona must get.

Written from the rules of the product (README "What each role does", DOMAIN.md, wenxin/roles.py), not from what
the views happen to answer: a row that disagrees with a page is either a wrong row or a leak, and the test says
which URL, persona, scope and method disagree.

Answers: "200", "403", "404", "405", "400"; LOGIN (302 to the login page), ADMIN_LOGIN (302 to the admin's login
page), ADMIN_INDEX (302 to the admin's index: how the Django admin answers an id it cannot find, i.e. its 404) and
REDIRECT (any other 302).

Personas (tests/security/matrix_world.py): worker_a, worker_b (social workers of areas A and B), community_leader
(of community A), staff (城管科), social_affairs_staff (社会事务科), chief (城管科 section chief), deputy (leader in
charge of 城管科), cadre, leader (street main leader), other_street_leader, system_admin, and anonymous.

"in" is a record inside the persona's scope (its own place), "out" one outside it: for a social worker another
grid area of her community (for area-level records) or another community; for a community leader community B; for
the street's staff the other street; for other_street_leader our street. A system administrator sees both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

LOGIN = "login"
ADMIN_LOGIN = "admin-login"
ADMIN_INDEX = "admin-index"
REDIRECT = "redirect"
# After deleting a record, the admin sends someone who may not change the model to its index: a success.
DELETED_TO_INDEX = "admin-index after deleting"
# What a refused request may answer; a refused request changes nothing in the database.
REFUSALS = frozenset({"400", "403", "404", "405", LOGIN, ADMIN_LOGIN, ADMIN_INDEX})

ANONYMOUS = "anonymous"
EVERYONE = frozenset(
    {
        ANONYMOUS,
        "worker_a",
        "worker_b",
        "community_leader",
        "staff",
        "social_affairs_staff",
        "chief",
        "deputy",
        "cadre",
        "leader",
        "other_street_leader",
        "system_admin",
    }
)
SIGNED_IN = EVERYONE - {ANONYMOUS}
WORKERS = frozenset({"worker_a", "worker_b"})
ADMINISTRATOR = frozenset({"system_admin"})
DEPARTMENT_STAFF = frozenset({"staff", "social_affairs_staff"})
STREET_LEADERS = frozenset({"leader", "other_street_leader"})
# Who uses the Django admin (is_staff follows the role): everyone but social workers and department staff.
ADMIN_SITE = SIGNED_IN - WORKERS - DEPARTMENT_STAFF
# Who keeps the household registry: those who walk the households.
REGISTRY_EDITORS = WORKERS | {"community_leader", "system_admin"}
IMPORTERS = frozenset({"community_leader", "system_admin"})
# Full ID numbers, disabilities, plans and subsidies: own area, community leaders, Social Affairs, street leaders.
SENSITIVE = WORKERS | {"community_leader", "social_affairs_staff", "system_admin"} | STREET_LEADERS
# Street leaders read subsidies; the others who see them record them.
SUBSIDY_RECORDERS = SENSITIVE - STREET_LEADERS
# Everyone of a street writes the diary and records opinions and meetings; an administrator has no street.
STREET_MEMBERS = SIGNED_IN - {"system_admin"}
QUOTA_REVIEWERS = frozenset({"community_leader", "chief", "deputy", "cadre", "system_admin"}) | STREET_LEADERS
SERVICE_DAY_REVIEWERS = frozenset({"chief", "deputy", "system_admin"}) | STREET_LEADERS
PLACE_REVIEWERS = SIGNED_IN - WORKERS
DISPATCHERS = frozenset({"community_leader", "chief", "deputy", "system_admin"}) | STREET_LEADERS
MEETING_REVIEWERS = frozenset({"community_leader", "deputy", "cadre", "system_admin"}) | STREET_LEADERS
REPORT_READERS = MEETING_REVIEWERS | QUOTA_REVIEWERS
# Topic meetings are held by leaders of a street (an administrator has none).
TOPIC_HOLDERS = frozenset({"deputy"}) | STREET_LEADERS
TRAIL_READERS = frozenset({"system_admin"}) | STREET_LEADERS

# Who sees the record of its own place ("in"), per kind of record.
SEES = {
    "household": SIGNED_IN,
    "resident": SIGNED_IN,
    "visit": SIGNED_IN,
    "meeting": SIGNED_IN,
    "estate": SIGNED_IN,
    "enterprise": SIGNED_IN,
    "initiative": SIGNED_IN,
    "user": SIGNED_IN,
    "assistanceplan": SENSITIVE,
    "assistancemeasure": SENSITIVE,
    "subsidy": SENSITIVE,
    "assistancepair": SENSITIVE,
    # Opinion A is of community A, routed to 城管科 (chief; deputy oversees it) and to staff; opinion B is worker_b's.
    "opinion": SIGNED_IN - {"social_affairs_staff", "cadre"},
    # The topic meeting of our street took up opinions A and B: each community sees it through its opinion.
    "topicmeeting": SIGNED_IN,
    "evaluation": frozenset({"community_leader", "chief", "deputy", "system_admin"}) | STREET_LEADERS,
    "spotcheck": frozenset({"community_leader", "staff", "social_affairs_staff", "chief", "deputy", "cadre"})
    | STREET_LEADERS
    | {"system_admin"},
    "auditentry": TRAIL_READERS,
}

Answer = Callable[[str, str], str]


def everyone(code: str) -> Answer:
    """The same answer for every persona, anonymous included, inside and outside its scope."""
    return lambda persona, variant: code


def signed_in(code: str, *, anonymous: str = LOGIN) -> Answer:
    return lambda persona, variant: anonymous if persona == ANONYMOUS else code


def page(ok: frozenset[str], *, code: str = "200", refused: str = "403", anonymous: str = LOGIN) -> Answer:
    """A page without a record: `code` for those allowed, `refused` for the others."""

    def answer(persona: str, variant: str) -> str:
        if persona == ANONYMOUS:
            return anonymous
        return code if persona in ok else refused

    return answer


def override(answer: Answer, exceptions: dict[tuple[str, str], str]) -> Answer:
    """`answer`, except for the (persona, variant) pairs given."""
    return lambda persona, variant: exceptions.get((persona, variant)) or answer(persona, variant)


def record(
    ok: frozenset[str],
    *,
    code: str = "200",
    seen: frozenset[str] = frozenset(),
    seen_code: str = "403",
    gate: frozenset[str] = SIGNED_IN,
    gate_code: str = "403",
    out_ok: frozenset[str] = frozenset({"system_admin"}),
    anonymous: str = LOGIN,
) -> Answer:
    """A page of one record: `code` inside the scope for `ok`; `seen_code` for those who see the record but may not
    do this; 404 for a record outside the scope (except for `out_ok`, who see it: the system administrator);
    `gate_code` for those the page refuses before looking at any record."""

    def answer(persona: str, variant: str) -> str:
        if persona == ANONYMOUS:
            return anonymous
        if persona not in gate:
            return gate_code
        if variant == "out" and persona not in out_ok:
            return "404"
        if persona in ok:
            return code
        if persona in seen:
            return seen_code
        return "404"

    return answer


# --- The URL patterns --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One URL pattern: the record its URL names (or its query selects), and the answers for GET and POST.

    kind: the kind of record in the world (matrix_world) the URL's converter takes, or None for a page without one.
    query: builds the query string from the record (or the persona) for in/out variants of pages without a record in
    the path, e.g. ``?household=`` of the visit log. data: builds the POST body (default: empty).
    shows: model labels a page may show to anyone who may open it (public pages), besides what visible_to allows.
    fresh_client: the request changes the client's session (logout): send it from a throwaway client.
    """

    get: Answer
    post: Answer
    kind: str | None = None
    query: Callable[[Any, str, Any], str] | None = None
    data: Callable[[Any, str, Any], dict] | None = None
    url: Callable[[Any, str, Any], str] | None = None
    level: str | None = None
    shows: frozenset[str] = frozenset()
    reveals_id_numbers: bool = False
    # A search: the token of the record that a persona who sees it must find on the answer (so that "nothing leaked"
    # is not just "nothing found").
    finds: Callable[[Any, Any], str] | None = None
    fresh_client: bool = False
    # The record only changes the POST (an admin list's bulk action): the GET is sent once, for "in".
    get_once: bool = False
    # Form fields ("Form.field") that may offer rows of the persona's whole street, beyond its own visible_to.
    street_wide_choices: frozenset[str] = frozenset()


def q(name: str) -> Callable[[Any, str, Any], str]:
    """?name=<pk of the record>."""
    return lambda world, persona, obj: f"?{name}={obj.pk}"


def token_of(obj: Any, world: Any) -> str:
    """The token the world put into a record."""
    label = obj._meta.label_lower
    return next(token for token, (lbl, pk) in world.tokens.items() if lbl == label and pk == obj.pk)


def search(name: str = "q") -> Callable[[Any, str, Any], str]:
    """?q=<the record's token>: a search that finds the record if, and only if, the persona may see it."""
    return lambda world, persona, obj: f"?{name}={token_of(obj, world)}"


def head_token(world: Any, household: Any) -> str:
    return token_of(world.objects["resident"][_place_of(world, "household", household)], world)


def estate_token(world: Any, opinion: Any) -> str:
    return token_of(opinion.estate, world)


def _place_of(world: Any, kind: str, obj: Any) -> str:
    return next(place for place, row in world.objects[kind].items() if row.pk == obj.pk)


def household_query(world: Any, persona: str, household: Any) -> str:
    """?q=<the household's room>&grid_area=<its area>: the list's search and its filter at once."""
    return f"?q={token_of(household, world)}&grid_area={household.grid_area_id}"


EVIL = "https://evil.example/steal"
GET_ONLY = signed_in("405")

CASES: dict[str, Case] = {
    # --- The site --------------------------------------------------------------------------------------------------
    "home": Case(get=signed_in("200"), post=GET_ONLY),
    "report": Case(get=page(REPORT_READERS), post=GET_ONLY, kind="community", query=q("community")),
    "report_export": Case(get=page(REPORT_READERS), post=GET_ONLY, kind="community", query=q("community")),
    "report_print": Case(get=page(REPORT_READERS), post=GET_ONLY, kind="community", query=q("community")),
    "audit_trail": Case(
        get=record(TRAIL_READERS, seen=frozenset(), gate=SIGNED_IN),
        post=GET_ONLY,
        kind="household",
        url=lambda world, persona, obj: f"/audit/household/{obj.pk}/",
    ),
    # Signed in, the login page sends her on (never to another site); a logout ends any session, then the login.
    "login": Case(
        get=signed_in(REDIRECT, anonymous="200"),
        post=signed_in(REDIRECT, anonymous="200"),
        query=lambda world, persona, obj: f"?next={EVIL}",
    ),
    "logout": Case(get=everyone("405"), post=everyone(LOGIN), fresh_client=True),
    "set_language": Case(
        get=everyone(REDIRECT),
        post=everyone(REDIRECT),
        query=lambda world, persona, obj: f"?next={EVIL}",
        fresh_client=True,
    ),
    # --- The household registry ---------------------------------------------------------------------------------
    # The list searched for a household's room, within its grid area: found (with its head) only in scope.
    "households:list": Case(
        get=signed_in("200"), post=GET_ONLY, kind="household", query=household_query, finds=head_token
    ),
    "households:create": Case(get=page(REGISTRY_EDITORS), post=page(REGISTRY_EDITORS)),
    "households:detail": Case(get=record(SEES["household"]), post=GET_ONLY, kind="household"),
    "households:edit": Case(
        get=record(REGISTRY_EDITORS, seen=SIGNED_IN),
        post=record(REGISTRY_EDITORS, seen=SIGNED_IN),
        kind="household",
    ),
    "households:move_out": Case(
        get=record(REGISTRY_EDITORS, seen=SIGNED_IN),
        post=record(REGISTRY_EDITORS, seen=SIGNED_IN),
        kind="household",
    ),
    "households:resident_create": Case(
        get=record(REGISTRY_EDITORS, seen=SIGNED_IN),
        post=record(REGISTRY_EDITORS, seen=SIGNED_IN),
        kind="household",
    ),
    "households:resident_edit": Case(
        get=record(REGISTRY_EDITORS, seen=SIGNED_IN),
        post=record(REGISTRY_EDITORS, seen=SIGNED_IN),
        kind="resident",
    ),
    "households:resident_reveal_id": Case(
        get=signed_in("405"),
        post=record(SENSITIVE, seen=SIGNED_IN),
        kind="resident",
        reveals_id_numbers=True,
    ),
    # A resident's access request: the household's community leader (or an administrator) takes its whole file,
    # with the full ID numbers when asked (each one a recorded reveal).
    "households:access_export": Case(
        get=record(IMPORTERS, seen=SIGNED_IN),
        post=record(IMPORTERS, seen=SIGNED_IN),
        kind="household",
        data=lambda world, persona, obj: {"file_format": "xlsx", "full_id_numbers": "on"},
        reveals_id_numbers=True,
    ),
    "households:export": Case(
        get=signed_in("200"), post=everyone("405"), kind="household", query=household_query, finds=head_token
    ),
    "households:import": Case(get=page(IMPORTERS), post=page(IMPORTERS)),
    "households:import_template": Case(get=page(IMPORTERS), post=everyone("405")),
    # An upload is its uploader's; an administrator may look at anyone's, but only the uploader applies it.
    "households:import_preview": Case(
        get=record(IMPORTERS, gate=IMPORTERS),
        post=override(record(IMPORTERS, code=REDIRECT, gate=IMPORTERS), {("system_admin", "out"): "403"}),
        kind="householdimport",
    ),
    "households:plan_worklist": Case(get=page(SENSITIVE), post=GET_ONLY),
    "households:plan_worklist_export": Case(get=page(SENSITIVE), post=GET_ONLY),
    "households:plan_detail": Case(get=record(SENSITIVE), post=GET_ONLY, kind="household"),
    # Every household of the world already has its plan: the page sends her to it.
    "households:plan_create": Case(
        get=record(SENSITIVE & REGISTRY_EDITORS, code=REDIRECT, seen=SENSITIVE),
        post=record(SENSITIVE & REGISTRY_EDITORS, code=REDIRECT, seen=SENSITIVE),
        kind="household",
    ),
    "households:plan_edit": Case(
        get=record(SENSITIVE & REGISTRY_EDITORS, seen=SENSITIVE),
        post=record(SENSITIVE & REGISTRY_EDITORS, seen=SENSITIVE),
        kind="household",
    ),
    "households:plan_history": Case(get=record(SENSITIVE), post=GET_ONLY, kind="household"),
    "households:plan_print": Case(get=record(SENSITIVE), post=GET_ONLY, kind="household"),
    "households:measure_add": Case(
        get=record(SENSITIVE & REGISTRY_EDITORS, seen=SENSITIVE),
        post=record(SENSITIVE & REGISTRY_EDITORS, seen=SENSITIVE),
        kind="household",
    ),
    "households:measure_status": Case(
        get=GET_ONLY,
        post=record(SENSITIVE & REGISTRY_EDITORS, code=REDIRECT, seen=SENSITIVE),
        kind="assistancemeasure",
    ),
    "households:pair_list": Case(get=signed_in("200"), post=GET_ONLY),
    "households:pair_export": Case(get=signed_in("200"), post=GET_ONLY),
    "households:pair_create": Case(
        get=record(REGISTRY_EDITORS, seen=SIGNED_IN),
        post=record(REGISTRY_EDITORS, seen=SIGNED_IN),
        kind="household",
    ),
    "households:pair_end": Case(
        get=record(REGISTRY_EDITORS, seen=SENSITIVE),
        post=record(REGISTRY_EDITORS, seen=SENSITIVE),
        kind="assistancepair",
    ),
    "households:subsidies": Case(get=record(SENSITIVE), post=GET_ONLY, kind="household"),
    # The household's private records first (404 for those who may not see them), then who records a payment.
    "households:subsidy_create": Case(
        get=record(SUBSIDY_RECORDERS, seen=SENSITIVE),
        post=record(SUBSIDY_RECORDERS, seen=SENSITIVE),
        kind="household",
    ),
    "households:subsidy_report": Case(get=page(SENSITIVE), post=GET_ONLY, kind="community", query=q("community")),
    "households:initiative_list": Case(get=signed_in("200"), post=GET_ONLY),
    "households:initiative_export": Case(get=signed_in("200"), post=GET_ONLY),
    "households:initiative_create": Case(get=page(WORKERS), post=page(WORKERS)),
    # Only her own initiative: the world's initiative of a place is its social worker's.
    "households:initiative_edit": Case(
        get=record(WORKERS, seen=SIGNED_IN), post=record(WORKERS, seen=SIGNED_IN), kind="initiative"
    ),
    # --- Visits ----------------------------------------------------------------------------------------------------
    "visits:log": Case(
        get=record(STREET_MEMBERS, gate=STREET_MEMBERS),
        post=page(STREET_MEMBERS),
        kind="household",
        query=q("household"),
    ),
    "visits:household_search": Case(
        get=signed_in("200"), post=GET_ONLY, kind="household", query=search(), finds=head_token
    ),
    # Her own diary, or (for those who review quotas) a colleague's in scope: the world's diary of a place is its
    # social worker's, so a social worker's own place is her own diary.
    "visits:diary": Case(
        get=record(QUOTA_REVIEWERS | WORKERS), post=GET_ONLY, kind="user", level="community", query=q("author")
    ),
    "visits:diary_print": Case(
        get=record(QUOTA_REVIEWERS | WORKERS), post=GET_ONLY, kind="user", level="community", query=q("author")
    ),
    "visits:diary_export": Case(
        get=record(QUOTA_REVIEWERS | WORKERS), post=GET_ONLY, kind="user", level="community", query=q("author")
    ),
    "visits:planner": Case(get=page(WORKERS), post=GET_ONLY),
    "visits:planner_export": Case(get=page(WORKERS), post=GET_ONLY),
    "visits:detail": Case(get=record(SEES["visit"]), post=GET_ONLY, kind="visit"),
    # Her own visits and those on her households (and an administrator); nobody else corrects a diary entry.
    "visits:edit": Case(
        get=record(WORKERS | ADMINISTRATOR, seen=SIGNED_IN),
        post=record(WORKERS | ADMINISTRATOR, seen=SIGNED_IN),
        kind="visit",
    ),
    "visits:quota": Case(get=page(QUOTA_REVIEWERS), post=GET_ONLY, kind="community", query=q("community")),
    "visits:quota_export": Case(get=page(QUOTA_REVIEWERS), post=GET_ONLY, kind="community", query=q("community")),
    "visits:quota_worker": Case(
        get=record(QUOTA_REVIEWERS, gate=QUOTA_REVIEWERS), post=GET_ONLY, kind="user", level="community"
    ),
    "visits:coverage": Case(get=page(QUOTA_REVIEWERS), post=GET_ONLY, kind="community", query=q("community")),
    "visits:coverage_export": Case(get=page(QUOTA_REVIEWERS), post=GET_ONLY, kind="community", query=q("community")),
    "visits:staff_estates": Case(
        get=record(QUOTA_REVIEWERS, gate=QUOTA_REVIEWERS), post=GET_ONLY, kind="user", level="community"
    ),
    "visits:service_day": Case(get=page(SERVICE_DAY_REVIEWERS), post=GET_ONLY),
    "visits:service_day_export": Case(get=page(SERVICE_DAY_REVIEWERS), post=GET_ONLY),
    "visits:places": Case(get=page(PLACE_REVIEWERS), post=GET_ONLY),
    "visits:places_export": Case(get=page(PLACE_REVIEWERS), post=GET_ONLY),
    "visits:estate_visits": Case(get=record(PLACE_REVIEWERS, gate=PLACE_REVIEWERS), post=GET_ONLY, kind="estate"),
    "visits:estate_visits_export": Case(
        get=record(PLACE_REVIEWERS, gate=PLACE_REVIEWERS), post=GET_ONLY, kind="estate"
    ),
    "visits:enterprise_visits": Case(
        get=record(PLACE_REVIEWERS, gate=PLACE_REVIEWERS), post=GET_ONLY, kind="enterprise"
    ),
    "visits:enterprise_visits_export": Case(
        get=record(PLACE_REVIEWERS, gate=PLACE_REVIEWERS), post=GET_ONLY, kind="enterprise"
    ),
    # --- Opinions, meetings, topics --------------------------------------------------------------------------------
    "feedback:list": Case(get=signed_in("200"), post=GET_ONLY, kind="opinion", query=search(), finds=estate_token),
    "feedback:export": Case(get=signed_in("200"), post=GET_ONLY, kind="opinion", query=search(), finds=estate_token),
    "feedback:mine": Case(get=signed_in("200"), post=GET_ONLY),
    "feedback:overdue": Case(get=page(DISPATCHERS | MEETING_REVIEWERS), post=GET_ONLY),
    "feedback:create": Case(
        get=record(STREET_MEMBERS, gate=STREET_MEMBERS),
        post=record(STREET_MEMBERS, gate=STREET_MEMBERS),
        kind="meeting",
        query=q("meeting"),
    ),
    "feedback:detail": Case(get=record(SEES["opinion"]), post=GET_ONLY, kind="opinion"),
    # Opinion A and B are assigned: sorting and splitting are behind them (the page sends her back to the opinion).
    "feedback:sort": Case(
        get=record(DISPATCHERS, code=REDIRECT, seen=SEES["opinion"]),
        post=record(DISPATCHERS, code=REDIRECT, seen=SEES["opinion"]),
        kind="opinion",
    ),
    "feedback:split": Case(
        get=record(DISPATCHERS, code=REDIRECT, seen=SEES["opinion"]),
        post=record(DISPATCHERS, code=REDIRECT, seen=SEES["opinion"]),
        kind="opinion",
    ),
    # A community leader routes an opinion to one of the street's leaders in charge: he picks from their names.
    "feedback:assign": Case(
        get=record(DISPATCHERS, seen=SEES["opinion"]),
        post=record(DISPATCHERS, seen=SEES["opinion"]),
        kind="opinion",
        street_wide_choices=frozenset({"AssignForm.leader_in_charge"}),
    ),
    # Start, resolve, explain: the responsible person (staff for A, worker_b for B) or a dispatcher.
    "feedback:start": Case(
        get=record(DISPATCHERS | {"staff", "worker_b"}, seen=SEES["opinion"]),
        post=record(DISPATCHERS | {"staff", "worker_b"}, seen=SEES["opinion"]),
        kind="opinion",
    ),
    "feedback:resolve": Case(
        get=record(DISPATCHERS | {"staff", "worker_b"}, code=REDIRECT, seen=SEES["opinion"]),
        post=record(DISPATCHERS | {"staff", "worker_b"}, code=REDIRECT, seen=SEES["opinion"]),
        kind="opinion",
    ),
    "feedback:explain": Case(
        get=record(DISPATCHERS | {"staff", "worker_b"}, code=REDIRECT, seen=SEES["opinion"]),
        post=record(DISPATCHERS | {"staff", "worker_b"}, code=REDIRECT, seen=SEES["opinion"]),
        kind="opinion",
    ),
    "feedback:topic_list": Case(get=signed_in("200"), post=GET_ONLY),
    "feedback:topic_export": Case(get=signed_in("200"), post=GET_ONLY),
    "feedback:topic_create": Case(get=page(TOPIC_HOLDERS), post=page(TOPIC_HOLDERS)),
    "feedback:topic_detail": Case(get=record(SEES["topicmeeting"]), post=GET_ONLY, kind="topicmeeting", level="street"),
    "feedback:meeting_list": Case(get=signed_in("200"), post=GET_ONLY),
    "feedback:meeting_export": Case(get=signed_in("200"), post=GET_ONLY),
    "feedback:meeting_create": Case(
        get=page(STREET_MEMBERS), post=page(STREET_MEMBERS), kind="community", query=q("community")
    ),
    "feedback:cadence": Case(get=page(MEETING_REVIEWERS), post=GET_ONLY),
    "feedback:cadence_export": Case(get=page(MEETING_REVIEWERS), post=GET_ONLY),
    "feedback:meeting_detail": Case(get=record(SEES["meeting"]), post=GET_ONLY, kind="meeting"),
    "feedback:meeting_edit": Case(
        get=record(STREET_MEMBERS, gate=STREET_MEMBERS),
        post=record(STREET_MEMBERS, gate=STREET_MEMBERS),
        kind="meeting",
    ),
    "feedback:figures": Case(get=page(MEETING_REVIEWERS), post=GET_ONLY),
    "feedback:figures_export": Case(get=page(MEETING_REVIEWERS), post=GET_ONLY),
    # --- Assessment ------------------------------------------------------------------------------------------------
    "assessment:three_musts": Case(get=page(QUOTA_REVIEWERS), post=GET_ONLY),
    "assessment:three_musts_export": Case(get=page(QUOTA_REVIEWERS), post=GET_ONLY),
    "assessment:scorecard": Case(get=page(QUOTA_REVIEWERS), post=GET_ONLY),
    "assessment:scorecard_export": Case(get=page(QUOTA_REVIEWERS), post=GET_ONLY),
    "assessment:verify": Case(get=page(frozenset({"community_leader"})), post=GET_ONLY),
    "assessment:verify_worker": Case(
        get=record(frozenset({"community_leader"}), gate=frozenset({"community_leader"})),
        post=GET_ONLY,
        kind="user",
        level="community",
    ),
    "assessment:verify_visit": Case(
        get=GET_ONLY,
        post=record(frozenset({"community_leader"}), code=REDIRECT, gate=frozenset({"community_leader"})),
        kind="visit",
        level="community",
    ),
    # --- Background jobs: her own; an administrator follows anyone's progress but downloads only his own ----------
    "jobs:list": Case(get=signed_in("200"), post=everyone("405")),
    "jobs:detail": Case(get=record(SIGNED_IN), post=everyone("405"), kind="job"),
    "jobs:progress": Case(get=record(SIGNED_IN), post=everyone("405"), kind="job"),
    "jobs:download": Case(get=record(SIGNED_IN, out_ok=frozenset()), post=everyone("405"), kind="job"),
    # --- The public online channel: no login; a tracking code shows its opinion's progress, never a name ------------
    # The resident picks her community from every community on the list: their names are public.
    "public:submit": Case(get=everyone("200"), post=everyone("200"), shows=frozenset({"households.community"})),
    "public:thanks": Case(get=everyone(REDIRECT), post=everyone("405")),
    "public:track": Case(
        get=everyone("200"),
        post=everyone("405"),
        query=lambda world, persona, obj: f"?code={world.objects['online_opinion']['A'].tracking_code}",
        shows=frozenset({"feedback.opinion"}),
        finds=lambda world, obj: token_of(world.objects["online_opinion"]["A"], world),
    ),
}


# --- The admin -----------------------------------------------------------------------------------------------------
# Every registered model admin gets the same six URL patterns (changelist, add, history, delete, change and the
# bare-id redirect). Its row says who holds which model permission (wenxin/roles.py ROLE_PERMISSIONS, narrowed by the
# model admin's own rules: read-only trails, nothing deleted ...) and who sees the world's record of its own place.

A7 = ADMIN_SITE
OFFICE_DATA = ADMINISTRATOR | STREET_LEADERS
NOBODY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AdminModel:
    """One model admin: its record in the world and who may view, add, change and delete."""

    kind: str
    view: frozenset[str] = A7
    add: frozenset[str] = NOBODY
    change: frozenset[str] = NOBODY
    delete: frozenset[str] = NOBODY
    # Who sees the record of its own place (get_queryset); default: everyone who may view the model.
    sees: frozenset[str] | None = None
    # Who may change that record (object-level rules), default: everyone with the change permission who sees it.
    changes_record: frozenset[str] | None = None
    # Whether the changelist offers actions (delete_selected needs the delete permission; custom actions their own).
    actions: frozenset[str] | None = None


SENSITIVE_ADMIN = SENSITIVE & A7
REGISTRY_ADMIN = frozenset({"community_leader", "system_admin"})

ADMIN_MODELS: dict[str, AdminModel] = {
    "wenxin.user": AdminModel("user", add=ADMINISTRATOR, change=ADMINISTRATOR),
    "wenxin.department": AdminModel("department", add=ADMINISTRATOR, change=ADMINISTRATOR),
    "wenxin.auditentry": AdminModel("auditentry", view=TRAIL_READERS, sees=TRAIL_READERS),
    "auditlog.logentry": AdminModel("logentry", view=TRAIL_READERS, sees=TRAIL_READERS),
    "auth.group": AdminModel("group", view=ADMINISTRATOR, sees=A7),
    "households.street": AdminModel("street", add=ADMINISTRATOR, change=ADMINISTRATOR),
    "households.community": AdminModel("community", add=ADMINISTRATOR, change=ADMINISTRATOR),
    "households.propertycompany": AdminModel("propertycompany", add=ADMINISTRATOR, change=ADMINISTRATOR),
    "households.estate": AdminModel("estate", add=ADMINISTRATOR, change=ADMINISTRATOR),
    "households.ownerscommittee": AdminModel("ownerscommittee", add=ADMINISTRATOR, change=ADMINISTRATOR),
    "households.gridarea": AdminModel("gridarea", add=ADMINISTRATOR, change=ADMINISTRATOR),
    "households.enterprise": AdminModel("enterprise", add=ADMINISTRATOR, change=ADMINISTRATOR),
    "households.pairedvillage": AdminModel("pairedvillage", add=ADMINISTRATOR, change=ADMINISTRATOR),
    "households.householdcategory": AdminModel("householdcategory", add=ADMINISTRATOR, change=ADMINISTRATOR),
    "households.resident": AdminModel("resident", add=REGISTRY_ADMIN, change=REGISTRY_ADMIN),
    # Households are archived by an action (those who change them), never deleted.
    "households.household": AdminModel("household", add=REGISTRY_ADMIN, change=REGISTRY_ADMIN, actions=REGISTRY_ADMIN),
    # An upload is seen by its uploader (everyone's own is the "in" record) and by administrators.
    "households.householdimport": AdminModel("householdimport", view=REGISTRY_ADMIN, sees=A7),
    "households.assistanceplan": AdminModel(
        "assistanceplan", view=SENSITIVE_ADMIN, change=REGISTRY_ADMIN, sees=SENSITIVE_ADMIN
    ),
    "households.assistancepair": AdminModel("assistancepair", view=SENSITIVE_ADMIN, sees=SENSITIVE_ADMIN),
    "households.subsidy": AdminModel("subsidy", view=SENSITIVE_ADMIN, add=REGISTRY_ADMIN, sees=SENSITIVE_ADMIN),
    "households.initiative": AdminModel("initiative", view=SENSITIVE_ADMIN, sees=A7),
    # A visit is changed in the admin by its author (worker_a's visit: nobody here) or an administrator.
    "visits.visit": AdminModel("visit", add=A7, change=A7, changes_record=ADMINISTRATOR),
    "visits.quotarule": AdminModel("quotarule", add=ADMINISTRATOR, change=ADMINISTRATOR, delete=ADMINISTRATOR),
    "visits.servicedayrule": AdminModel("servicedayrule", add=OFFICE_DATA, change=OFFICE_DATA),
    "visits.servicedaymove": AdminModel("servicedaymove", add=OFFICE_DATA, change=OFFICE_DATA, delete=OFFICE_DATA),
    "feedback.meetingkind": AdminModel("meetingkind", add=OFFICE_DATA, change=OFFICE_DATA),
    "feedback.opinioncategory": AdminModel("opinioncategory", add=OFFICE_DATA, change=OFFICE_DATA),
    "feedback.meeting": AdminModel("meeting"),
    "feedback.opinion": AdminModel("opinion", sees=SEES["opinion"] & A7),
    "feedback.topicmeeting": AdminModel("topicmeeting", sees=SEES["topicmeeting"] & A7),
    # Spot-checks: the street's leaders, chiefs and leaders in charge; a community leader his community's (he may
    # run one of his own staff's visits). Only the checker (the street leader for ours) changes one; cadres are the
    # checked, not the checkers; a section chief outside Social Affairs runs none. The list draws samples.
    "assessment.spotcheck": AdminModel(
        "spotcheck",
        view=A7 - {"cadre"},
        add=frozenset({"community_leader", "deputy", "system_admin"}) | STREET_LEADERS,
        change=A7 - {"cadre"},
        sees=SEES["spotcheck"] & A7,
        changes_record=OFFICE_DATA,
        actions=A7 - {"cadre"},
    ),
    "assessment.spotcheckitem": AdminModel("spotcheckitem", view=A7 - {"cadre"}, sees=SEES["spotcheck"] & A7),
    "assessment.visitverification": AdminModel("visitverification", view=A7 - {"cadre"}, sees=A7),
    "assessment.cadrelink": AdminModel("cadrelink", add=OFFICE_DATA, change=OFFICE_DATA, delete=OFFICE_DATA),
    "assessment.assessmentrule": AdminModel("assessmentrule", add=OFFICE_DATA, change=OFFICE_DATA),
    "assessment.evaluation": AdminModel(
        "evaluation",
        add=frozenset({"community_leader", "deputy", "system_admin"}) | STREET_LEADERS,
        sees=SEES["evaluation"] & A7,
    ),
    # The task queue is for the machine's administrator (a superuser). The lockout records are read by system
    # administrators, who unlock a locked-out colleague by deleting the attempt.
    "django_tasks_database.dbtaskresult": AdminModel("dbtaskresult", view=NOBODY, sees=A7),
    "axes.accessattempt": AdminModel("accessattempt", view=ADMINISTRATOR, delete=ADMINISTRATOR, sees=A7),
    "axes.accesslog": AdminModel("accesslog", view=ADMINISTRATOR, sees=A7),
    "axes.accessfailurelog": AdminModel("accessfailurelog", view=ADMINISTRATOR, sees=A7),
}

ADMIN_ACTIONS = ("changelist", "add", "history", "delete", "change", "redirect")


def admin_answers(model: AdminModel, action: str, method: str) -> Answer:
    """What each persona gets from one of a model admin's pages, derived from its row."""
    viewers = model.view | model.change
    sees = viewers if model.sees is None else model.sees
    changes_record = (model.change if model.changes_record is None else model.changes_record) & sees
    actions = model.delete if model.actions is None else model.actions | model.delete

    def answer(persona: str, variant: str) -> str:
        if persona not in A7:
            return ADMIN_LOGIN
        sees_it = persona in sees if variant == "in" else persona == "system_admin"
        if action == "redirect":
            return REDIRECT
        if action == "changelist":
            if persona not in viewers:
                return "403"
            if method == "GET":
                return "200"
            return REDIRECT if persona in actions else "200"
        if action == "add":
            return "200" if persona in model.add else "403"
        if action == "history":
            if not sees_it:
                return ADMIN_INDEX
            return "200" if persona in viewers else "403"
        if action == "delete":
            if persona not in model.delete:
                return "403"
            if not sees_it:
                return ADMIN_INDEX
            if method == "GET":
                return "200"
            # Deleted: back to the list, or to the index for someone who may not change the model.
            return REDIRECT if persona in model.change else DELETED_TO_INDEX
        # change
        if method == "GET":
            if persona not in viewers:
                return "403"
            return "200" if sees_it else ADMIN_INDEX
        if persona not in model.change:
            return "403"
        if not sees_it:
            return ADMIN_INDEX
        return "200" if persona in changes_record or variant == "out" else "403"

    return answer


def admin_login_page(persona: str, variant: str) -> str:
    return ADMIN_INDEX if persona in A7 else "200"


def job_redirect(persona: str, variant: str) -> str:
    """The "view on site" link of a background job (the only record with a page of its own): for its owner and for
    administrators, who follow every job; another's job answers as a missing one."""
    if persona not in A7:
        return ADMIN_LOGIN
    return REDIRECT if variant == "in" or persona == "system_admin" else "404"


def user_password(persona: str, variant: str) -> str:
    if persona not in A7:
        return ADMIN_LOGIN
    return "200" if persona == "system_admin" else "403"


VIEW_ON_SITE = Case(
    get=job_redirect,
    post=job_redirect,
    kind="job",
    url=lambda world, persona, obj: f"/admin/r/{world.content_type_id(obj)}/{obj.pk}/",
)


CASES.update(
    {
        "admin:index": Case(
            get=page(A7, refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN),
            post=page(A7, refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN),
        ),
        "admin:login": Case(
            get=admin_login_page,
            post=everyone("200"),
            query=lambda world, persona, obj: f"?next={EVIL}",
        ),
        # Logging out takes a POST; someone without the admin is sent to its index (and from there to its login).
        "admin:logout": Case(
            get=page(A7, code="405", refused=ADMIN_INDEX, anonymous=ADMIN_INDEX),
            post=page(A7, code=LOGIN, refused=ADMIN_INDEX, anonymous=ADMIN_INDEX),
            fresh_client=True,
        ),
        "admin:password_change": Case(
            get=page(A7, refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN),
            post=page(A7, refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN),
        ),
        "admin:password_change_done": Case(
            get=page(A7, refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN),
            post=page(A7, code="405", refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN),
        ),
        "admin:jsi18n": Case(
            get=page(A7, refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN),
            post=page(A7, code="405", refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN),
        ),
        # Autocomplete of an estate (the household form's): a search for the record's name finds it only in scope.
        "admin:autocomplete": Case(
            get=page(A7, refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN),
            post=page(A7, code="405", refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN),
            kind="estate",
            query=lambda world, persona, obj: (
                "?app_label=households&model_name=household&field_name=estate&term=" + token_of(obj, world)
            ),
        ),
        # Django's "view on site" URL is shadowed by wenxin.admin_views.view_on_site, declared before the admin.
        "admin:view_on_site": VIEW_ON_SITE,
        "admin_view_on_site": VIEW_ON_SITE,
        "admin:app_list": Case(
            get=page(A7, refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN),
            post=page(A7, refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN),
            url=lambda world, persona, obj: "/admin/households/",
        ),
        "admin/(?P<url>.*)$": Case(
            get=page(A7, code="404", refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN),
            post=page(A7, code="404", refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN),
            url=lambda world, persona, obj: "/admin/no-such-page/",
        ),
        # A user's password: only those who change users (the administrator, who sees every user).
        "admin:auth_user_password_change": Case(
            get=user_password,
            post=user_password,
            kind="user",
            url=lambda world, persona, obj: f"/admin/wenxin/user/{obj.pk}/password/",
        ),
    }
)
