"""Bad input on the staff's forms: whatever is typed or tampered with, no 500, a Chinese message, nothing half-saved.

Each test drives the real page through the test client as the persona who uses it: the form is read from the page
as the browser would send it (hidden fields and the version field included, fuzzkit.page_form), some fields are
replaced by generated input, and the answer must be either saved (a redirect, exactly the rows asked for, the page
it leads to renders) or refused (the form again, every message in Chinese and on the page, no row written and the
record unchanged). Where the specification says what is valid (ID numbers, phones, amounts, dates), the test also
checks the verdict itself against an oracle written from the specification (fuzzkit), not from the validators.

Area A (worker_a) holds 香港城 3幢1单元301室, a key household with a plan; area B (worker_b) is another community's.
"""

from __future__ import annotations

import datetime
import inspect
import re
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback.models import Meeting, Opinion
from feedback.selectors import assignable_users
from households.models import AssistancePlan, Household, HouseholdCategory, Resident, Subsidy
from households.support_forms import AmountField
from tests.factories import (
    AssistancePlanFactory,
    EnterpriseFactory,
    HouseholdCategoryFactory,
    HouseholdFactory,
    MeetingFactory,
    OpinionFactory,
    PairedVillageFactory,
    ResidentFactory,
    meeting_kind,
    opinion_category,
)
from tests.security.fuzzkit import (
    answered,
    any_amounts,
    any_phones,
    any_text,
    business_delta,
    delta,
    examples,
    id_number_is_valid,
    impossible_birth_dates,
    mostly_valid,
    names,
    other_digit_forms,
    page_form,
    phone_is_valid,
    plain_text,
    random_18_chars,
    record,
    report_inputs_tried,  # noqa: F401 - prints the inputs tried at the end
    rolled_back,
    row_counts,
    saved,
    tried,
    typed_dates,
    typed_valid_id_numbers,
    valid_amounts,
    valid_id_numbers,
    valid_phones,
    with_values,
    wrong_check_digit,
)
from visits.models import Visit
from wenxin import validators
from wenxin.models import User

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
# Dates the office's records may carry (wenxin.validators.validate_work_date): 0202 or 20266 is a slip of the keys.
EARLIEST, LATEST = datetime.date(2000, 1, 1), datetime.date(2099, 12, 31)
JUNK_PKS = st.sampled_from(["", "0", "-1", "abc", "1.5", "99999999", "9" * 30, "１", "1 OR 1=1", "\x00"])
# The hidden version an edit page carries (wenxin.concurrency), tampered with or left out (None).
JUNK_VERSIONS = st.one_of(st.sampled_from(["", "0", "-1", "abc", "9" * 30, "１", "1.0", "99"]), st.none())
AS_SHOWN = "as shown"

past_dates = st.dates(TODAY - datetime.timedelta(days=700), TODAY).map(str)
coming_dates = st.dates(TODAY, TODAY + datetime.timedelta(days=700)).map(str)
optional_phones = st.one_of(st.just(""), valid_phones)


def pks(*objects) -> st.SearchStrategy[str]:
    return st.sampled_from([str(obj.pk) for obj in objects])


def junk_pks(*foreign) -> st.SearchStrategy[str]:
    """A posted choice the page never offered: another area's record, or something made up."""
    return st.one_of(JUNK_PKS, pks(*foreign)) if foreign else JUNK_PKS


def follow(client: Client, response: HttpResponse) -> None:
    """The page a save leads to renders whatever was stored."""
    assert client.get(response["Location"]).status_code == 200


def fuzz_form(
    client: Client,
    url: str,
    base: dict[str, list[str]],
    fields: st.SearchStrategy[dict[str, Any]],
    *,
    target: str,
    n: int,
    on_saved: Callable[[dict[str, Any], dict[str, int]], None],
    unchanged: Callable[[], Any] | None = None,
) -> Counter[bool]:
    """Post the page's form with generated fields n times; each answer is a clean save or a clean refusal.

    `on_saved(fields, change)` checks a save (change: the rows added per table); `unchanged()` reads the edited
    record, which a refusal must leave as it was. A field given as AS_SHOWN keeps the page's value; None leaves
    the field out of the request.
    """
    outcomes: Counter[bool] = Counter()
    before_any = unchanged() if unchanged else None

    @given(fields=fields)
    @settings(max_examples=examples(n))
    def attempt(fields: dict[str, Any]) -> None:
        tried(target)
        data = with_values(base, **{name: value for name, value in fields.items() if value != AS_SHOWN})
        with rolled_back():
            before = row_counts()
            response = client.post(url, data)
            after = row_counts()
            outcome = saved(response)
            outcomes[outcome] += 1
            answered(target, "saved" if outcome else "refused")
            if not outcome:
                assert delta(before, after) == {}, "a refused input wrote rows"
                if unchanged:
                    assert unchanged() == before_any, "a refused input changed the record"
                return
            on_saved(fields, business_delta(before, after))
            follow(client, response)

    attempt()
    assert outcomes[True] and outcomes[False], f"{target}: {outcomes}"
    return outcomes


