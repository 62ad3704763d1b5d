"""Routing: a community leader sorts a forum's opinion to a department, and its leader in charge assigns it."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from feedback import services
from feedback.models import Opinion
from tests.factories import DepartmentFactory, OpinionFactory, StreetFactory, opinion_category

pytestmark = pytest.mark.django_db


def test_an_opinion_routed_to_a_department_reaches_its_leader_in_charge(
    places, community_leader, deputy, staff, social_affairs_staff
):
    opinion = OpinionFactory(community=places.community_a)
    assert not Opinion.objects.visible_to(deputy).filter(pk=opinion.pk).exists()

    services.opinion_sort(
        actor=community_leader, opinion=opinion, category=opinion_category("市容市貌"), department=places.department
    )

    assert Opinion.objects.visible_to(deputy).filter(pk=opinion.pk).exists()
    due = timezone.localdate() + datetime.timedelta(days=14)
    services.opinion_assign(actor=deputy, opinion=opinion, responsible=staff, due_on=due)
    opinion.refresh_from_db()
    assert (opinion.status, opinion.responsible, opinion.department) == ("assigned", staff, places.department)

    # Reassigning without naming the department again keeps it, so the deputy keeps his sight of it.
    services.opinion_assign(actor=deputy, opinion=opinion, responsible=social_affairs_staff, due_on=due)
    opinion.refresh_from_db()
    assert opinion.department == places.department
    assert Opinion.objects.visible_to(deputy).filter(pk=opinion.pk).exists()


def test_a_department_of_another_street_is_refused_and_nothing_changes(places, community_leader):
    opinion = OpinionFactory(community=places.community_a)
    elsewhere = DepartmentFactory(street=StreetFactory(name="翠苑街道"), name="城管科")

    with pytest.raises(ValidationError) as error:
        services.opinion_sort(
            actor=community_leader, opinion=opinion, category=opinion_category(), department=elsewhere
        )

    assert "department" in error.value.message_dict
    opinion.refresh_from_db()
    assert (opinion.status, opinion.category, opinion.department) == ("new", None, None)
    assert not opinion.events.exclude(from_status="").exists()
