"""The permission matrix: every URL pattern (the admin's included) x every persona x a record inside and one outside
its scope x GET and POST, against the table of tests/security/matrix_expectations.py.

The patterns are read from the URL configuration itself, so a new URL without a row fails
test_every_url_pattern_has_an_expectation, naming the pattern. For every request the matrix checks:

- the status (or where it redirects) is the table's, and never a 500;
- a refused request, and any request about a record outside the persona's scope, writes nothing to the database
  (every INSERT, UPDATE and DELETE is watched; each request runs in a savepoint that is rolled back afterwards);
- a page, spreadsheet or JSON answer names no record the persona may not see: the world's records carry tokens
  (matrix_world.py), and each token found must belong to a row of the persona's visible_to; full ID numbers appear
  only where a reveal shows them;
- a redirect never leaves the site (login and language pages are given ?next=https://evil.example/...);
- an id that does not exist answers exactly like a record outside the scope.
"""

from __future__ import annotations

import io
import itertools
import logging
import re
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.helpers import AdminForm, InlineAdminFormSet
from django.db import connection, models, transaction
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security import matrix_expectations as table
from tests.security.matrix_world import PERSONAS, World, built_world

# Which record is "outside" a persona's scope, by the level a kind of record is scoped at.
KIND_LEVEL = {
    **dict.fromkeys(
        [
            "household",
            "resident",
            "visit",
            "assistanceplan",
            "assistancemeasure",
            "assistancepair",
            "subsidy",
            "gridarea",
            "visitverification",
            "logentry",
        ],
        "area",
    ),
    **dict.fromkeys(
        [
            "community",
            "estate",
            "ownerscommittee",
            "enterprise",
            "initiative",
            "meeting",
            "opinion",
            "user",
            "quotarule",
            "cadrelink",
            "evaluation",
            "spotcheck",
            "spotcheckitem",
        ],
        "community",
    ),
    **dict.fromkeys(
        [
            "street",
            "department",
            "propertycompany",
            "pairedvillage",
            "topicmeeting",
            "assessmentrule",
            "servicedayrule",
            "servicedaymove",
            "auditentry",
        ],
        "street",
    ),
    "job": "own",
    "householdimport": "own",
}
IN_PLACE = dict.fromkeys(PERSONAS, "A") | {"worker_b": "B", "other_street_leader": "X"}
OUT_PLACE = {persona: dict.fromkeys(("area", "community", "street"), "X") for persona in PERSONAS} | {
    "worker_a": {"area": "A2", "community": "B", "street": "X"},
    "worker_b": {"area": "A", "community": "A", "street": "X"},
    "community_leader": {"area": "B", "community": "B", "street": "X"},
    "other_street_leader": dict.fromkeys(("area", "community", "street"), "A"),
}
# Whose view of the street is "the persona's whole street" (street_wide_choices): its main leader's.
STREET_OF = {persona: "leader" for persona in PERSONAS if persona not in ("anonymous", "system_admin")} | {
    "other_street_leader": "other_street_leader"
}
# Tables a request may write without changing anything anyone sees: the session (saved on every request).
ALWAYS_WRITABLE = frozenset({"django_session"})
# An export records who took which list home, whatever the filter: allowed even when the filter names a stranger.
EXPORT_RECORDS = frozenset({"wenxin_auditentry"})
WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
TOKEN = re.compile(r"QX\d{4}")
ID_NUMBER = re.compile(r"\d{17}[\dX]")
EVIL_HOST = "evil.example"

CHECKED: Counter[str] = Counter()
# Requests for an id that does not exist, and requests that wrote (allowed ones): the watch on writes works.
MISSING: Counter[str] = Counter()
WROTE: Counter[str] = Counter()
# Requests and the seconds they took, by kind of page and whether the persona uses the admin.
REQUESTS: Counter[str] = Counter()
SECONDS: Counter[str] = Counter()
ADDRESSES = itertools.count(1)


# --- The URL configuration ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    key: str  # namespaced name, or the route for an unnamed pattern
    name: str | None
    route: str
    converters: tuple[str, ...]


def url_patterns() -> list[Pattern]:
    """Every URLPattern of the project, the admin's included, with its namespaced name and converters."""
    found: list[Pattern] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str | None) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
                converters = tuple(getattr(entry.pattern, "converters", {}) or ())
                found.append(Pattern(key=name or route, name=name, route=route, converters=converters))

    walk(get_resolver(), "", None)
    return found


