"""The tools the fuzz tests share: send a page's form as the browser would, judge the answer, count the rows.

Every fuzz test follows the same story: read the form from the real page (hidden fields, the version field and the
values shown included), replace some fields with generated input, post it through the test client as the right
persona, and then require one of two outcomes:

* saved: a redirect, and exactly the rows the input asked for;
* refused: the form shown again with at least one message, every message in Chinese and on the page, and not one
  row written anywhere (no half-saved household, no audit entry of an edit that did not happen).

A 500 is neither: the test client raises the view's exception, and Hypothesis reports the smallest input causing it.
Each example runs in a savepoint that is rolled back, so one example never sees another's rows.
"""

from __future__ import annotations

import datetime
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.contrib.messages import get_messages
from django.db import connection, models, transaction
from django.http import HttpResponse
from django.utils.html import escape
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

# --- Hypothesis profiles -----------------------------------------------------------------------------------------
# "ci" (the default) is reproducible and bounded: the same inputs on every run (derandomize), no example database
# written into the tree, no deadline (a shared CI machine is slow at random moments). Its max_examples, 100, is the
# unit of examples(): a test asking for examples(60) gets 60 inputs. "thorough" draws ten times as many, afresh on
# each run, for hunting locally: HYPOTHESIS_PROFILE=thorough .venv/bin/pytest tests/security -k fuzz.

_COMMON: dict[str, Any] = {
    "deadline": None,
    "database": None,
    "print_blob": False,
    # The personas and places are built once per test and shared by its examples on purpose: each example runs
    # in a savepoint that is rolled back (rolled_back below), so every example starts from the same rows.
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
}
hypothesis_settings.register_profile("ci", max_examples=100, derandomize=True, **_COMMON)
hypothesis_settings.register_profile("thorough", max_examples=1000, derandomize=False, **_COMMON)
if hypothesis_settings.get_current_profile_name() == "default":  # unless --hypothesis-profile chose one
    hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# A Chinese message has at least one CJK ideograph; English, an error code or an empty string has none.
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")

# How many inputs each target was given, printed at the end of the run (docs/security.md quotes these figures).
TRIED: Counter[str] = Counter()
# How each target answered them: "saved", "refused", and the like.
OUTCOMES: dict[str, Counter[str]] = {}
_REPORTED: list[bool] = []


def tried(target: str) -> None:
    """Count one generated input sent to a target."""
    TRIED[target] += 1


def answered(target: str, outcome: str) -> None:
    """Count how a target answered one input (shown beside the number tried)."""
    OUTCOMES.setdefault(target, Counter())[outcome] += 1


@pytest.fixture(scope="session", autouse=True)
def report_inputs_tried(request: pytest.FixtureRequest) -> Iterator[None]:
    """At the end of the run, how many inputs each fuzz target was sent: the figures docs/security.md quotes.

    Imported by each fuzz module (an autouse fixture works where it is imported), so no conftest is needed.
    """
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or not TRIED or _REPORTED:
        return
    _REPORTED.append(True)  # each importing module has its own copy of this fixture: report once
    with capture.global_and_fixture_disabled() if capture else nullcontext():
        reporter.section("fuzz inputs tried")
        for target, count in sorted(TRIED.items()):
            answers = ", ".join(f"{n} {outcome}" for outcome, n in sorted(OUTCOMES.get(target, {}).items()))
            reporter.write_line(f"{target:<48} {count:>6}  {answers}")
        reporter.write_line(f"{'total':<48} {sum(TRIED.values()):>6}")


