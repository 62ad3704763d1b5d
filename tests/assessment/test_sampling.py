"""The spot-check sample: random, yet the same again from its stored seed; of the asked size; every person in it."""

from __future__ import annotations

import datetime
import math

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessment import services
from assessment.models import SpotCheck, SpotCheckItem
from tests.factories import EstateFactory, UserFactory, VisitFactory
from visits.models import Visit
from wenxin.models import AuditEntry
from wenxin.roles import Role

SEEDS = range(40)
START, END = datetime.date(2026, 7, 1), datetime.date(2026, 9, 30)

# Five people with 1, 2, 5, 8 and 13 visits: uneven on purpose, so a plain random draw would often miss someone.
POPULATION = {
    person: list(range(100 * person, 100 * person + count))
    for person, count in zip((11, 12, 13, 14, 15), (1, 2, 5, 8, 13), strict=True)
}
TOTAL = sum(len(ids) for ids in POPULATION.values())


def people_in(sample: list[int]) -> set[int]:
    return {person for person, ids in POPULATION.items() if set(ids) & set(sample)}


# --- draw_sample and sample_size ----------------------------------------------------------------------------------


def test_the_same_seed_and_population_give_the_same_sample():
    for seed in SEEDS:
        assert services.draw_sample(POPULATION, size=9, seed=seed) == services.draw_sample(
            POPULATION, size=9, seed=seed
        )


def test_the_order_the_population_comes_in_does_not_change_the_sample():
    # The database returns rows in no promised order; the draw must not depend on it.
    shuffled = {person: list(reversed(ids)) for person, ids in reversed(list(POPULATION.items()))}
    for seed in SEEDS:
        assert services.draw_sample(shuffled, size=9, seed=seed) == services.draw_sample(POPULATION, size=9, seed=seed)


def test_other_seeds_give_other_samples():
    samples = {tuple(services.draw_sample(POPULATION, size=9, seed=seed)) for seed in SEEDS}
    assert len(samples) > len(SEEDS) // 2


@pytest.mark.parametrize("size", [1, 5, 9, TOTAL - 1, TOTAL])
def test_the_sample_has_the_asked_size_and_every_person_in_it(size):
    for seed in SEEDS:
        sample = services.draw_sample(POPULATION, size=size, seed=seed)
        assert len(sample) == max(size, len(POPULATION))
        assert len(set(sample)) == len(sample)
        assert set(sample) <= {i for ids in POPULATION.values() for i in ids}
        assert people_in(sample) == set(POPULATION)


def test_the_sample_is_never_larger_than_the_population():
    for seed in SEEDS:
        assert sorted(services.draw_sample(POPULATION, size=TOTAL + 50, seed=seed)) == sorted(
            i for ids in POPULATION.values() for i in ids
        )


def test_a_person_without_visits_is_left_out():
    for seed in SEEDS:
        sample = services.draw_sample({**POPULATION, 99: []}, size=5, seed=seed)
        assert len(sample) == 5 and people_in(sample) == set(POPULATION)


@pytest.mark.parametrize(
    ("mode", "value", "population", "people", "expected"),
    [
        (SpotCheck.SampleMode.COUNT, 10, 29, 5, 10),
        (SpotCheck.SampleMode.COUNT, 2, 29, 5, 5),  # never below one per person
        (SpotCheck.SampleMode.COUNT, 50, 29, 5, 29),  # never above the population
        (SpotCheck.SampleMode.PERCENT, 10, 29, 2, 3),  # 2.9 rounds up
        (SpotCheck.SampleMode.PERCENT, 10, 30, 2, 3),  # exactly 3
        (SpotCheck.SampleMode.PERCENT, 1, 29, 1, 1),  # 0.29 rounds up to one
        (SpotCheck.SampleMode.PERCENT, 7, 100, 1, 7),
        (SpotCheck.SampleMode.PERCENT, 10, 29, 5, 5),  # one per person beats the share
        (SpotCheck.SampleMode.PERCENT, 100, 29, 5, 29),
    ],
)
def test_the_sample_size_is_the_count_or_the_share_rounded_up(mode, value, population, people, expected):
    assert services.sample_size(mode=mode, value=value, population=population, people=people) == expected