def admin_model_pages() -> dict[str, tuple[str, str]]:
    """URL key -> (model label, admin action) for every registered model admin's six pages."""
    pages = {}
    for model in admin.site._registry:
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        for action in ("changelist", "add", "history", "delete", "change"):
            pages[f"{prefix}_{action}"] = (opts.label_lower, action)
        pages[f"admin/{opts.app_label}/{opts.model_name}/<path:object_id>/"] = (opts.label_lower, "redirect")
    return pages


def case_for(key: str) -> table.Case | None:
    if key in table.CASES:
        return table.CASES[key]
    page = admin_model_pages().get(key)
    if page is None or page[0] not in table.ADMIN_MODELS:
        return None
    label, action = page
    model = table.ADMIN_MODELS[label]
    return table.Case(
        get=table.admin_answers(model, action, "GET"),
        post=table.admin_answers(model, action, "POST"),
        kind=model.kind,
        url=_admin_url(label, action),
        get_once=action == "changelist",
    )


def _admin_url(label: str, action: str):
    app_label, model_name = label.split(".")

    def build(world: World, persona: str, obj: Any) -> str:
        if action in ("changelist", "add"):
            return reverse(f"admin:{app_label}_{model_name}_{action}")
        if action == "redirect":
            return f"/admin/{app_label}/{model_name}/{obj.pk}/"
        return reverse(f"admin:{app_label}_{model_name}_{action}", args=[obj.pk])

    return build


PATTERNS = url_patterns()
PATTERN_KEYS = [pattern.key for pattern in PATTERNS]


# --- Requests -----------------------------------------------------------------------------------------------------


def level_of(case: table.Case) -> str | None:
    if case.kind is None:
        return None
    return case.level or KIND_LEVEL.get(case.kind)


def variants(case: table.Case) -> tuple[str, ...]:
    if case.kind is None or level_of(case) is None:
        return ("in",)
    return ("in", "out")


def record_for(world: World, case: table.Case, persona: str, variant: str) -> Any:
    if case.kind is None:
        return None
    level = level_of(case)
    if level == "own":
        owners = world.own[case.kind]
        if variant == "in":
            return owners.get(persona) or owners["worker_a"]
        return owners["leader" if persona != "leader" else "worker_a"]
    if level is None:
        return world.objects[case.kind]["A"]
    place = IN_PLACE[persona] if variant == "in" else OUT_PLACE[persona][level]
    return world.objects[case.kind][place]


class _Missing:
    """A record that does not exist: an id no row has."""

    pk = 987654321

    def __init__(self, like: Any) -> None:
        self._meta = like._meta


def build_url(world: World, case: table.Case, pattern: Pattern, persona: str, obj: Any) -> str:
    if case.url is not None:
        url = case.url(world, persona, obj)
    elif pattern.converters:
        url = reverse(pattern.name, kwargs=dict.fromkeys(pattern.converters, obj.pk))
    else:
        url = reverse(pattern.name)
    if case.query is not None:
        url += case.query(world, persona, obj)
    return url


def post_data(world: World, case: table.Case, pattern: Pattern, persona: str, obj: Any) -> dict:
    if case.data is not None:
        return case.data(world, persona, obj)
    page = admin_model_pages().get(pattern.key)
    if page and page[1] == "changelist" and obj is not None:
        # The bulk action of the list, on the record: deleting (or archiving) what one may not see must do nothing.
        action = "mark_moved_out" if page[0] == "households.household" else "delete_selected"
        return {"action": action, "_selected_action": [str(obj.pk)], "index": "0", "post": "yes"}
    if page and page[1] == "delete":
        return {"post": "yes"}
    return {}


@contextmanager
def watched_writes() -> Iterator[list[str]]:
    """The tables every INSERT, UPDATE and DELETE inside the block wrote to."""
    tables: list[str] = []

    def wrapper(execute, sql, params, many, context):
        match = WRITE.match(sql)
        if match:
            tables.append(match.group(1))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield tables