@pytest.fixture
def key_category(db) -> HouseholdCategory:
    return HouseholdCategoryFactory(name="低保户", is_key=True)


@pytest.fixture
def household_a(places, worker_a, key_category) -> Household:
    household = HouseholdFactory(
        grid_area=places.area_a, estate=places.estate_a, building="3", unit="1", room="301", categories=[key_category]
    )
    ResidentFactory(household=household, name="王大伯", id_number="")
    return household


@pytest.fixture
def household_b(places, worker_b) -> Household:
    return HouseholdFactory(grid_area=places.area_b, estate=places.estate_b, building="7", unit="1", room="101")


# --- Log a visit -------------------------------------------------------------------------------------------------

DIARY = ("met_whom", "situation", "difficulty", "action_taken", "state_of_mind")


def test_log_a_visit_saves_or_refuses_clearly(client_for, worker_a, worker_a2, worker_b, household_a, household_b):
    client = client_for(worker_a)
    url = reverse("visits:log")
    base = page_form(client.get(f"{url}?household={household_a.pk}"), "visited_on")
    valid = {
        "visited_on": past_dates,
        "kind": st.sampled_from([Visit.Kind.DOOR_TO_DOOR, Visit.Kind.CARING]),
        "household": pks(household_a),
        **dict.fromkeys(DIARY, st.one_of(st.just(""), plain_text)),
        "follow_up_needed": st.sampled_from([None, "on"]),
        "follow_up_by": st.one_of(st.just(""), coming_dates),
        "companions": st.lists(pks(worker_a2), max_size=1),
    }
    junk = {
        "visited_on": typed_dates(TODAY),
        "kind": st.sampled_from([Visit.Kind.ESTATE, Visit.Kind.LEADERSHIP, "", "junk"]),
        "household": junk_pks(household_b),
        **dict.fromkeys(DIARY, any_text),
        "follow_up_by": typed_dates(TODAY),
        "companions": st.lists(junk_pks(worker_b), min_size=1, max_size=2),
    }

    def on_saved(fields: dict[str, Any], change: dict[str, int]) -> None:
        visit = Visit.objects.latest("pk")
        companions = visit.companions.count()
        assert change == {"visits.Visit": 1, **({"visits.Visit_companions": companions} if companions else {})}
        assert EARLIEST <= visit.visited_on <= TODAY
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", fields["visited_on"].strip()):
            assert str(visit.visited_on) == fields["visited_on"].strip()
        assert visit.household_id == household_a.pk
        assert visit.follow_up_by is None or EARLIEST <= visit.follow_up_by <= LATEST
        for name in DIARY:
            assert getattr(visit, name) == fields[name].strip()

    fuzz_form(client, url, base, mostly_valid(valid, junk), target="log a visit", n=50, on_saved=on_saved)


# --- A new household and its head: ID numbers, phones ------------------------------------------------------------


@pytest.fixture
def create_page(client_for, worker_a, places, key_category):
    client = client_for(worker_a)
    url = reverse("households:create")
    base = with_values(
        page_form(client.get(url), "head_id_number"),
        estate=str(places.estate_a.pk),
        grid_area=str(places.area_a.pk),
        building="9",
        unit="2",
        room="902",
        head_name="林阿姨",
    )
    return client, url, base


ID_NUMBERS = st.one_of(
    valid_id_numbers(TODAY),
    typed_valid_id_numbers(TODAY),
    wrong_check_digit(TODAY),
    impossible_birth_dates(TODAY),
    other_digit_forms(TODAY),
    random_18_chars,
    st.text(max_size=24),
)


def test_a_head_of_household_is_saved_exactly_when_the_id_number_is_valid(create_page):
    """Valid numbers from a strategy are saved with their birth date and gender; every other number is refused."""
    client, url, base = create_page
    outcomes: Counter[bool] = Counter()

    @given(id_number=ID_NUMBERS)
    @settings(max_examples=examples(80))
    def attempt(id_number):
        tried("household create: ID number")
        with rolled_back():
            before = row_counts()
            response = client.post(url, with_values(base, head_id_number=id_number))
            after = row_counts()
            expected = not id_number.strip() or id_number_is_valid(id_number, TODAY)
            assert saved(response) == expected, (id_number, response.status_code)
            outcomes[expected] += 1
            answered("household create: ID number", "saved" if expected else "refused")
            if not expected:
                assert delta(before, after) == {}
                assert response.context["form"].errors.keys() == {"head_id_number"}
                return
            assert business_delta(before, after) == {"households.Household": 1, "households.Resident": 1}
            head = Resident.objects.latest("pk")
            if id_number.strip():
                number = head.id_number
                assert number.isascii() and len(number) == 18 and id_number_is_valid(number, TODAY)
                assert head.birth_date == datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
                assert head.gender == ("M" if int(number[16]) % 2 else "F")

    attempt()
    assert outcomes[True] and outcomes[False], outcomes