def test_the_percent_size_is_the_ceiling_for_every_population():
    for population in range(1, 301):
        for value in (1, 3, 7, 10, 33, 50, 99):
            size = services.sample_size(mode=SpotCheck.SampleMode.PERCENT, value=value, population=population, people=1)
            assert size == max(1, math.ceil(population * value / 100))
            assert size * 100 >= population * value > (size - 1) * 100 or size == 1


# --- spot_check_draw ----------------------------------------------------------------------------------------------


@pytest.fixture
def cadres(places):
    return [
        UserFactory(username=f"cadre{n}", role=Role.CADRE, street=places.street, full_name=f"干部{n}") for n in range(3)
    ]


def cadre_visit(cadre, *, on: datetime.date, estate) -> Visit:
    return VisitFactory(
        household=None, kind=Visit.Kind.ESTATE, estate=estate, visitor=cadre, visited_on=on, community=estate.community
    )


@pytest.fixture
def cadre_visits(places, cadres):
    """In the third quarter: 1, 3 and 6 visits; plus visits before and after it that must not be drawn."""
    visits = {}
    for cadre, count in zip(cadres, (1, 3, 6), strict=True):
        visits[cadre.pk] = [
            cadre_visit(cadre, on=START + datetime.timedelta(days=9 * n), estate=places.estate_a).pk
            for n in range(count)
        ]
    cadre_visit(cadres[0], on=START - datetime.timedelta(days=1), estate=places.estate_a)
    cadre_visit(cadres[0], on=END + datetime.timedelta(days=1), estate=places.estate_b)
    return visits


def create(checker, **fields):
    defaults = {"level": SpotCheck.Level.CADRE, "period_start": START, "period_end": END, "sample_value": 4}
    return services.spot_check_create(checker=checker, **{**defaults, **fields})


def test_the_draw_stores_the_seed_the_population_and_when(leader, cadre_visits):
    spot_check = create(leader)
    items = services.spot_check_draw(actor=leader, spot_check=spot_check)
    spot_check.refresh_from_db()
    assert spot_check.seed is not None
    assert spot_check.population_size == 10
    assert spot_check.drawn_at is not None
    assert abs(timezone.now() - spot_check.drawn_at) < datetime.timedelta(minutes=1)
    assert len(items) == 4
    drawn = set(spot_check.items.values_list("visit_id", flat=True))
    assert drawn <= {pk for ids in cadre_visits.values() for pk in ids}
    # Every cadre is represented.
    assert all(drawn & set(ids) for ids in cadre_visits.values())
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE, object_id=str(spot_check.pk)).get()
    assert entry.actor == leader
    assert entry.changes["seed"] == [None, str(spot_check.seed)]
    assert sorted(entry.changes["sample"][1]) == sorted(drawn)


def test_the_draw_can_be_reproduced_from_the_stored_seed(leader, cadre_visits):
    spot_check = create(leader)
    services.spot_check_draw(actor=leader, spot_check=spot_check)
    spot_check.refresh_from_db()
    # An auditor rebuilds the population and draws again with the stored seed: the same visits come out.
    by_person: dict[int, list[int]] = {}
    for pk, visitor_id in services.spot_check_population(spot_check).values_list("pk", "visitor_id"):
        by_person.setdefault(visitor_id, []).append(pk)
    size = services.sample_size(
        mode=spot_check.sample_mode,
        value=spot_check.sample_value,
        population=spot_check.population_size,
        people=len(by_person),
    )
    again = services.draw_sample(by_person, size=size, seed=spot_check.seed)
    assert again == sorted(spot_check.items.values_list("visit_id", flat=True))


