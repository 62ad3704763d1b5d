"""The household list's filters for the registry's gaps, and the order residents are read in."""

from households.models import Resident
from households.selectors import HouseholdFilters, household_detail_residents, household_list
from tests.factories import HouseholdCategoryFactory, HouseholdFactory, ResidentFactory


def test_the_without_head_filter_lists_exactly_the_households_missing_a_head(places, worker_a):
    headless = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    ResidentFactory(household=headless, relation=Resident.Relation.CHILD)
    complete = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    ResidentFactory(household=complete)
    assert list(household_list(viewer=worker_a, filters=HouseholdFilters(without_head=True))) == [headless]


def test_the_key_without_phone_filter_ignores_ordinary_households(places, worker_a):
    key = HouseholdCategoryFactory(name="低保户", is_key=True)
    ordinary = HouseholdCategoryFactory(name="企退人员", is_key=False)
    missing = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, phone="", categories=[key])
    HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, phone="13812345678", categories=[key])
    HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, phone="", categories=[ordinary])
    assert list(household_list(viewer=worker_a, filters=HouseholdFilters(key_without_phone=True))) == [missing]


def test_the_gap_filters_stay_in_scope(places, worker_a):
    HouseholdFactory(grid_area=places.area_b, estate=places.estate_b)  # headless, but another community's
    assert not household_list(viewer=worker_a, filters=HouseholdFilters(without_head=True)).exists()


def test_the_head_of_household_is_read_first(places):
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    ResidentFactory(household=household, relation=Resident.Relation.CHILD, name="阿大")
    ResidentFactory(household=household, relation=Resident.Relation.HEAD, name="张三")
    ResidentFactory(household=household, relation=Resident.Relation.SPOUSE, name="李四")
    assert [r.name for r in household_detail_residents(household)] == ["张三", "李四", "阿大"]
