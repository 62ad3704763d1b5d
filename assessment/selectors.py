"""Reads of the assessment: three-musts compliance, verification shares, spot-check results, the scorecard.

Each starts from visible_to(viewer) and groups in the database, so the number of queries does not grow with the
number of people, units or visits.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from assessment.models import (
    DEFAULT_THREE_MUSTS_MONTHS,
    AssessmentRule,
    CadreLink,
    Evaluation,
    SpotCheckItem,
    VisitVerification,
)
from households.models import Community, Estate, OwnersCommittee
from visits.models import Visit
from visits.periods import Quarter, period_containing
from visits.selectors import households_visited, quota_targets
from wenxin.models import Department, User
from wenxin.roles import Role
from wenxin.text import join_list

SCORED_ROLES = (Role.SOCIAL_WORKER, Role.CADRE, Role.DEPARTMENT_STAFF, Role.SECTION_CHIEF)


def periods_touching(
    start: datetime.date, end: datetime.date, months: int
) -> list[tuple[datetime.date, datetime.date]]:
    """The calendar-aligned periods of `months` months that overlap start..end, in order."""
    periods = []
    day = start
    while day <= end:
        period = period_containing(day, months)
        periods.append((period.start, period.end))
        day = period.end + datetime.timedelta(days=1)
    return periods


def rule_for(street_id: int | None) -> AssessmentRule:
    """The street's assessment rule, or the defaults when the office has not set one."""
    rule = AssessmentRule.objects.filter(street_id=street_id).first() if street_id else None
    return rule or AssessmentRule(street_id=street_id, three_musts_months=DEFAULT_THREE_MUSTS_MONTHS)


# --- Three musts ------------------------------------------------------------------------------------------------


class Must:
    PLACE = "place"
    OWNERS_COMMITTEE = "owners_committee"
    PROPERTY_COMPANY = "property_company"
    LABELS = {
        PLACE: _("联系村社（小区）"),
        OWNERS_COMMITTEE: _("业委会"),
        PROPERTY_COMPANY: _("物业"),
    }


@dataclass
class ThreeMustsRow:
    """One cadre's link in a period: for each must, visited (True), not yet (False) or nothing to visit (None)."""

    link: CadreLink
    musts: dict[str, bool | None]

    @property
    def missing(self) -> list[str]:
        return [str(Must.LABELS[m]) for m, done in self.musts.items() if done is False]

    @property
    def missing_text(self) -> str:
        return join_list(self.missing)

    @property
    def met(self) -> int:
        return sum(1 for done in self.musts.values() if done)

    @property
    def applicable(self) -> int:
        return sum(1 for done in self.musts.values() if done is not None)

    @property
    def complete(self) -> bool:
        return not self.missing


def _visits_of(user_ids: list[int], start: datetime.date, end: datetime.date, kinds) -> QuerySet[Visit]:
    """Visits in start..end of the given kinds in which one of the users took part, as visitor or companion."""
    return Visit.objects.filter(
        Q(visitor__in=user_ids) | Q(companions__in=user_ids), kind__in=kinds, visited_on__gte=start, visited_on__lte=end
    )


