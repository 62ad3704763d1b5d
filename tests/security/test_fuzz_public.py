"""Bad input on the public opinion page (/opinion/), which anyone on the internet can post to without an account.

Any unicode, control characters, very long text, fields left out, the honeypot filled, a body larger than Django
accepts: never a 500; an opinion is stored whole (with its tracking code, its history event and its audit entry) or
not at all; a person gets a Chinese message, a bot the same thanks page as a person but nothing stored. The tracking
page is fuzzed too: any string as a code answers like an unknown code.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from feedback.models import OPINION_TEXT_MAX, Opinion
from tests.factories import CommunityFactory
from tests.security.fuzzkit import (
    CJK,
    answered,
    any_phones,
    any_text,
    business_delta,
    delta,
    examples,
    mostly_valid,
    names,
    page_form,
    phone_is_valid,
    report_inputs_tried,  # noqa: F401 - prints the inputs tried at the end
    rolled_back,
    row_counts,
    saved,
    tried,
    valid_phones,
    with_values,
)

pytestmark = pytest.mark.django_db

SUBMIT = reverse("public:submit")
THANKS = reverse("public:thanks")
TRACK = reverse("public:track")
# Characters a resident writes with: CJK, Latin, digits, punctuation, emoji; no control characters.
WRITTEN = st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"])


@pytest.fixture(autouse=True)
def no_hourly_limit(settings):
    """The fuzz sends hundreds of opinions from one address: the hourly limit is another test's subject."""
    settings.ONLINE_OPINIONS_PER_HOUR = 10**6
    settings.ONLINE_TRACKING_LOOKUPS_PER_HOUR = 10**6
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def page(places):
    """An anonymous browser on the form; the street's two communities and another street's one to choose from."""
    CommunityFactory(street=places.other_street, name="翠苑一区")
    client = Client()
    return client, page_form(client.get(SUBMIT), "text")


def normalized(text: str) -> str:
    """What is stored of a typed text: line breaks as the browser counts them, surrounding blanks trimmed."""
    return text.strip().replace("\r\n", "\n").replace("\r", "\n").strip()


def shown_code(client: Client) -> str:
    match = re.search(r"data-wx-tracking-code>(\w+)<", client.get(THANKS).content.decode())
    return match.group(1) if match else ""


def test_the_public_page_stores_an_opinion_whole_or_not_at_all(page, places):
    client, base = page
    communities = [str(pk) for pk in places.street.communities.values_list("pk", flat=True)]
    outcomes: Counter[str] = Counter()
    valid = {
        "community": st.sampled_from(communities),
        "text": st.text(WRITTEN, min_size=4, max_size=60),
        "location": st.one_of(st.just(""), names),
        "raised_by": st.one_of(st.just(""), names),
        "contact": st.one_of(st.just(""), valid_phones),
        "website": st.just(""),
    }
    # None leaves the field out of the request, as a script posting by hand would.
    junk = {
        "community": st.one_of(st.none(), st.sampled_from(["", "0", "abc", "9" * 30, "１", "\x00"])),
        "text": st.one_of(st.none(), any_text),
        "location": st.one_of(st.none(), any_text),
        "raised_by": st.one_of(st.none(), any_text),
        "contact": st.one_of(st.none(), any_phones),
        "website": st.one_of(st.none(), st.sampled_from([" ", "\u3000", "http://spam.example"]), any_text),
    }

    @given(fields=mostly_valid(valid, junk))
    @hypothesis_settings(max_examples=examples(80))
    def attempt(fields):
        tried("public opinion page")
        data = with_values(base, **fields)
        is_bot = (fields["website"] or "").strip() != ""
        with rolled_back():
            before = row_counts()
            response = client.post(SUBMIT, data)
            after = row_counts()
            if is_bot:
                # The bot is thanked like a person (an error would teach it which field to leave empty)...
                assert response.status_code == 302 and response["Location"] == THANKS
                assert delta(before, after) == {}  # ... and nothing at all is stored
                assert shown_code(client) == ""
                outcomes["bot"] += 1
                answered("public opinion page", "bot")
                return
            if not saved(response):
                assert delta(before, after) == {}
                outcomes["refused"] += 1
                answered("public opinion page", "refused")
                return
            outcomes["stored"] += 1
            answered("public opinion page", "stored")
            assert business_delta(before, after) == {"feedback.Opinion": 1, "feedback.OpinionEvent": 1}
            assert after["wenxin.AuditEntry"] > before["wenxin.AuditEntry"]
            opinion = Opinion.objects.latest("pk")
            assert opinion.source == Opinion.Source.ONLINE and str(opinion.community_id) in communities
            assert opinion.text == normalized(fields["text"]) and 4 <= len(opinion.text) <= OPINION_TEXT_MAX
            assert opinion.contact == "" or phone_is_valid(opinion.contact)
            code = shown_code(client)
            assert code == opinion.tracking_code
            assert client.get(TRACK, {"code": code}).status_code == 200

    attempt()
    assert outcomes["stored"] and outcomes["refused"], outcomes