def answer_of(response: HttpResponse) -> str:
    if response.status_code in (301, 302, 303, 307, 308):
        path = urlsplit(response["Location"]).path
        if path == reverse("login"):
            return table.LOGIN
        if path == reverse("admin:login"):
            return table.ADMIN_LOGIN
        if path == reverse("admin:index"):
            return table.ADMIN_INDEX
        return table.REDIRECT
    return str(response.status_code)


def body_of(response: HttpResponse) -> bytes:
    if response.streaming:
        # Read once, kept for the checks that follow.
        response.content_read = getattr(response, "content_read", None) or b"".join(response.streaming_content)
        return response.content_read
    return response.content


def body_text(response: HttpResponse) -> str:
    content = body_of(response)
    if content[:4] == b"PK\x03\x04":  # a spreadsheet: read the XML of its sheets and shared strings
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as workbook:
                names = [name for name in workbook.namelist() if name.endswith(".xml")]
                return " ".join(workbook.read(name).decode("utf-8", "replace") for name in names)
        except zipfile.BadZipFile:
            pass
    return content.decode("utf-8", "replace")


def forms_on_page(response: HttpResponse) -> Iterator[forms.BaseForm]:
    """The forms of the page's own template context: product forms, the admin's form and its inline formsets."""
    contexts = response.context
    if not contexts:
        return
    top = contexts[0] if isinstance(contexts, list) else contexts
    values = list(top.flatten().values()) if hasattr(top, "flatten") else []
    while values:
        value = values.pop()
        if isinstance(value, forms.BaseForm):
            yield value
        elif isinstance(value, forms.BaseFormSet):
            yield from (*value.forms, value.empty_form)
        elif isinstance(value, AdminForm | InlineAdminFormSet):
            values.append(value.form if isinstance(value, AdminForm) else value.formset)
        elif isinstance(value, list | tuple) and len(value) < 50:
            values.extend(item for item in value if isinstance(item, AdminForm | InlineAdminFormSet | forms.BaseForm))