def test_two_spot_checks_with_the_same_seed_draw_the_same_visits(leader, cadre_visits):
    first, second = create(leader), create(leader)
    services.spot_check_draw(actor=leader, spot_check=first, seed=20260930)
    services.spot_check_draw(actor=leader, spot_check=second, seed=20260930)
    assert list(first.items.values_list("visit_id", flat=True)) == list(second.items.values_list("visit_id", flat=True))


def test_a_percentage_draws_the_share_rounded_up_and_one_per_cadre(leader, cadre_visits):
    spot_check = create(leader, sample_mode=SpotCheck.SampleMode.PERCENT, sample_value=50)
    assert len(services.spot_check_draw(actor=leader, spot_check=spot_check)) == 5
    small = create(leader, sample_mode=SpotCheck.SampleMode.PERCENT, sample_value=1)
    items = services.spot_check_draw(actor=leader, spot_check=small)
    assert len(items) == 3
    assert {
        item.visit.visitor_id for item in SpotCheckItem.objects.filter(spot_check=small).select_related("visit")
    } == (set(cadre_visits))


def test_a_count_above_the_population_draws_every_visit(leader, cadre_visits):
    spot_check = create(leader, sample_value=500)
    services.spot_check_draw(actor=leader, spot_check=spot_check)
    assert set(spot_check.items.values_list("visit_id", flat=True)) == {
        pk for ids in cadre_visits.values() for pk in ids
    }


def test_a_second_draw_is_refused(leader, cadre_visits):
    spot_check = create(leader)
    services.spot_check_draw(actor=leader, spot_check=spot_check)
    drawn = list(spot_check.items.values_list("visit_id", flat=True))
    spot_check.refresh_from_db()
    seed = spot_check.seed
    with pytest.raises(ValidationError) as error:
        services.spot_check_draw(actor=leader, spot_check=spot_check)
    assert "不能重抽" in str(error.value)
    spot_check.refresh_from_db()
    assert spot_check.seed == seed
    assert list(spot_check.items.values_list("visit_id", flat=True)) == drawn


def test_a_stale_copy_cannot_draw_twice(leader, cadre_visits):
    # Two admin tabs loaded the same spot-check before either drew; the second click must not draw again.
    spot_check = create(leader)
    stale = SpotCheck.objects.get(pk=spot_check.pk)
    services.spot_check_draw(actor=leader, spot_check=spot_check)
    with pytest.raises(ValidationError):
        services.spot_check_draw(actor=leader, spot_check=stale)
    assert spot_check.items.count() == 4


def test_a_draw_that_lands_meanwhile_wins_and_the_second_draws_nothing(leader, cadre_visits, monkeypatch):
    # Where the row lock is not real (SQLite), another request may draw between our check and our write.
    spot_check = create(leader)
    real_draw = services.draw_sample

    def draw_and_race(*args, **kwargs):
        SpotCheck.objects.filter(pk=spot_check.pk).update(seed=1, population_size=10, drawn_at=timezone.now())
        return real_draw(*args, **kwargs)

    monkeypatch.setattr(services, "draw_sample", draw_and_race)
    with pytest.raises(ValidationError) as error:
        services.spot_check_draw(actor=leader, spot_check=spot_check)
    assert "不能重抽" in str(error.value)
    assert not spot_check.items.exists()
    assert not Visit.objects.filter(spot_checked_at__isnull=False).exists()


def test_an_empty_population_is_refused_with_a_clear_message(leader, cadres):
    spot_check = create(leader)
    with pytest.raises(ValidationError) as error:
        services.spot_check_draw(actor=leader, spot_check=spot_check)
    assert "没有可抽查的走访记录" in str(error.value)
    spot_check.refresh_from_db()
    assert not spot_check.is_drawn and spot_check.seed is None and not spot_check.items.exists()