@given(id_number=wrong_check_digit(TODAY))
@settings(max_examples=examples(15))
def test_a_wrong_check_digit_is_named(create_page, id_number):
    client, url, base = create_page
    tried("household create: wrong check digit")
    with rolled_back():
        before = row_counts()
        response = client.post(url, with_values(base, head_id_number=id_number))
        assert not saved(response)
        assert "校验位" in response.context["form"].errors["head_id_number"][0]
        assert row_counts() == before


@given(id_number=impossible_birth_dates(TODAY))
@settings(max_examples=examples(15))
def test_an_impossible_birth_date_is_named(create_page, id_number):
    client, url, base = create_page
    tried("household create: impossible birth date")
    with rolled_back():
        before = row_counts()
        response = client.post(url, with_values(base, head_id_number=id_number))
        assert not saved(response)
        assert "出生日期" in response.context["form"].errors["head_id_number"][0]
        assert row_counts() == before


ADDRESS = {"building": st.sampled_from(["3", "12", "B"]), "unit": st.sampled_from(["", "1"]), "room": st.just("902")}
ADDRESS_JUNK = dict.fromkeys(ADDRESS, any_text)


def test_household_create_saves_or_refuses_clearly(create_page, places, key_category):
    """Every field, tampered selects included: a household and its head are saved together or not at all."""
    client, url, base = create_page
    other_category = HouseholdCategoryFactory(name="独居老人")
    valid = {
        "estate": pks(places.estate_a),
        "grid_area": pks(places.area_a),
        **ADDRESS,
        "phone": optional_phones,
        "categories": st.lists(pks(key_category, other_category), max_size=2, unique=True),
        "note": st.one_of(st.just(""), plain_text),
        "head_name": names,
        "head_id_number": st.one_of(st.just(""), typed_valid_id_numbers(TODAY)),
        "head_phone": optional_phones,
    }
    junk = {
        "estate": junk_pks(places.estate_b),
        "grid_area": junk_pks(places.area_b, places.area_a2),
        **ADDRESS_JUNK,
        "phone": any_phones,
        "categories": st.lists(junk_pks(), min_size=1, max_size=2),
        "note": any_text,
        "head_name": any_text,
        "head_id_number": ID_NUMBERS,
        "head_phone": any_phones,
    }

    def on_saved(fields: dict[str, Any], change: dict[str, int]) -> None:
        household = Household.objects.latest("pk")
        head = household.residents.get()
        links = household.categories.count()
        assert change == {
            "households.Household": 1,
            "households.Resident": 1,
            **({"households.Household_categories": links} if links else {}),
        }
        assert (household.estate_id, household.grid_area_id) == (places.estate_a.pk, places.area_a.pk)
        assert household.phone == "" or phone_is_valid(household.phone)
        assert head.phone == "" or phone_is_valid(head.phone)
        assert head.id_number == "" or id_number_is_valid(head.id_number, TODAY)

    fuzz_form(
        client, url, base, mostly_valid(valid, junk), target="household create: every field", n=40, on_saved=on_saved
    )


# --- Editing a household: the version the page carries, tampered selects ------------------------------------------


def test_household_edit_saves_or_refuses_clearly(client_for, worker_a, places, household_a, key_category):
    client = client_for(worker_a)
    url = reverse("households:edit", args=[household_a.pk])
    base = page_form(client.get(url), "phone")
    other_category = HouseholdCategoryFactory(name="独居老人")
    valid = {
        "estate": pks(places.estate_a),
        "grid_area": pks(places.area_a),
        "room": st.sampled_from(["301", "302"]),
        "phone": optional_phones,
        "note": st.one_of(st.just(""), plain_text),
        "categories": st.lists(pks(key_category, other_category), max_size=2, unique=True),
        "version": st.just(AS_SHOWN),
    }
    junk = {
        "estate": junk_pks(places.estate_b),
        "grid_area": junk_pks(places.area_b, places.area_a2),
        "room": any_text,
        "phone": any_phones,
        "note": any_text,
        "categories": st.lists(junk_pks(), min_size=1, max_size=2),
        "version": JUNK_VERSIONS,
    }

    def stored() -> tuple:
        household_a.refresh_from_db()
        columns = {k: v for k, v in record(household_a).items() if k != "updated_at"}
        return columns, set(household_a.categories.values_list("pk", flat=True))

    def on_saved(fields: dict[str, Any], change: dict[str, int]) -> None:
        household_a.refresh_from_db()
        assert set(change) <= {"households.Household_categories"}
        assert household_a.phone == fields["phone"].strip() and household_a.note == fields["note"].strip()
        assert household_a.phone == "" or phone_is_valid(household_a.phone)

    fuzz_form(
        client,
        url,
        base,
        mostly_valid(valid, junk),
        target="household edit",
        n=30,
        on_saved=on_saved,
        unchanged=stored,
    )


# --- A resident: ID number, phone, disability ------------------------------------------------------------------