@dataclass
class Probe:
    world: World
    key: str
    case: table.Case
    pattern: Pattern
    failures: list[str]

    def send(self, persona: str, variant: str, method: str) -> HttpResponse | None:
        """One request; its answer, writes, content and redirect checked against the table."""
        world, case = self.world, self.case
        obj = record_for(world, case, persona, "in" if variant == "missing" else variant)
        if variant == "missing":
            obj = _Missing(obj)
        url = build_url(world, case, self.pattern, persona, obj)
        client = world.clients[persona]
        label = f"{self.key} {method} {url} as {persona} ({variant})"
        answers = case.get if method == "GET" else case.post
        expected = answers(persona, "out" if variant == "missing" else variant)
        try:
            with transaction.atomic():
                if case.fresh_client and persona != "anonymous":
                    client = Client()
                    client.force_login(world.users[persona])
                elif case.fresh_client:
                    client = Client()
                started = time.perf_counter()
                with watched_writes() as tables:
                    if method == "GET":
                        response = client.get(url, REMOTE_ADDR=self._address())
                    else:
                        data = post_data(world, case, self.pattern, persona, obj)
                        response = client.post(url, data, REMOTE_ADDR=self._address())
                transaction.set_rollback(True)
        except Exception as error:  # noqa: BLE001 - a 500 is what this test exists to report
            self.failures.append(f"{label}: raised {type(error).__name__}: {error}"[:500])
            return None
        (MISSING if variant == "missing" else CHECKED)[self.key] += 1
        if [t for t in tables if t not in ALWAYS_WRITABLE]:
            WROTE[self.key] += 1
        bucket = ("admin pages" if self.key.startswith("admin") else "product pages") + (
            " as a persona of the admin" if persona in table.A7 else " as another persona"
        )
        REQUESTS[bucket] += 1
        SECONDS[bucket] += time.perf_counter() - started
        got = answer_of(response)
        if expected == table.DELETED_TO_INDEX and got == table.ADMIN_INDEX:
            got = expected
        if got != expected:
            self.failures.append(f"{label}: expected {expected}, got {got}")
        self._check_writes(label, persona, variant, got, tables)
        if response.status_code in (301, 302, 303, 307, 308):
            location = urlsplit(response["Location"])
            if location.netloc and location.netloc != "testserver" or EVIL_HOST in response["Location"]:
                self.failures.append(f"{label}: redirects off the site, to {response['Location']}")
        elif response.status_code == 200:
            if self.pattern.route.endswith(".xlsx") and not body_of(response).startswith(b"PK\x03\x04"):
                self.failures.append(f"{label}: an export that is not a workbook")
            text = self._check_content(label, persona, response, echoed=set(TOKEN.findall(url)))
            self._check_found(label, persona, variant, obj, text)
            self._check_choices(label, persona, response)
        return response

    @staticmethod
    def _address() -> str:
        # A fresh client address per request: the public pages' rate limits count per address.
        n = next(ADDRESSES)
        return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"

    def _check_writes(self, label: str, persona: str, variant: str, got: str, tables: list[str]) -> None:
        written = [t for t in tables if t not in ALWAYS_WRITABLE]
        if not written:
            return
        if self.case.fresh_client:
            return  # logging out or in writes the session and axes' access log by design
        if got in table.REFUSALS:
            self.failures.append(f"{label}: refused ({got}) but wrote to {sorted(set(written))}")
        elif variant in ("out", "missing") and persona != "system_admin":  # he alone sees "out" records
            stray = [t for t in written if t not in EXPORT_RECORDS]
            if stray:
                self.failures.append(f"{label}: outside the scope but wrote to {sorted(set(stray))}")

    def _check_content(self, label: str, persona: str, response: HttpResponse, *, echoed: set[str]) -> str:
        text = body_text(response)
        visible = self.world.visible[persona]
        leaked = records_out_of_scope(self.world, persona, text, shows=self.case.shows, echoed=echoed)
        if leaked:
            self.failures.append(f"{label}: shows records outside the scope: {sorted(leaked)}")
        self._check_private(label, persona, text)
        for number in set(ID_NUMBER.findall(text)):
            resident = self.world.id_numbers.get(number)
            if resident is None:
                continue
            if not (self.case.reveals_id_numbers and resident in visible.get("households.resident", ())):
                self.failures.append(f"{label}: shows the full ID number of resident #{resident}")
        return text

    def _check_choices(self, label: str, persona: str, response: HttpResponse) -> None:
        """Every choice a form of the page offers, and so accepts, of a scoped model is a row the persona sees."""
        checked = set()
        for form in forms_on_page(response):
            for name, field in form.fields.items():
                if not isinstance(field, forms.ModelChoiceField) or (type(form), name) in checked:
                    continue
                checked.add((type(form), name))
                model = field.queryset.model
                if not hasattr(model._default_manager, "visible_to") or model._meta.label_lower in self.case.shows:
                    continue
                if isinstance(form, forms.ModelForm) and name == form._meta.model._meta.pk.name:
                    # A formset row's hidden key: Django checks it against the whole table, but a row that is not
                    # one of the (scoped) formset's own is saved as a new row, never as the other one.
                    continue
                scope = persona
                if f"{type(form).__name__}.{name}" in self.case.street_wide_choices and persona in STREET_OF:
                    scope = STREET_OF[persona]
                offered = set(field.queryset.values_list("pk", flat=True))
                extra = offered - self.world.visible_pks(scope, model)
                if extra:
                    self.failures.append(
                        f"{label}: {type(form).__name__}.{name} offers {model._meta.label} {sorted(extra)} "
                        "outside the scope"
                    )

    def _check_private(self, label: str, persona: str, text: str) -> None:
        """A birth date is the part of an ID number its mask hides: only for those who may see full numbers."""
        for shown, resident in self.world.birth_dates.items():
            if shown not in text:
                continue
            if persona not in table.SENSITIVE or resident not in self.world.visible[persona]["households.resident"]:
                self.failures.append(f"{label}: shows the birth date of resident #{resident} ({shown})")

    def _check_found(self, label: str, persona: str, variant: str, obj: Any, text: str) -> None:
        """A search finds the record when the persona may see it: the leak checks then mean something."""
        if self.case.finds is None or variant != "in":
            return
        if obj is not None and obj.pk not in self.world.visible[persona].get(obj._meta.label_lower, ()):
            return
        wanted = self.case.finds(self.world, obj)
        if wanted not in text:
            self.failures.append(f"{label}: the search did not find the record it looked for ({wanted})")