def three_musts(
    *, viewer: User, start: datetime.date, end: datetime.date, cadre: User | None = None
) -> list[ThreeMustsRow]:
    """Every cadre link in the viewer's scope active in start..end, with which of its three musts were visited.

    Four queries: the links, the visits (with their companions), the estates' property companies, the owners'
    committees.
    """
    links = (
        CadreLink.objects.visible_to(viewer)
        .filter(starts_on__lte=end)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=start))
        .select_related("cadre", "community", "estate")
        .order_by("cadre__full_name", "cadre__username", "community__name", "estate__name", "pk")
    )
    if cadre is not None:
        links = links.filter(cadre=cadre)
    links = list(links)
    if not links:
        return []
    cadre_ids = sorted({link.cadre_id for link in links})
    community_ids = {link.community_id for link in links}
    kinds = (Visit.Kind.LEADERSHIP, Visit.Kind.ESTATE, Visit.Kind.OWNERS_COMMITTEE, Visit.Kind.PROPERTY_COMPANY)
    visits = _visits_of(cadre_ids, start, end, kinds).distinct()
    # What each cadre visited: (kind, id) of communities, estates, owners' committees and property companies.
    seen: dict[int, set[tuple[str, int]]] = defaultdict(set)
    rows = visits.values_list(
        "visitor_id",
        "companions",
        "target_community_id",
        "estate_id",
        "estate__community_id",
        "owners_committee__estate_id",
        "owners_committee__estate__community_id",
        "property_company_id",
    )
    for visitor_id, companion_id, community_id, estate_id, estate_community, oc_estate, oc_community, pc_id in rows:
        for person in {visitor_id, companion_id} - {None}:
            if community_id:
                seen[person].add(("community", community_id))
            if estate_id:
                seen[person].update({("estate", estate_id), ("estate_community", estate_community)})
            if oc_estate:
                seen[person].update({("oc_estate", oc_estate), ("oc_community", oc_community)})
            if pc_id:
                seen[person].add(("pc", pc_id))
    estates = Estate.objects.filter(community_id__in=community_ids).values_list(
        "pk", "community_id", "property_company_id"
    )
    pc_of_estate = {pk: pc for pk, _community, pc in estates}
    pcs_of_community: dict[int, set[int]] = defaultdict(set)
    for _pk, community_id, pc in estates:
        if pc:
            pcs_of_community[community_id].add(pc)
    committees = OwnersCommittee.objects.filter(estate__community_id__in=community_ids).values_list(
        "estate_id", "estate__community_id"
    )
    estates_with_oc = {estate for estate, _community in committees}
    communities_with_oc = {community for _estate, community in committees}

    result = []
    for link in links:
        did = seen[link.cadre_id]
        if link.estate_id:
            place = ("estate", link.estate_id) in did or ("community", link.community_id) in did
            oc = (("oc_estate", link.estate_id) in did) if link.estate_id in estates_with_oc else None
            pc_id = pc_of_estate.get(link.estate_id)
            pc = (("pc", pc_id) in did) if pc_id else None
        else:
            place = ("community", link.community_id) in did or ("estate_community", link.community_id) in did
            oc = (("oc_community", link.community_id) in did) if link.community_id in communities_with_oc else None
            pcs = pcs_of_community.get(link.community_id, set())
            pc = any(("pc", p) in did for p in pcs) if pcs else None
        result.append(
            ThreeMustsRow(link=link, musts={Must.PLACE: place, Must.OWNERS_COMMITTEE: oc, Must.PROPERTY_COMPANY: pc})
        )
    return result


# --- Verification and spot-check results -------------------------------------------------------------------------