def test_a_resident_is_saved_exactly_when_the_id_number_and_phone_are_valid(client_for, worker_a, household_a):
    """Both typed identifiers are checked where they are typed: each wrong one gets its message, together."""
    client = client_for(worker_a)
    url = reverse("households:resident_create", args=[household_a.pk])
    base = with_values(page_form(client.get(url), "id_number"), name="林小妹", relation=Resident.Relation.CHILD)
    outcomes: Counter[bool] = Counter()

    @given(
        id_number=st.one_of(st.just(""), valid_id_numbers(TODAY), ID_NUMBERS),
        phone=st.one_of(st.just(""), valid_phones, any_phones),
    )
    @settings(max_examples=examples(50))
    def attempt(id_number, phone):
        tried("resident create: ID number and phone")
        with rolled_back():
            before = row_counts()
            response = client.post(url, with_values(base, id_number=id_number, phone=phone))
            after = row_counts()
            id_ok = not id_number.strip() or id_number_is_valid(id_number, TODAY)
            phone_ok = not phone.strip() or phone_is_valid(phone)
            outcome = saved(response)
            assert outcome == (id_ok and phone_ok), (id_number, phone)
            outcomes[outcome] += 1
            answered("resident create: ID number and phone", "saved" if outcome else "refused")
            if not outcome:
                assert delta(before, after) == {}
                errors = response.context["form"].errors
                assert ("id_number" in errors, "phone" in errors) == (not id_ok, not phone_ok), errors
                return
            assert business_delta(before, after) == {"households.Resident": 1}
            resident = Resident.objects.latest("pk")
            assert resident.phone == phone.strip()

    attempt()
    assert outcomes[True] and outcomes[False], outcomes


def test_resident_edit_saves_or_refuses_clearly(client_for, worker_a, household_a):
    resident = ResidentFactory(household=household_a, name="林小妹", relation=Resident.Relation.CHILD, id_number="")
    client = client_for(worker_a)
    url = reverse("households:resident_edit", args=[resident.pk])
    base = page_form(client.get(url), "id_number")
    valid = {
        "name": names,
        "relation": st.sampled_from([Resident.Relation.CHILD, Resident.Relation.SPOUSE]),
        "id_number": st.one_of(st.just(""), typed_valid_id_numbers(TODAY)),
        "phone": optional_phones,
        "disability": st.sampled_from(Resident.Disability.values),
        "disability_grade": st.just(""),
        "note": st.one_of(st.just(""), names),
    }
    junk = {
        "name": any_text,
        "relation": st.sampled_from([Resident.Relation.HEAD, "", "junk"]),
        "id_number": ID_NUMBERS,
        "phone": any_phones,
        "disability": st.sampled_from(["junk", "VISUAL", "\x00"]),
        "disability_grade": st.sampled_from(["1", "4", "5", "0", "-1", "二", "9" * 30]),
        "note": any_text,
    }

    def stored() -> dict:
        return record(resident)

    def on_saved(fields: dict[str, Any], change: dict[str, int]) -> None:
        resident.refresh_from_db()
        assert change == {}
        assert resident.id_number == "" or id_number_is_valid(resident.id_number, TODAY)
        assert resident.phone == "" or phone_is_valid(resident.phone)
        assert resident.relation != Resident.Relation.HEAD
        assert resident.disability_grade in (None, 1, 2, 3, 4)
        assert resident.disability_grade is None or resident.disability

    fuzz_form(
        client, url, base, mostly_valid(valid, junk), target="resident edit", n=30, on_saved=on_saved, unchanged=stored
    )


# --- A subsidy: the amount to the fen ----------------------------------------------------------------------------

SUBSIDY = {"kind": Subsidy.Kind.TEMPORARY, "paid_on": "2026-06-01", "source": "街道财政", "approved_by": "钱书记"}
MAX_AMOUNT = Decimal("1000000.00")


def plain_decimal(text: str) -> Decimal | None:
    """The value of an amount written as plain ASCII digits with an optional sign and decimal point."""
    return Decimal(text) if re.fullmatch(r"-?\d+(\.\d+)?", text.strip(), re.ASCII) else None


def test_a_subsidy_is_saved_exactly_when_the_amount_is_a_real_sum_to_the_fen(client_for, worker_a, household_a):
    client = client_for(worker_a)
    url = reverse("households:subsidy_create", args=[household_a.pk])
    base = with_values(page_form(client.get(url), "amount"), **SUBSIDY)
    outcomes: Counter[bool] = Counter()

    @given(amount=st.one_of(valid_amounts.map(str), any_amounts))
    @settings(max_examples=examples(80))
    def attempt(amount):
        tried("subsidy: amount")
        with rolled_back():
            before = row_counts()
            response = client.post(url, with_values(base, amount=amount))
            after = row_counts()
            outcome = saved(response)
            outcomes[outcome] += 1
            answered("subsidy: amount", "saved" if outcome else "refused")
            number = plain_decimal(amount)
            if number is not None:
                expected = Decimal("0") < number <= MAX_AMOUNT and number == number.quantize(Decimal("0.01"))
                assert outcome == expected, amount
            if not outcome:
                assert delta(before, after) == {}
                assert "amount" in response.context["form"].errors
                return
            assert business_delta(before, after) == {"households.Subsidy": 1}
            stored = Subsidy.objects.latest("pk").amount
            assert Decimal("0") < stored <= MAX_AMOUNT and stored == stored.quantize(Decimal("0.01"))
            if number is not None:
                assert stored == number

    attempt()
    assert outcomes[True] and outcomes[False], outcomes