def records_out_of_scope(
    world: World, persona: str, text: str, *, shows: frozenset[str] = frozenset(), echoed: set[str] = frozenset()
) -> set[str]:
    """The tokened records named in `text` that the persona may not see (outside `shows`, a public page's own)."""
    visible = world.visible[persona]
    leaked = set()
    # A search box shows what was typed: the token in the query is no finding (the record's other tokens are).
    for token in set(TOKEN.findall(text)) - echoed:
        if token not in world.tokens:
            continue
        token_label, pk = world.tokens[token]
        base = token_label.split(":")[0]
        if pk in visible.get(base, ()):
            continue
        if ":" not in token_label and base in shows:
            continue
        leaked.add(f"{token_label}#{pk}")
    return leaked


# --- The tests ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    with built_world(django_db_blocker) as built:
        yield built


@pytest.fixture(scope="module", autouse=True)
def _quiet_refusals() -> Iterator[None]:
    """Thousands of refusals are the point here: Django logs each 403 and 404 with its traceback, which costs more
    than the request and buries the output. A 500 still raises in the test client."""
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


def test_every_url_pattern_has_an_expectation():
    missing = [key for key in PATTERN_KEYS if case_for(key) is None]
    assert not missing, "\n".join(f"add an expectation for {key}" for key in missing)


def test_every_expectation_names_a_url_pattern():
    stale = sorted(set(table.CASES) - set(PATTERN_KEYS))
    stale += sorted(set(table.ADMIN_MODELS) - {label for label, _action in admin_model_pages().values()})
    assert not stale, f"expectations for URL patterns or admin models that no longer exist: {stale}"


@pytest.mark.slow
@pytest.mark.parametrize("key", PATTERN_KEYS)
def test_the_matrix(world: World, db, key: str):
    """One URL pattern for every persona, inside and outside its scope, GET and POST; every disagreement listed."""
    case = case_for(key)
    if case is None:
        pytest.fail(f"add an expectation for {key}")
    pattern = next(p for p in PATTERNS if p.key == key)
    failures: list[str] = []
    probe = Probe(world=world, key=key, case=case, pattern=pattern, failures=failures)
    in_path = case.kind is not None and case.query is None and bool(pattern.converters)
    for persona in PERSONAS:
        for variant in variants(case):
            out_refused = {}
            for method in ("GET", "POST"):
                if method == "GET" and variant != "in" and case.get_once:
                    continue
                response = probe.send(persona, variant, method)
                if variant == "out" and response is not None:
                    out_refused[method] = answer_of(response)
            # An id that does not exist answers as the record outside the scope does, for those who may not see it.
            # (The system administrator sees every record: for him the record "outside" is in scope.)
            if in_path and persona != "system_admin" and out_refused.get("GET") in table.REFUSALS:
                probe.send(persona, "missing", "GET")
    assert not failures, f"{len(failures)} disagreements:\n" + "\n".join(failures[:60])


def autocomplete_sources() -> list[tuple[type[models.Model], models.Field]]:
    """Every relation whose target the admin searches: each is an autocomplete endpoint, declared or not (Django
    answers ?app_label=&model_name=&field_name= for any such field, not only those of autocomplete_fields)."""
    sources = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not isinstance(field, models.ForeignKey | models.ManyToManyField) or field.auto_created:
                continue
            target_admin = admin.site._registry.get(field.remote_field.model)
            if target_admin is not None and target_admin.search_fields:
                sources.append((model, field))
    return sources


def declared_autocomplete_fields() -> set[tuple[type[models.Model], str]]:
    declared = set()
    for model, model_admin in admin.site._registry.items():
        declared |= {(model, name) for name in model_admin.autocomplete_fields}
        for inline in model_admin.inlines:
            declared |= {(inline.model, name) for name in inline.autocomplete_fields}
    return declared


