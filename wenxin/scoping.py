"""Who sees what: the single decision every visible_to(user) queryset method delegates to."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Q

# Matches nothing; Django answers it without touching the database.
NOTHING = Q(pk__in=[])


def scope_q(user, *, street: str, community: str | None = None, grid_area: str | None = None) -> Q:
    """The filter of the rows `user` may see, given the lookup paths from a model to its place.

    street: path to the Street (``"pk"`` on Street itself). community: path to the Community, or None for
    street-level registry entries that every member of the street may see. grid_area: path to the GridArea,
    or None where a social worker sees her whole community (estates, colleagues).

    Street-wide roles see their street; community leaders their community; social workers their own grid
    areas; system administrators everything. Anyone else, or anyone without a place, sees nothing.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.sees_everything:
        return Q()
    if not user.street_id:
        return NOTHING
    in_street = Q(**{street: user.street_id})
    if user.sees_whole_street:
        return in_street
    if user.is_community_scoped or user.is_social_worker:
        if community is None:
            return in_street
        if not user.community_id:
            return NOTHING
        if user.is_social_worker and grid_area is not None:
            grid_area_model = apps.get_model("households", "GridArea")
            own_areas = grid_area_model.objects.filter(workers=user).values("pk")
            return Q(**{f"{grid_area}__in": own_areas})
        return Q(**{community: user.community_id})
    return NOTHING