def test_subsidy_form_saves_or_refuses_clearly(client_for, worker_a, household_a):
    client = client_for(worker_a)
    url = reverse("households:subsidy_create", args=[household_a.pk])
    base = page_form(client.get(url), "amount")
    valid = {
        "kind": st.sampled_from(Subsidy.Kind.values),
        "amount": valid_amounts.map(str),
        "paid_on": past_dates,
        "source": names,
        "approved_by": names,
        "note": st.one_of(st.just(""), names),
    }
    junk = {
        "kind": st.sampled_from(["", "junk", "TEMPORARY"]),
        "amount": any_amounts,
        "paid_on": typed_dates(TODAY),
        "source": any_text,
        "approved_by": any_text,
        "note": any_text,
    }

    def on_saved(fields: dict[str, Any], change: dict[str, int]) -> None:
        assert change == {"households.Subsidy": 1}
        subsidy = Subsidy.objects.latest("pk")
        assert EARLIEST <= subsidy.paid_on <= TODAY and subsidy.household_id == household_a.pk

    fuzz_form(client, url, base, mostly_valid(valid, junk), target="subsidy: every field", n=30, on_saved=on_saved)


# --- One household, one plan: the five musts, the review date, a measure ------------------------------------------


@pytest.fixture
def plan_a(household_a) -> AssistancePlan:
    return AssistancePlanFactory(household=household_a)


def test_plan_edit_saves_or_refuses_clearly(client_for, worker_a, plan_a):
    client = client_for(worker_a)
    url = reverse("households:plan_edit", args=[plan_a.household_id])
    base = page_form(client.get(url), "review_on")
    musts = [name for name in base if name.startswith("must_")]
    valid = {**dict.fromkeys(musts, plain_text), "review_on": coming_dates, "version": st.just(AS_SHOWN)}
    junk = {**dict.fromkeys(musts, any_text), "review_on": typed_dates(TODAY), "version": JUNK_VERSIONS}

    def stored() -> tuple:
        plan_a.refresh_from_db()
        return record(plan_a), sorted(plan_a.sections.values_list("must", "text"))

    def on_saved(fields: dict[str, Any], change: dict[str, int]) -> None:
        plan_a.refresh_from_db()
        assert set(change) <= {"households.PlanSection", "households.PlanVersion"}
        assert EARLIEST <= plan_a.review_on <= LATEST
        for section in plan_a.sections.all():
            assert section.text == fields[f"must_{section.must}"].strip()

    fuzz_form(
        client, url, base, mostly_valid(valid, junk), target="plan edit", n=30, on_saved=on_saved, unchanged=stored
    )


def test_a_measure_saves_or_refuses_clearly(client_for, worker_a, worker_b, plan_a):
    client = client_for(worker_a)
    url = reverse("households:measure_add", args=[plan_a.household_id])
    base = page_form(client.get(url), "due_on")
    valid = {"description": names, "responsible": pks(worker_a), "due_on": coming_dates}
    junk = {"description": any_text, "responsible": junk_pks(worker_b), "due_on": typed_dates(TODAY)}

    def on_saved(fields: dict[str, Any], change: dict[str, int]) -> None:
        assert change == {"households.AssistanceMeasure": 1, "households.PlanVersion": 1}
        measure = plan_a.measures.get()
        # "１" is read as 1 like any digit: whoever it names must be a colleague she may see.
        assert User.objects.visible_to(worker_a).filter(pk=measure.responsible_id, is_active=True).exists()
        assert EARLIEST <= measure.due_on <= LATEST

    fuzz_form(client, url, base, mostly_valid(valid, junk), target="plan measure", n=25, on_saved=on_saved)


# --- Opinions: recording one, assigning it, closing it -----------------------------------------------------------