def examples(n: int) -> int:
    """n inputs under the "ci" profile (max_examples 100), scaled with the profile (10n under "thorough")."""
    return max(1, n * hypothesis_settings.default.max_examples // 100)


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run one example in a savepoint that is undone afterwards, whatever the example wrote."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# --- Reading a form the way a browser sends it ------------------------------------------------------------------


class _FormReader(HTMLParser):
    """Every <form> of a page with the name/value pairs a browser would submit (no button pressed)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: dict[str, Any] | None = None
        self._option: dict[str, Any] | None = None
        self._textarea: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: (value if value is not None else "") for name, value in attrs}
        if tag == "form":
            self._form = {"method": a.get("method", "get").lower(), "action": a.get("action", ""), "fields": []}
            self.forms.append(self._form)
            return
        if self._form is None or "disabled" in a:
            return
        fields = self._form["fields"]
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    fields.append((a["name"], a.get("value", "on")))
                return
            fields.append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "multiple": "multiple" in a, "options": [], "selected": []}
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "text": "", "selected": "selected" in a}
        elif tag == "textarea" and a.get("name"):
            self._textarea = {"name": a["name"], "text": ""}

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option["text"] += data
        elif self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._select is not None and self._option is not None:
            self._close_option()
        elif tag == "select" and self._select is not None:
            if self._option is not None:
                self._close_option()
            select = self._select
            chosen = select["selected"]
            if not chosen and not select["multiple"] and select["options"]:
                chosen = select["options"][:1]  # a browser sends the first option when none is selected
            if self._form is not None:
                self._form["fields"].extend((select["name"], value) for value in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea["text"]
            # A browser drops the newline right after <textarea>.
            text = text[1:] if text.startswith("\n") else text
            if self._form is not None:
                self._form["fields"].append((self._textarea["name"], text))
            self._textarea = None
        elif tag == "form":
            self._form = None

    def _close_option(self) -> None:
        option = self._option
        value = option["value"] if option["value"] is not None else option["text"].strip()
        self._select["options"].append(value)
        if option["selected"]:
            self._select["selected"].append(value)
        self._option = None


def page_form(response: HttpResponse, field: str) -> dict[str, list[str]]:
    """The POST form of the page that has `field`, as {name: [values]}, exactly what the browser would send."""
    assert response.status_code == 200, response.status_code
    reader = _FormReader()
    reader.feed(response.content.decode())
    for form in reader.forms:
        names = [name for name, _value in form["fields"]]
        if form["method"] == "post" and field in names:
            data: dict[str, list[str]] = {}
            for name, value in form["fields"]:
                data.setdefault(name, []).append(value)
            data.pop("csrfmiddlewaretoken", None)  # the test client does not check it
            return data
    raise AssertionError(f"no POST form with a field named {field!r} on the page")


def with_values(base: dict[str, list[str]], **values: str | list[str] | None) -> dict[str, list[str]]:
    """The page's form with some fields typed over; None leaves a field out, as a tampered request would."""
    data = {name: list(value) for name, value in base.items()}
    for name, value in values.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value if isinstance(value, list) else [value]
    return data


# --- Judging the answer -----------------------------------------------------------------------------------------


def _forms_in(response: HttpResponse) -> list[forms.BaseForm]:
    found: list[forms.BaseForm] = []
    for context in response.context or []:
        for value in context.flatten().values():
            if isinstance(value, forms.BaseForm) and value.is_bound and all(value is not f for f in found):
                found.append(value)
    return found


def error_messages(response: HttpResponse) -> list[str]:
    """Every error of every bound form the page was rendered with."""
    return [str(message) for form in _forms_in(response) for errors in form.errors.values() for message in errors]


def flash_messages(response: HttpResponse) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def assert_clear_refusal(response: HttpResponse) -> list[str]:
    """The form came back with messages, each in Chinese and shown on the page; returns them."""
    assert response.status_code == 200, f"neither saved nor refused: HTTP {response.status_code}"
    messages = error_messages(response)
    assert messages, "the input was refused without a single message"
    page = response.content.decode()
    for message in messages:
        assert CJK.search(message), f"a message without Chinese: {message!r}"
        assert escape(message) in page, f"a message not shown on the page: {message!r}"
    return messages


def saved(response: HttpResponse) -> bool:
    """True for a redirect (saved), False for a clear refusal; anything else fails the test."""
    if response.status_code == 302:
        return True
    assert_clear_refusal(response)
    return False


# --- Counting rows ----------------------------------------------------------------------------------------------

WATCHED = (
    "households.Household",
    "households.Household_categories",
    "households.Resident",
    "households.AssistancePlan",
    "households.PlanSection",
    "households.PlanVersion",
    "households.AssistanceMeasure",
    "households.AssistancePair",
    "households.Subsidy",
    "households.Initiative",
    "visits.Visit",
    "visits.Visit_companions",
    "feedback.Meeting",
    "feedback.Opinion",
    "feedback.OpinionEvent",
    "feedback.TopicMeeting",
    "wenxin.AuditEntry",
    "wenxin.BackgroundJob",
)
# Written by django-auditlog once it is installed: an audit row of a refused edit is a partial write too.
OPTIONAL_WATCHED = ("auditlog.LogEntry",)


def _watched_models() -> list[type[models.Model]]:
    found = [apps.get_model(label) for label in WATCHED]
    for label in OPTIONAL_WATCHED:
        with suppress(LookupError):
            found.append(apps.get_model(label))
    return found


def row_counts(extra: Iterable[type[models.Model]] = ()) -> dict[str, int]:
    """The number of rows of every watched table, in one query."""
    watched = [*_watched_models(), *extra]
    quote = connection.ops.quote_name
    parts = ", ".join(f"(SELECT COUNT(*) FROM {quote(model._meta.db_table)})" for model in watched)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {parts}")  # noqa: S608 - table names from the app registry, not from input
        values = cursor.fetchone()
    return {model._meta.label: value for model, value in zip(watched, values, strict=True)}


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """The tables whose row count changed, and by how much."""
    return {label: after[label] - before[label] for label in before if after[label] != before[label]}


AUDIT_TABLES = {"wenxin.AuditEntry", "auditlog.LogEntry"}


def business_delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """The change in the product's own tables, the audit trail left out (its rows per save are another part's)."""
    return {label: n for label, n in delta(before, after).items() if label not in AUDIT_TABLES}


def record(obj: models.Model) -> dict[str, Any]:
    """A model instance's stored columns, read again from the database."""
    return type(obj).objects.filter(pk=obj.pk).values().get()


# --- Strategies -------------------------------------------------------------------------------------------------
# What people type, and what a tampered request sends.

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"


def gb11643_check(first17: str) -> str:
    """The check character, computed here independently of wenxin.validators so the test is an oracle."""
    return ID_CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def _first17(region: str, born: datetime.date, serial: int) -> str:
    return f"{region}{born:%Y%m%d}{serial:03d}"


regions = st.from_regex(r"[1-9][0-9]{5}", fullmatch=True)


def valid_id_numbers(today: datetime.date) -> st.SearchStrategy[str]:
    """Real GB 11643 numbers: a region, a birth date from 1900 to today, a serial and the right check character."""
    return st.builds(
        lambda region, born, serial: (lambda f: f + gb11643_check(f))(_first17(region, born, serial)),
        regions,
        st.dates(datetime.date(1900, 1, 1), today),
        st.integers(0, 999),
    )


def typed_valid_id_numbers(today: datetime.date) -> st.SearchStrategy[str]:
    """A valid number as people type it: a lower-case x, spaces around or inside."""
    return valid_id_numbers(today).flatmap(
        lambda number: st.sampled_from(
            [number, number.lower(), f" {number} ", f"{number[:6]} {number[6:14]} {number[14:]}"]
        )
    )


def wrong_check_digit(today: datetime.date) -> st.SearchStrategy[str]:
    """A valid number with its last character replaced by any other."""
    return valid_id_numbers(today).flatmap(
        lambda number: st.sampled_from([c for c in ID_CHECK_CHARS if c != number[-1]]).map(lambda c: number[:17] + c)
    )


def impossible_birth_dates(today: datetime.date) -> st.SearchStrategy[str]:
    """The right check character, but a birth date that does not exist, is before 1900 or after today."""
    impossible = st.one_of(
        st.tuples(st.integers(1900, 2099), st.integers(13, 99), st.integers(1, 28)),  # month 13+
        st.tuples(st.integers(1900, 2099), st.just(0), st.integers(1, 28)),  # month 0
        st.tuples(st.integers(1900, 2099), st.integers(1, 12), st.integers(32, 99)),  # day 32+
        st.tuples(st.integers(1900, 2099), st.integers(1, 12), st.just(0)),  # day 0
        st.tuples(st.sampled_from([1901, 1999, 2023]), st.just(2), st.just(29)),  # 29 Feb of a common year
        st.tuples(st.integers(1900, 2099), st.sampled_from([4, 6, 9, 11]), st.just(31)),  # 31 April
        st.tuples(st.integers(1000, 1899), st.integers(1, 12), st.integers(1, 28)),  # before 1900
        st.tuples(st.integers(today.year + 1, 9999), st.integers(1, 12), st.integers(1, 28)),  # not yet born
    )
    return st.builds(
        lambda region, ymd, serial: (lambda f: f + gb11643_check(f))(
            f"{region}{ymd[0]:04d}{ymd[1]:02d}{ymd[2]:02d}{serial:03d}"
        ),
        regions,
        impossible,
        st.integers(0, 999),
    )


def other_digit_forms(today: datetime.date) -> st.SearchStrategy[str]:
    """A valid number written in full-width digits (as a Chinese input method types them) or in another script's."""
    scripts = {"fullwidth": 0xFF10, "arabic-indic": 0x0660, "devanagari": 0x0966}
    return st.tuples(valid_id_numbers(today), st.sampled_from(sorted(scripts))).map(
        lambda pair: "".join(chr(scripts[pair[1]] + int(c)) if c.isdigit() and i else c for i, c in enumerate(pair[0]))
    )


random_18_chars = st.text(alphabet=st.sampled_from("0123456789Xx*- 一ａ１"), min_size=18, max_size=18) | st.text(
    min_size=18, max_size=18
)

valid_phones = st.one_of(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.from_regex(r"0[0-9]{2,3}-?[1-9][0-9]{6,7}", fullmatch=True),
    st.from_regex(r"[2-9][0-9]{6,7}", fullmatch=True),
)
any_phones = st.one_of(
    valid_phones,
    st.text(alphabet=st.sampled_from("0123456789-+() ＋１２３"), max_size=25),
    st.text(max_size=30),
)

# Dates as the date input sends them, and as a tampered or mistyped request does.
_FAR = st.one_of(
    st.dates(datetime.date(1, 1, 1), datetime.date(1999, 12, 31)),
    st.dates(datetime.date(2100, 1, 1), datetime.date(9999, 12, 31)),
)


def typed_dates(today: datetime.date) -> st.SearchStrategy[str]:
    """ISO dates near today, in the far past and future, and text that is no date at all."""
    return st.one_of(
        st.dates(today - datetime.timedelta(days=3650), today + datetime.timedelta(days=3650)).map(str),
        _FAR.map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}"),
        st.sampled_from(["2024-02-30", "2023-13-01", "0000-01-01", "10000-01-01", "2024/01/01", "2024年1月1日", ""]),
        st.text(max_size=20),
    )