def test_only_the_checker_draws(leader, places, cadre_visits):
    other_leader = UserFactory(username="leader2", role=Role.STREET_LEADER, street=places.street)
    spot_check = create(leader)
    with pytest.raises(ValidationError):
        services.spot_check_draw(actor=other_leader, spot_check=spot_check)
    spot_check.refresh_from_db()
    assert not spot_check.is_drawn


def test_the_checkers_own_visits_are_never_drawn(places, social_affairs_staff, worker_a, community_leader):
    # A community leader checks his own community's staff: his visits and visits he went along on stay out.
    estate = places.estate_a
    own = VisitFactory(
        household=None, kind=Visit.Kind.ESTATE, estate=estate, visitor=community_leader, visited_on=START
    )
    along = VisitFactory(
        household=None,
        kind=Visit.Kind.ESTATE,
        estate=estate,
        visitor=worker_a,
        visited_on=START,
        community=places.community_a,
        companions=[community_leader],
    )
    hers = VisitFactory(
        household=None,
        kind=Visit.Kind.ESTATE,
        estate=estate,
        visitor=worker_a,
        visited_on=START,
        community=places.community_a,
    )
    spot_check = create(
        community_leader, level=SpotCheck.Level.COMMUNITY, community=places.community_a, sample_value=100
    )
    population = set(services.spot_check_population(spot_check).values_list("pk", flat=True))
    assert own.pk not in population and along.pk not in population
    assert population == {hers.pk}
    services.spot_check_draw(actor=community_leader, spot_check=spot_check)
    assert list(spot_check.items.values_list("visit_id", flat=True)) == [hers.pk]


def test_a_checker_who_is_himself_in_the_population_never_draws_his_own_visits(places, cadres):
    # No role checks its own level today; the rule holds anyway, e.g. for a spot-check set up by hand.
    mine = cadre_visit(cadres[0], on=START, estate=places.estate_a)
    theirs = cadre_visit(cadres[1], on=START, estate=places.estate_a)
    spot_check = SpotCheck.objects.create(
        street=places.street,
        level=SpotCheck.Level.CADRE,
        period_start=START,
        period_end=END,
        sample_value=5,
        checker=cadres[0],
    )
    assert list(services.spot_check_population(spot_check)) == [theirs]
    services.spot_check_draw(actor=cadres[0], spot_check=spot_check)
    assert mine.pk not in set(spot_check.items.values_list("visit_id", flat=True))


def test_the_population_is_the_levels_people_street_and_period(places, leader, cadres, worker_a, staff):
    in_period = cadre_visit(cadres[0], on=START, estate=places.estate_a)
    cadre_visit(cadres[0], on=END + datetime.timedelta(days=1), estate=places.estate_a)
    VisitFactory(household=None, kind=Visit.Kind.ESTATE, estate=places.estate_a, visitor=staff, visited_on=START)
    VisitFactory(household=None, kind=Visit.Kind.ESTATE, estate=places.estate_a, visitor=worker_a, visited_on=START)
    elsewhere = UserFactory(username="far_cadre", role=Role.CADRE, street=places.other_street)
    VisitFactory(
        household=None,
        kind=Visit.Kind.ESTATE,
        estate=EstateFactory(community__street=places.other_street),
        visitor=elsewhere,
        visited_on=START,
    )
    spot_check = create(leader)
    assert list(services.spot_check_population(spot_check)) == [in_period]


def test_a_department_spot_check_of_a_deputy_draws_only_from_his_departments(
    places, deputy, staff, social_affairs_staff
):
    mine = VisitFactory(household=None, kind=Visit.Kind.ESTATE, estate=places.estate_a, visitor=staff, visited_on=START)
    VisitFactory(
        household=None, kind=Visit.Kind.ESTATE, estate=places.estate_a, visitor=social_affairs_staff, visited_on=START
    )
    spot_check = create(deputy, level=SpotCheck.Level.DEPARTMENT)
    assert list(services.spot_check_population(spot_check)) == [mine]