def test_a_filled_honeypot_is_thanked_like_a_person_and_nothing_is_stored(page, places):
    """Whatever else a bot sends, a filled hidden field stores nothing and shows no code."""
    client, base = page
    communities = [str(pk) for pk in places.street.communities.values_list("pk", flat=True)]

    @given(
        website=st.text(min_size=1, max_size=40).filter(lambda text: text.strip()),
        community=st.one_of(st.sampled_from(communities), st.just("")),
        text=st.one_of(st.text(WRITTEN, min_size=4, max_size=60), any_text),
        contact=st.one_of(valid_phones, any_phones),
    )
    @hypothesis_settings(max_examples=examples(20))
    def attempt(website, community, text, contact):
        tried("public opinion page: honeypot")
        with rolled_back():
            before = row_counts()
            data = with_values(base, website=website, community=community, text=text, contact=contact)
            response = client.post(SUBMIT, data)
            assert response.status_code == 302 and response["Location"] == THANKS
            assert row_counts() == before
            assert shown_code(client) == ""
            answered("public opinion page: honeypot", "thanked, nothing stored")

    attempt()


def test_an_opinion_is_stored_exactly_when_its_text_fits(page, places):
    """Text of any length from the characters people write: stored from 4 to OPINION_TEXT_MAX, else told why."""
    client, base = page
    base = with_values(base, community=str(places.community_a.pk), contact="", website="")
    outcomes: Counter[bool] = Counter()

    @given(
        length=st.one_of(st.integers(0, 12), st.integers(OPINION_TEXT_MAX - 3, OPINION_TEXT_MAX + 3)),
        letters=st.text(WRITTEN, min_size=1, max_size=8),
        contact=st.one_of(st.just(""), valid_phones),
    )
    @hypothesis_settings(max_examples=examples(30))
    def attempt(length, letters, contact):
        tried("public opinion page: text length")
        text = (letters * (length // len(letters) + 1))[:length]
        with rolled_back():
            before = row_counts()
            response = client.post(SUBMIT, with_values(base, text=text, contact=contact))
            fits = 4 <= len(text) <= OPINION_TEXT_MAX
            assert saved(response) == fits, len(text)
            outcomes[fits] += 1
            answered("public opinion page: text length", "stored" if fits else "refused")
            if fits:
                assert Opinion.objects.latest("pk").text == text
            else:
                message = response.context["form"].errors["text"][0]
                assert CJK.search(message)
                if text:  # an empty text is "please write", a short or long one names the limit
                    assert str(4 if len(text) < 4 else OPINION_TEXT_MAX) in message
                assert row_counts() == before

    attempt()
    assert outcomes[True] and outcomes[False], outcomes


@given(code=st.one_of(any_text, st.text(max_size=50)))
@hypothesis_settings(max_examples=examples(30))
def test_any_string_as_a_tracking_code_answers_like_an_unknown_one(places, code):
    tried("public tracking page")
    response = Client().get(TRACK, {"code": code})
    assert response.status_code == 200
    page = response.content.decode()
    if code.strip():
        assert "没有找到这个查询码对应的意见" in page
    assert "Traceback" not in page


# --- The request body: what Django accepts at all ------------------------------------------------------------------


def assert_chinese_400(response) -> None:
    assert response.status_code == 400
    page = response.content.decode()
    assert CJK.search(page) and "请求" in page, page[:500]


def test_a_body_larger_than_django_accepts_is_a_clear_400_and_nothing_is_stored(page, places):
    """DATA_UPLOAD_MAX_MEMORY_SIZE as configured (the import's limit plus a megabyte): one byte more is refused."""
    client, base = page
    text = "字" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 3 + 1)  # three bytes each in UTF-8
    before = row_counts()
    data = with_values(base, community=str(places.community_a.pk), text=text)
    assert_chinese_400(client.post(SUBMIT, data))
    form_encoded = urlencode({"community": places.community_a.pk, "text": text})
    assert_chinese_400(client.post(SUBMIT, form_encoded, content_type="application/x-www-form-urlencoded"))
    assert row_counts() == before


def test_too_many_fields_is_a_clear_400_and_nothing_is_stored(page, places):
    client, base = page
    data = with_values(base, community=str(places.community_a.pk), text="楼道灯坏了两周")
    data.update({f"extra{n}": ["x"] for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)})
    before = row_counts()
    assert_chinese_400(client.post(SUBMIT, data))
    assert row_counts() == before