def test_opinion_create_saves_or_refuses_clearly(client_for, worker_a, places):
    meeting_a = MeetingFactory(community=places.community_a)
    meeting_b = MeetingFactory(community=places.community_b)
    enterprise = EnterpriseFactory(street=places.street, community=places.community_a)
    village = PairedVillageFactory(street=places.street)
    client = client_for(worker_a)
    url = reverse("feedback:create")
    base = page_form(client.get(url), "text")
    valid = {
        "source": st.just(Opinion.Source.MEETING),
        "meeting": pks(meeting_a),
        "enterprise": st.one_of(st.just(""), pks(enterprise)),
        "paired_village": st.one_of(st.just(""), pks(village)),
        "text": plain_text,
        "community": st.one_of(st.just(""), pks(places.community_a)),
        "estate": st.one_of(st.just(""), pks(places.estate_a)),
        "location": st.one_of(st.just(""), names),
        "raised_by": st.one_of(st.just(""), names),
        "contact": optional_phones,
    }
    junk = {
        "source": st.sampled_from([Opinion.Source.ONLINE, Opinion.Source.VISIT, Opinion.Source.ENTERPRISE, "", "x"]),
        "meeting": junk_pks(meeting_b),
        "enterprise": junk_pks(),
        "paired_village": junk_pks(),
        "text": any_text,
        "community": junk_pks(places.community_b),
        "estate": junk_pks(places.estate_b),
        "location": any_text,
        "raised_by": any_text,
        "contact": any_phones,
    }

    def on_saved(fields: dict[str, Any], change: dict[str, int]) -> None:
        assert change == {"feedback.Opinion": 1, "feedback.OpinionEvent": 1}
        opinion = Opinion.objects.latest("pk")
        assert opinion.text == fields["text"].strip()
        assert opinion.contact == "" or phone_is_valid(opinion.contact)

    fuzz_form(client, url, base, mostly_valid(valid, junk), target="opinion create", n=30, on_saved=on_saved)


def test_opinion_assign_saves_or_refuses_clearly(client_for, community_leader, worker_a, worker_b, deputy, places):
    opinion = OpinionFactory(
        community=places.community_a, status=Opinion.Status.SORTED, category=opinion_category("环境卫生")
    )
    client = client_for(community_leader)
    url = reverse("feedback:assign", args=[opinion.pk])
    base = page_form(client.get(url), "due_on")
    valid = {
        "responsible": pks(worker_a),
        "due_on": coming_dates,
        "leader_in_charge": st.one_of(st.just(""), pks(deputy)),
        "department": st.one_of(st.just(""), pks(places.department)),
        "community": st.one_of(st.just(""), pks(places.community_a)),
        "note": st.one_of(st.just(""), names),
        "version": st.just(AS_SHOWN),
    }
    junk = {
        "responsible": junk_pks(worker_b),
        "due_on": typed_dates(TODAY),
        "leader_in_charge": junk_pks(worker_a),
        "department": junk_pks(),
        "community": junk_pks(places.community_b),
        "note": any_text,
        "version": JUNK_VERSIONS,
    }

    def stored() -> dict:
        return record(opinion)

    def on_saved(fields: dict[str, Any], change: dict[str, int]) -> None:
        assert change == {"feedback.OpinionEvent": 1}
        opinion.refresh_from_db()
        assert opinion.status == Opinion.Status.ASSIGNED
        assignable = assignable_users(viewer=community_leader)
        assert assignable.filter(pk=opinion.responsible_id).exists()
        assert opinion.responsible.street_id == opinion.street_id
        assert TODAY <= opinion.due_on <= LATEST

    fuzz_form(
        client, url, base, mostly_valid(valid, junk), target="opinion assign", n=30, on_saved=on_saved, unchanged=stored
    )


@pytest.mark.parametrize(
    ("step", "field", "closed"), [("resolve", "resolution", "resolved"), ("explain", "explanation", "explained")]
)
def test_closing_an_opinion_saves_or_refuses_clearly(client_for, worker_a, places, step, field, closed):
    opinion = OpinionFactory(
        community=places.community_a,
        status=Opinion.Status.IN_PROGRESS,
        category=opinion_category("环境卫生"),
        responsible=worker_a,
        due_on=TODAY,
    )
    client = client_for(worker_a)
    url = reverse(f"feedback:{step}", args=[opinion.pk])
    base = page_form(client.get(url), field)
    valid = {field: plain_text, "version": st.just(AS_SHOWN)}
    junk = {field: any_text, "version": JUNK_VERSIONS}

    def stored() -> dict:
        return record(opinion)

    def on_saved(fields: dict[str, Any], change: dict[str, int]) -> None:
        assert change == {"feedback.OpinionEvent": 1}
        opinion.refresh_from_db()
        assert opinion.status == closed and getattr(opinion, field) == fields[field].strip()

    fuzz_form(
        client,
        url,
        base,
        mostly_valid(valid, junk),
        target=f"opinion {step}",
        n=20,
        on_saved=on_saved,
        unchanged=stored,
    )


# --- A listening meeting: who came, counted ------------------------------------------------------------------------

ATTENDEES = ("deputies", "cppcc_members", "party_members", "retired_employees", "united_front", "residents")
COUNTS = st.one_of(st.just(""), st.integers(0, 10000).map(str))
JUNK_COUNTS = st.one_of(
    st.integers(-5, -1).map(str),
    st.integers(10001, 10**6).map(str),
    st.sampled_from([" ", "1.5", "1e3", "１２", "٣", "9" * 30, "-0", "+5", "0x10", "十二", "12人"]),
)