def typed_dates_near(today: datetime.date) -> st.SearchStrategy[datetime.date]:
    return st.dates(today - datetime.timedelta(days=3650), today + datetime.timedelta(days=3650))


# Text of every kind: any unicode (control characters and NUL included), very long, whitespace only.
any_text = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Zl", "Zp"]), max_size=20),
    st.integers(0, 12000).flatmap(lambda n: st.sampled_from(["字", "a", "😀", "\u200b"]).map(lambda c: c * n)),
)
# Text a person writes: no control characters, something to say.
plain_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Co", "Cn", "Zl", "Zp"]),
    min_size=1,
    max_size=80,
).filter(lambda s: s.strip())

# Amounts: well-formed yuan, negative, zero, more than two decimals, huge, not numbers, unicode digits.
valid_amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000.00"), places=2)
any_amounts = st.one_of(
    valid_amounts.map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(min_value=Decimal("-1e6"), max_value=Decimal("0"), places=2).map(str),
    st.decimals(min_value=Decimal("0"), max_value=Decimal("1e6"), places=6).map(str),
    st.integers(min_value=10**6, max_value=10**40).map(str),
    st.sampled_from(
        [
            "0",
            "-0",
            "0.00",
            "1e999999999",
            "1e-999999999",
            "9" * 29,
            "1" * 31,
            "NaN",
            "sNaN",
            "-Infinity",
            "1_000",
            "1,000.5",
        ]
    ),
    st.sampled_from(["１２００", "١٢٠٠", "१२००", "一千二百", "¥1200", "1200元", "1200.5.5", "", " "]),
    st.text(max_size=32),
)