@dataclass
class VerificationShare:
    visits: int = 0
    verified: int = 0
    queried: int = 0

    @property
    def percent(self) -> int | None:
        """Rounded half up like the scorecard (Python's round() would make 12.5 % into 12)."""
        if not self.visits:
            return None
        return int((Decimal(100 * self.verified) / self.visits).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def verification_shares(
    *, workers: list[User], start: datetime.date, end: datetime.date
) -> dict[int, VerificationShare]:
    """For each worker, her household visits in start..end and how many her community leader verified or queried."""
    rows = (
        Visit.objects.household_visits()
        .in_period(start, end)
        .filter(visitor__in=[w.pk for w in workers])
        .values("visitor_id")
        .annotate(
            total=Count("pk"),
            verified=Count("pk", filter=Q(verification__status=VisitVerification.Status.VERIFIED)),
            queried=Count("pk", filter=Q(verification__status=VisitVerification.Status.QUERIED)),
        )
        .order_by()
    )
    shares = {w.pk: VerificationShare() for w in workers}
    for row in rows:
        shares[row["visitor_id"]] = VerificationShare(row["total"], row["verified"], row["queried"])
    return shares


@dataclass
class SpotCheckTally:
    confirmed: int = 0
    not_confirmed: int = 0
    discrepancy: int = 0

    @property
    def checked(self) -> int:
        return self.confirmed + self.not_confirmed + self.discrepancy

    @property
    def score(self) -> Decimal | None:
        """Confirmed counts in full, a discrepancy half, not confirmed nothing; out of 100."""
        if not self.checked:
            return None
        return _round(Decimal(100) * (self.confirmed + Decimal("0.5") * self.discrepancy) / self.checked)


def _sum_tallies(tallies) -> SpotCheckTally:
    total = SpotCheckTally()
    for tally in tallies:
        total.confirmed += tally.confirmed
        total.not_confirmed += tally.not_confirmed
        total.discrepancy += tally.discrepancy
    return total


def spot_check_tallies(*, people: list[User], start: datetime.date, end: datetime.date) -> dict[int, SpotCheckTally]:
    """Per person, the results of spot-checks of her visits made in start..end."""
    rows = (
        SpotCheckItem.objects.exclude(result="")
        .filter(visit__visitor__in=[p.pk for p in people], visit__visited_on__gte=start, visit__visited_on__lte=end)
        .values("visit__visitor_id", "result")
        .annotate(n=Count("pk"))
        .order_by()
    )
    tallies = {p.pk: SpotCheckTally() for p in people}
    for row in rows:
        setattr(tallies[row["visit__visitor_id"]], row["result"], row["n"])
    return tallies


# --- The scorecard ----------------------------------------------------------------------------------------------

COMPONENTS = (
    ("quota", "weight_quota", _("走访指标")),
    ("three_musts", "weight_three_musts", _("三必到")),
    ("spot_checks", "weight_spot_checks", _("抽查")),
    ("verification", "weight_verification", _("核实")),
    ("public_rating", "weight_public_rating", _("群众民意测评")),
    ("mutual", "weight_mutual", _("街社双向互评")),
    ("performance", "weight_performance", _("实际绩效点评")),
)


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def weighted_total(parts: dict[str, Decimal | None], rule: AssessmentRule) -> Decimal | None:
    """The weighted mean of the parts that apply (None parts are left out and the weights renormalised)."""
    total = Decimal(0)
    weights = 0
    for key, weight_field, _label in COMPONENTS:
        value = parts.get(key)
        weight = getattr(rule, weight_field)
        if value is None or not weight:
            continue
        total += value * weight
        weights += weight
    return _round(total / weights) if weights else None


@dataclass
class ScoreRow:
    """One person's or unit's quarter: every part out of 100 (None where it does not apply) and the total."""

    subject: object
    kind: str  # "person", "community" or "department"
    parts: dict[str, Decimal | None]
    total: Decimal | None

    @property
    def type_label(self) -> str:
        if self.kind == "person":
            return str(self.subject.get_role_display())
        return str(self.subject.get_kind_display()) if self.kind == "community" else str(_("科室"))

    @property
    def unit_name(self) -> str:
        if self.kind != "person":
            return ""
        unit = self.subject.community or self.subject.department
        return unit.name if unit else ""


def _mean(values: list[Decimal]) -> Decimal | None:
    return _round(sum(values, Decimal(0)) / len(values)) if values else None


def scorecard(*, viewer: User, quarter: Quarter) -> tuple[list[ScoreRow], list[ScoreRow]]:
    """Every scored person and unit in the viewer's scope for a quarter: (people, units).

    A bounded number of queries: the people, targets, visits, verifications, spot-checks, three musts and
    evaluations are each read once for everyone.
    """
    start, end = quarter.start, quarter.end
    rule = rule_for(viewer.street_id)
    people = list(
        User.objects.visible_to(viewer)
        .filter(role__in=SCORED_ROLES, is_active=True)
        .select_related("community", "department")
        .order_by("role", "community__name", "department__name", "full_name", "username")
    )
    workers = [p for p in people if p.role == Role.SOCIAL_WORKER]
    targets = quota_targets(workers)
    visited = households_visited(workers=workers, start=start, end=end)
    verification = verification_shares(workers=workers, start=start, end=end)
    tallies = spot_check_tallies(people=people, start=start, end=end)
    # The three musts are owed per the street's period, not per quarter: every period touching the quarter counts
    # (a monthly rule asks three times, a yearly one once); at most three periods, so still a bounded read.
    musts_by_cadre: dict[int, list[ThreeMustsRow]] = defaultdict(list)
    for period_start, period_end in periods_touching(start, end, rule.three_musts_months):
        for row in three_musts(viewer=viewer, start=period_start, end=period_end):
            musts_by_cadre[row.link.cadre_id].append(row)
    evaluations = list(
        Evaluation.objects.visible_to(viewer)
        .filter(year=quarter.year, quarter=quarter.number)
        .values_list("kind", "person_id", "community_id", "department_id", "score")
    )
    scores: dict[tuple[str, str, int], list[Decimal]] = defaultdict(list)
    for kind, person_id, community_id, department_id, score in evaluations:
        subject = (
            ("person", person_id)
            if person_id
            else ("community", community_id)
            if community_id
            else (
                "department",
                department_id,
            )
        )
        scores[(kind, *subject)].append(score)

    person_rows = []
    quota_parts: dict[int, Decimal] = {}
    for person in people:
        parts: dict[str, Decimal | None] = dict.fromkeys(key for key, _w, _l in COMPONENTS)
        if person.role == Role.SOCIAL_WORKER and targets.get(person.pk):
            parts["quota"] = _round(Decimal(100) * min(visited[person.pk], targets[person.pk]) / targets[person.pk])
            quota_parts[person.pk] = parts["quota"]
        links = musts_by_cadre.get(person.pk, [])
        applicable = sum(r.applicable for r in links)
        if applicable:
            parts["three_musts"] = _round(Decimal(100) * sum(r.met for r in links) / applicable)
        parts["spot_checks"] = tallies[person.pk].score
        if person.role == Role.SOCIAL_WORKER and verification[person.pk].visits:
            share = verification[person.pk]
            parts["verification"] = _round(Decimal(100) * share.verified / share.visits)
        parts["public_rating"] = _mean(scores.get((Evaluation.Kind.PUBLIC_RATING, "person", person.pk), []))
        parts["performance"] = _mean(scores.get((Evaluation.Kind.PERFORMANCE, "person", person.pk), []))
        person_rows.append(ScoreRow(subject=person, kind="person", parts=parts, total=weighted_total(parts, rule)))

    unit_rows = []
    for community in Community.objects.visible_to(viewer).order_by("kind", "name"):
        members = [p for p in workers if p.community_id == community.pk]
        tally = _sum_tallies(tallies[p.pk] for p in members)
        share = VerificationShare()
        for p in members:
            share.visits += verification[p.pk].visits
            share.verified += verification[p.pk].verified
        parts = dict.fromkeys(key for key, _w, _l in COMPONENTS)
        parts["quota"] = _mean([quota_parts[p.pk] for p in members if p.pk in quota_parts])
        parts["spot_checks"] = tally.score
        parts["verification"] = _round(Decimal(100) * share.verified / share.visits) if share.visits else None
        for kind, key in (
            (Evaluation.Kind.PUBLIC_RATING, "public_rating"),
            (Evaluation.Kind.MUTUAL, "mutual"),
            (Evaluation.Kind.PERFORMANCE, "performance"),
        ):
            parts[key] = _mean(scores.get((kind, "community", community.pk), []))
        unit_rows.append(ScoreRow(subject=community, kind="community", parts=parts, total=weighted_total(parts, rule)))
    for department in Department.objects.visible_to(viewer).order_by("name"):
        members = [p for p in people if p.department_id == department.pk]
        tally = _sum_tallies(tallies[p.pk] for p in members)
        parts = dict.fromkeys(key for key, _w, _l in COMPONENTS)
        parts["spot_checks"] = tally.score
        parts["mutual"] = _mean(scores.get((Evaluation.Kind.MUTUAL, "department", department.pk), []))
        parts["performance"] = _mean(scores.get((Evaluation.Kind.PERFORMANCE, "department", department.pk), []))
        unit_rows.append(
            ScoreRow(subject=department, kind="department", parts=parts, total=weighted_total(parts, rule))
        )
    return person_rows, unit_rows