def test_a_meeting_saves_or_refuses_clearly(client_for, worker_a, places):
    client = client_for(worker_a)
    url = reverse("feedback:meeting_create")
    base = page_form(client.get(url), "held_on")
    community_forum, street_forum = meeting_kind("community_forum"), meeting_kind("residents_forum")
    valid = {
        "kind": pks(community_forum),
        "community": pks(places.community_a),
        "held_on": past_dates,
        "place": names,
        "topic": st.one_of(st.just(""), names),
        "minutes": st.one_of(st.just(""), plain_text),
        **dict.fromkeys(ATTENDEES, COUNTS),
    }
    junk = {
        "kind": junk_pks(street_forum),
        "community": junk_pks(places.community_b),
        "held_on": typed_dates(TODAY),
        "place": any_text,
        "topic": any_text,
        "minutes": any_text,
        **dict.fromkeys(ATTENDEES, JUNK_COUNTS),
    }

    def on_saved(fields: dict[str, Any], change: dict[str, int]) -> None:
        assert change == {"feedback.Meeting": 1}
        meeting = Meeting.objects.latest("pk")
        assert EARLIEST <= meeting.held_on <= TODAY
        for name in ATTENDEES:
            typed = fields[name].strip()
            assert getattr(meeting, name) == (int(typed) if typed else 0) and 0 <= getattr(meeting, name) <= 10000

    fuzz_form(client, url, base, mostly_valid(valid, junk, most=3), target="meeting", n=30, on_saved=on_saved)


# --- Regressions: what the fuzz found ------------------------------------------------------------------------------


def assert_refused_on(response: HttpResponse, field: str, text: str) -> None:
    assert not saved(response)
    assert text in " ".join(response.context["form"].errors[field]), response.context["form"].errors


def test_an_id_too_large_for_the_database_in_a_multiple_choice_is_refused_not_a_crash(
    client_for, worker_a, worker_a2, deputy, household_a, places
):
    """`pk IN (999…9)` crashed SQLite (OverflowError) and PostgreSQL (out of range): now an invalid choice."""
    huge = "9" * 30
    opinion = OpinionFactory(community=places.community_a, status=Opinion.Status.SORTED)
    client = client_for(worker_a)
    url = reverse("visits:log")
    base = page_form(client.get(f"{url}?household={household_a.pk}"), "visited_on")
    before = row_counts()
    assert_refused_on(client.post(url, with_values(base, companions=[huge])), "companions", huge)

    url = reverse("households:create")
    base = with_values(page_form(client.get(url), "head_name"), estate=str(places.estate_a.pk), head_name="林阿姨")
    data = with_values(base, grid_area=str(places.area_a.pk), building="9", room="902", categories=[huge])
    assert_refused_on(client.post(url, data), "categories", huge)

    client = client_for(deputy)
    url = reverse("feedback:topic_create")
    base = with_values(page_form(client.get(url), "title"), title="晾衣架", chaired_by=str(deputy.pk))
    assert not saved(client.post(url, with_values(base, opinions=[str(opinion.pk), huge])))
    assert row_counts() == before


@pytest.mark.parametrize(
    ("page", "field", "typed"),
    [
        ("visit", "visited_on", "0202-01-01"),
        ("visit", "follow_up_by", "20266-01-01"[1:]),
        ("subsidy", "paid_on", "1999-12-31"),
        ("plan", "review_on", "2100-01-01"),
        ("measure", "due_on", "9999-12-31"),
        ("assign", "due_on", "2100-01-01"),
        ("meeting", "held_on", "0001-01-01"),
    ],
)
def test_a_date_outside_the_offices_years_is_refused_with_a_message(
    client_for, worker_a, community_leader, places, household_a, page, field, typed
):
    """A year typed as 0202 or 0266 was saved, and sorted the record out of every list and report."""
    plan = AssistancePlanFactory(household=household_a)
    opinion = OpinionFactory(community=places.community_a, status=Opinion.Status.SORTED)
    user, url, filled = {
        "visit": (worker_a, reverse("visits:log") + f"?household={household_a.pk}", {}),
        "subsidy": (worker_a, reverse("households:subsidy_create", args=[household_a.pk]), SUBSIDY_FILLED),
        "plan": (worker_a, reverse("households:plan_edit", args=[plan.household_id]), {}),
        "measure": (worker_a, reverse("households:measure_add", args=[plan.household_id]), {"description": "送米"}),
        "assign": (community_leader, reverse("feedback:assign", args=[opinion.pk]), {"responsible": str(worker_a.pk)}),
        "meeting": (worker_a, reverse("feedback:meeting_create"), {"place": "会议室"}),
    }[page]
    client = client_for(user)
    base = with_values(page_form(client.get(url), field), **filled)
    before = row_counts()
    assert_refused_on(client.post(url, with_values(base, **{field: typed})), field, "日期不合理")
    assert row_counts() == before


SUBSIDY_FILLED = {"kind": Subsidy.Kind.TEMPORARY, "amount": "1200", "source": "街道财政", "approved_by": "钱书记"}