# --- Oracles: what the specification says is valid, written independently of wenxin/validators.py --------------

_PHONE_SPEC = re.compile(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|[2-9]\d{6,7}", re.ASCII)


def id_number_is_valid(typed: str, today: datetime.date) -> bool:
    """GB 11643: 17 digits (the first not 0), a real birth date from 1900 to today, the check character.

    Spaces are ignored, a lower-case x is read as X and full-width characters (a Chinese input method's) as
    their ASCII forms, as people type it; digits of other scripts are not ID numbers.
    """
    number = unicodedata.normalize("NFKC", typed).strip().replace(" ", "").upper()
    if not re.fullmatch(r"[1-9]\d{16}[\dX]", number, re.ASCII):
        return False
    try:
        born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return datetime.date(1900, 1, 1) <= born <= today and gb11643_check(number[:17]) == number[17]


def phone_is_valid(typed: str) -> bool:
    """A mainland mobile (11 digits from 13 to 19), a landline with its area code, or a local number."""
    return _PHONE_SPEC.fullmatch(typed.strip()) is not None


def mostly_valid(
    valid: dict[str, st.SearchStrategy], junk: dict[str, st.SearchStrategy], most: int = 2
) -> st.SearchStrategy[dict[str, Any]]:
    """A whole form's fields, each valid except up to `most` of them, which are drawn from `junk`.

    A form with every field random is refused at once by its first check; with one or two bad fields each input
    reaches the checks behind it (the service, the database), and both saving and refusing happen often.
    """
    names = sorted(junk)

    def corrupt(pair: tuple[dict[str, Any], list[str]]) -> st.SearchStrategy[dict[str, Any]]:
        fields, bad = pair
        return st.fixed_dictionaries(
            {**{name: st.just(value) for name, value in fields.items()}, **{n: junk[n] for n in bad}}
        )

    return st.tuples(
        st.fixed_dictionaries(valid), st.lists(st.sampled_from(names), max_size=most, unique=True)
    ).flatmap(corrupt)


# Short text people write, for fields with a small limit (a name: 50 characters).
written = st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"])
names = st.text(written, min_size=1, max_size=20)