@pytest.mark.slow
def test_every_autocomplete_answers_only_rows_in_scope(world: World, db):
    """For every searchable relation and every persona of the admin: the ids answered are rows of the target's
    visible_to(user), page after page; an autocomplete field the admin declares answers someone something."""
    failures, answered = [], Counter()
    for model, field in autocomplete_sources():
        target = field.remote_field.model
        for persona in sorted(table.A7):
            ids, page = set(), 1
            while True:
                params = {
                    "app_label": model._meta.app_label,
                    "model_name": model._meta.model_name,
                    "field_name": field.name,
                    "term": "",
                    "page": page,
                }
                response = world.clients[persona].get(reverse("admin:autocomplete"), params)
                CHECKED["admin:autocomplete (every field)"] += 1
                if response.status_code != 200:
                    if response.status_code != 403:
                        failures.append(f"{model._meta.label}.{field.name} as {persona}: {response.status_code}")
                    break
                data = response.json()
                ids |= {str(row["id"]) for row in data["results"]}
                if not data["pagination"]["more"]:
                    break
                page += 1
            answered[(model, field.name)] += len(ids)
            manager = target._default_manager
            if not hasattr(manager, "visible_to"):
                if ids and persona != "system_admin":
                    failures.append(f"{model._meta.label}.{field.name} as {persona}: an unscoped target answered")
                continue
            allowed = {str(pk) for pk in manager.visible_to(world.users[persona]).values_list("pk", flat=True)}
            if ids - allowed:
                failures.append(
                    f"{model._meta.label}.{field.name} as {persona}: answers {target._meta.label} "
                    f"{sorted(ids - allowed)} outside the scope"
                )
    silent = [f"{m._meta.label}.{name}" for m, name in declared_autocomplete_fields() if not answered[(m, name)]]
    assert not silent, f"autocomplete fields that answered nobody anything: {silent}"
    assert not failures, "\n".join(failures)


def refused_to_field(model_admin: admin.ModelAdmin, request) -> str | None:
    """A field of the model the admin must refuse as ?_to_field= (not the key, nor the target of any relation)."""
    for field in model_admin.model._meta.concrete_fields:
        if field.primary_key or field.is_relation:
            continue
        if not model_admin.to_field_allowed(request, field.attname):
            return field.attname
    return None


@pytest.mark.slow
def test_the_admin_refuses_to_field_lookups_and_its_popups_stay_in_scope(world: World, db):
    """?_to_field= of any other field than a key answers 400 (Django's DisallowedModelAdminToField) for everyone who
    opens the list; a popup list (_popup=1, the related-object lookup) shows only rows in scope."""
    failures = []
    factory = RequestFactory()
    for model, model_admin in admin.site._registry.items():
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for persona in sorted(table.A7):
            request = factory.get(changelist)
            request.user = world.users[persona]
            may_view = model_admin.has_view_or_change_permission(request)
            field_name = refused_to_field(model_admin, request)
            if field_name is not None:
                response = world.clients[persona].get(changelist, {"_to_field": field_name, "_popup": "1"})
                CHECKED["admin changelists ?_to_field="] += 1
                if response.status_code != (400 if may_view else 403):
                    failures.append(f"{changelist}?_to_field={field_name} as {persona}: {response.status_code}")
            response = world.clients[persona].get(changelist, {"_to_field": model._meta.pk.attname, "_popup": "1"})
            CHECKED["admin changelists ?_popup=1"] += 1
            if response.status_code != (200 if may_view else 403):
                failures.append(f"{changelist}?_popup=1 as {persona}: {response.status_code}")
            elif response.status_code == 200:
                leaked = records_out_of_scope(world, persona, body_text(response))
                if leaked:
                    failures.append(f"{changelist}?_popup=1 as {persona}: shows {sorted(leaked)}")
    assert not failures, "\n".join(failures)


@pytest.mark.slow
def test_the_matrix_summary(capsys):
    """The figures docs/security.md quotes: how many combinations were checked (all of them when the module ran
    whole), and how long the requests took."""
    matrix = sum(CHECKED[key] for key in PATTERN_KEYS)
    patterns = sum(1 for key in PATTERN_KEYS if CHECKED[key])
    probes = {key: n for key, n in CHECKED.items() if key not in PATTERN_KEYS}
    with capsys.disabled():
        print(
            f"\npermission matrix: {patterns} URL patterns x {len(PERSONAS)} personas x in/out x GET/POST: "
            f"{matrix} requests checked, {sum(MISSING.values())} more for ids that do not exist; "
            f"{sum(probes.values())} probes of autocomplete, ?_to_field= and popups"
        )
        for key, n in sorted(probes.items()):
            print(f"  {n} requests of {key}")
        for bucket, n in sorted(REQUESTS.items()):
            print(f"  {bucket}: {n} requests in {SECONDS[bucket]:.0f} s")
    if patterns == len(PATTERN_KEYS):
        # The watch on writes sees the writes of allowed requests (a request that was refused wrote nothing).
        assert sum(WROTE.values()) > 0