def test_the_first_day_of_the_offices_years_is_a_date_like_any_other(client_for, worker_a, household_a):
    client = client_for(worker_a)
    url = reverse("visits:log")
    base = page_form(client.get(f"{url}?household={household_a.pk}"), "visited_on")
    assert saved(client.post(url, with_values(base, visited_on="2000-01-01")))
    assert Visit.objects.get().visited_on == datetime.date(2000, 1, 1)


def _full_width(text: str) -> str:
    return "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in text)


def test_an_id_number_in_full_width_digits_is_stored_in_ascii_and_stays_unique(client_for, worker_a, household_a):
    """Digits of other widths and scripts were stored as typed, so one number could be registered twice."""
    client = client_for(worker_a)
    url = reverse("households:resident_create", args=[household_a.pk])
    base = with_values(page_form(client.get(url), "id_number"), name="林小妹", relation=Resident.Relation.CHILD)
    number = "11010519491231002X"
    assert saved(client.post(url, with_values(base, id_number=_full_width(number).replace("X", "ｘ"))))
    assert Resident.objects.get(name="林小妹").id_number == number

    before = row_counts()
    again = with_values(base, name="林小弟", id_number=_full_width(number))
    response = client.post(url, again)
    assert not saved(response) and "已登记" in str(response.context["form"].errors)
    arabic = number[0] + "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in number[1:])
    assert_refused_on(client.post(url, with_values(again, id_number=arabic)), "id_number", "数字")
    assert row_counts() == before


@pytest.mark.parametrize(("typed", "message"), [("１３８００００００００", "半角"), ("1٣8٠٠٠٠٠٠٠٠", "格式不正确")])
def test_a_phone_in_other_digits_is_refused_with_a_message(client_for, worker_a, household_a, typed, message):
    client = client_for(worker_a)
    url = reverse("households:edit", args=[household_a.pk])
    before = record(household_a)
    assert_refused_on(client.post(url, with_values(page_form(client.get(url), "phone"), phone=typed)), "phone", message)
    assert record(household_a) == before


def test_a_bad_phone_and_a_bad_id_number_are_named_in_one_answer(client_for, worker_a, household_a):
    """The phone was checked only by the service, after the form: its message came one save later."""
    client = client_for(worker_a)
    url = reverse("households:resident_create", args=[household_a.pk])
    base = with_values(page_form(client.get(url), "id_number"), name="林小妹", relation=Resident.Relation.CHILD)
    response = client.post(url, with_values(base, id_number="000000000000000000", phone="0"))
    assert not saved(response)
    assert set(response.context["form"].errors) == {"id_number", "phone"}


@pytest.mark.parametrize("amount", ["1e999999999", "9" * 29, "1E+30"])
def test_an_amount_too_large_to_round_is_refused_not_a_crash(client_for, worker_a, household_a, amount):
    """Rounding 1e999999999 to the fen raised decimal.InvalidOperation: a 500."""
    client = client_for(worker_a)
    url = reverse("households:subsidy_create", args=[household_a.pk])
    base = with_values(page_form(client.get(url), "amount"), **SUBSIDY)
    assert_refused_on(client.post(url, with_values(base, amount=amount)), "amount", "不能超过")
    assert not Subsidy.objects.exists()


# --- The audit: every typed ID number, phone, date and amount goes through the shared validators ------------------


def _product_forms() -> list[type[forms.BaseForm]]:
    """Every form class of the product's pages (the admin's model forms run the models' validators instead)."""
    from feedback import forms as feedback_forms
    from feedback import meeting_forms, public_forms
    from households import excel_views, plan_forms, support_forms
    from households import forms as household_forms
    from visits import forms as visit_forms

    modules = (feedback_forms, meeting_forms, public_forms, excel_views, plan_forms, support_forms)
    return [
        cls
        for module in (*modules, household_forms, visit_forms)
        for _name, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__
    ]


def test_every_typed_id_number_phone_date_and_amount_uses_the_shared_validators():
    dates = {validators.validate_work_date, validators.validate_recorded_date}
    checked: Counter[str] = Counter()
    missing = []
    for form in _product_forms():
        for name, field in form.base_fields.items():
            label = f"{form.__name__}.{name}"
            if isinstance(field, forms.DateField):
                checked["date"] += 1
                ok = bool(dates & set(field.validators))
            elif name == "amount":
                checked["amount"] += 1
                ok = isinstance(field, AmountField)
            elif not isinstance(field, forms.CharField):
                continue
            elif "id_number" in name:
                checked["ID number"] += 1
                ok = validators.validate_id_number in field.validators
            elif name in ("phone", "contact") or name.endswith("_phone"):
                checked["phone"] += 1
                ok = validators.validate_phone in field.validators
            else:
                continue
            if not ok:
                missing.append(label)
    assert missing == []
    # The fields known today were all found (a rename of the forms' modules would otherwise pass unseen).
    assert all(checked[kind] >= n for kind, n in {"date": 15, "ID number": 2, "phone": 6, "amount": 1}.items())
