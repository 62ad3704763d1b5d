"""The online channel: a resident submits an opinion without logging in and follows it with a tracking code.

Stories of the resident (submit, get the code once, follow the status as staff move the opinion along) and of
the abuse the page must take without storing anything or answering 500: too long, too many, the honeypot,
guessed codes, garbage in every field.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from feedback import services
from feedback.models import OPINION_TEXT_MAX, Opinion, OpinionEvent
from feedback.throttle import client_address
from tests.factories import CommunityFactory, OpinionFactory, opinion_category

SUBMIT = reverse("public:submit")
THANKS = reverse("public:thanks")
TRACK = reverse("public:track")
NOW = 1_800_000_000.0  # 2027-01-15 08:00 UTC: the top of an hour, so a window never ends mid-test
NOT_FOUND = "没有找到这个查询码对应的意见"
RESIDENT_NAME = "刘阿姨"
RESIDENT_PHONE = "13912345678"


@pytest.fixture(autouse=True)
def fresh_limits(monkeypatch):
    """Every test starts with no attempt counted, on a clock that stands still."""
    monkeypatch.setattr("feedback.throttle._now", lambda: NOW + 10)
    cache.clear()
    yield
    cache.clear()


def form_data(community, /, **overrides) -> dict:
    data = {
        "community": str(community.pk),
        "text": "香港城小区希望增设公共晾衣架，现在没有地方晒被子。",
        "location": "香港城 5 幢南面空地",
        "raised_by": RESIDENT_NAME,
        "contact": RESIDENT_PHONE,
        "website": "",
    }
    data.update(overrides)
    return data


def submit_opinion(client: Client, community, /, **overrides) -> str:
    """Post the form and read the code off the thanks page, as the resident would."""
    response = client.post(SUBMIT, form_data(community, **overrides))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url == THANKS
    page = client.get(THANKS).content.decode()
    match = re.search(r"data-wx-tracking-code>(\w+)<", page)
    assert match, page
    return match.group(1)


def track(client: Client, code: str):
    return client.get(TRACK, {"code": code})


def tracked_text(client: Client, code: str) -> str:
    response = track(client, code)
    assert response.status_code == 200
    return response.content.decode()


# --- Submitting -------------------------------------------------------------------------------------------------


def test_a_resident_submits_without_logging_in_and_gets_a_code(places):
    client = Client()
    form = client.get(SUBMIT)
    assert form.status_code == 200
    assert places.community_a.name in form.content.decode()

    code = submit_opinion(client, places.community_a)

    opinion = Opinion.objects.get()
    assert opinion.tracking_code == code
    assert len(code) == services.TRACKING_LENGTH
    assert opinion.source == Opinion.Source.ONLINE
    assert opinion.created_by is None
    assert opinion.status == Opinion.Status.NEW
    assert opinion.street == places.street
    assert opinion.community == places.community_a
    assert opinion.location == "香港城 5 幢南面空地"
    assert (opinion.raised_by, opinion.contact) == (RESIDENT_NAME, RESIDENT_PHONE)
    event = OpinionEvent.objects.get(opinion=opinion)
    assert (event.from_status, event.to_status, event.actor) == ("", Opinion.Status.NEW, None)


def test_the_code_is_shown_once_and_never_in_a_url(places):
    client = Client()
    response = client.post(SUBMIT, form_data(places.community_a))
    code = Opinion.objects.get().tracking_code
    assert code not in response.url
    page = client.get(THANKS).content.decode()
    assert code in page
    assert f"{TRACK}?code={code}" in page  # the link to follow it

    again = client.get(THANKS)
    assert again.status_code == 302
    assert again.url == SUBMIT


def test_the_thanks_page_without_a_code_sends_to_the_form(places):
    response = Client().get(THANKS)
    assert response.status_code == 302
    assert response.url == SUBMIT


def test_only_the_community_and_the_text_are_required(places):
    client = Client()
    client.post(SUBMIT, {"community": places.community_b.pk, "text": "益乐新村路灯不亮"})
    opinion = Opinion.objects.get()
    assert (opinion.community, opinion.raised_by, opinion.contact, opinion.location) == (places.community_b, "", "", "")


def test_missing_fields_are_shown_on_the_form_and_nothing_is_stored(places):
    response = Client().post(SUBMIT, {})
    assert response.status_code == 200
    page = response.content.decode()
    assert "请选择您所在的社区或股份经济合作社。" in page
    assert "请写下您的意见建议。" in page
    assert not Opinion.objects.exists()


@pytest.mark.parametrize(
    "community_id",
    ["abc", "99999999999999999999999", "-1", "1; DROP TABLE feedback_opinion", "社区", "1.5", "\x00", "0x10"],
)
def test_a_garbage_community_is_a_form_error(places, community_id):
    response = Client().post(SUBMIT, form_data(places.community_a, community=community_id))
    assert response.status_code == 200
    assert "请从列表中选择社区或股份经济合作社。" in response.content.decode()
    assert not Opinion.objects.exists()


def test_a_community_removed_meanwhile_is_a_form_error(places):
    gone = CommunityFactory(street=places.street, name="待撤并社区")
    data = form_data(gone)
    gone.delete()
    response = Client().post(SUBMIT, data)
    assert response.status_code == 200
    assert "请从列表中选择社区或股份经济合作社。" in response.content.decode()


def test_too_long_text_is_refused_on_the_server_and_nothing_is_stored(places):
    response = Client().post(SUBMIT, form_data(places.community_a, text="很" * (OPINION_TEXT_MAX + 1)))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"意见建议最多 {OPINION_TEXT_MAX} 个字，您写了 {OPINION_TEXT_MAX + 1} 个字" in page
    assert "您写了" in page
    assert not Opinion.objects.exists()


def test_a_huge_text_is_a_form_error_not_a_crash(places):
    response = Client().post(SUBMIT, form_data(places.community_a, text="长" * 500_000))
    assert response.status_code == 200
    assert "请精简后再提交" in response.content.decode()
    assert not Opinion.objects.exists()


def test_a_line_break_counts_as_one_character_as_the_browser_counted_it(places):
    text = "\r\n".join(["路灯不亮"] * 400)  # 1999 characters in the browser, 2398 as sent
    assert len(text.replace("\r\n", "\n")) <= OPINION_TEXT_MAX < len(text)
    Client().post(SUBMIT, form_data(places.community_a, text=text))
    assert Opinion.objects.get().text == text.replace("\r\n", "\n")


def test_a_text_too_short_to_act_on_is_refused(places):
    response = Client().post(SUBMIT, form_data(places.community_a, text="  好 "))
    assert "请写得具体一些" in response.content.decode()
    assert not Opinion.objects.exists()


def test_over_long_optional_fields_and_a_bad_phone_are_form_errors(places):
    response = Client().post(
        SUBMIT, form_data(places.community_a, location="楼" * 201, raised_by="名" * 51, contact="12345")
    )
    page = response.content.decode()
    assert "具体位置最多 200 个字。" in page
    assert "称呼最多 50 个字。" in page
    assert "电话号码格式不正确" in page
    assert RESIDENT_NAME not in page  # what she typed is kept: the over-long name, not the fixture's
    assert "楼" * 201 in page
    assert not Opinion.objects.exists()


def test_a_phone_typed_with_spaces_is_stored_as_one_number(places):
    Client().post(SUBMIT, form_data(places.community_a, contact="139 1234 5678"))
    assert Opinion.objects.get().contact == RESIDENT_PHONE


def test_any_unicode_is_stored_and_a_nul_character_is_a_form_error(places):
    client = Client()
    client.post(SUBMIT, form_data(places.community_a, text="楼道灯坏了 💡 Ünïcödé ‮ test", raised_by="😀"))
    assert Opinion.objects.get().raised_by == "😀"
    response = client.post(SUBMIT, form_data(places.community_a, text="路灯\x00不亮了"))
    assert response.status_code == 200
    assert Opinion.objects.count() == 1


def test_the_form_needs_a_csrf_token(places):
    client = Client(enforce_csrf_checks=True)
    refused = client.post(SUBMIT, form_data(places.community_a))
    assert refused.status_code == 403
    client.get(SUBMIT)
    token = client.cookies["csrftoken"].value
    accepted = client.post(SUBMIT, {**form_data(places.community_a), "csrfmiddlewaretoken": token})
    assert accepted.status_code == 302
    assert Opinion.objects.count() == 1


def test_the_page_shows_no_staff_links_to_a_visitor(places):
    page = Client().get(SUBMIT).content.decode()
    assert reverse("households:list") not in page
    assert reverse("visits:diary") not in page
    assert "退出登录" not in page


def test_the_honeypot_has_a_label_for_people_and_stays_out_of_their_way(places):
    page = Client().get(SUBMIT).content.decode()
    field = re.search(r'<input[^>]*name="website"[^>]*>', page).group(0)
    assert 'tabindex="-1"' in field
    assert 'autocomplete="off"' in field
    assert "请勿填写此项" in page
    assert re.search(r'<div class="visually-hidden">\s*<div[^>]*id="div_id_website"', page)


def test_communities_are_grouped_by_street_only_when_there_are_several(places):
    one_street = Client().get(SUBMIT).content.decode()
    assert "<optgroup" not in one_street
    cooperative = CommunityFactory(street=places.other_street, name="翠苑股份经济合作社", kind="cooperative")
    two_streets = Client().get(SUBMIT).content.decode()
    assert f'<optgroup label="{places.other_street.name}">' in two_streets
    assert f'<optgroup label="{places.street.name}">' in two_streets
    assert cooperative.name in two_streets


def test_an_opinion_for_a_community_of_another_street_goes_to_that_street(places):
    other = CommunityFactory(street=places.other_street, name="翠苑一区")
    Client().post(SUBMIT, form_data(other))
    assert Opinion.objects.get().street == places.other_street


# --- The honeypot -----------------------------------------------------------------------------------------------


def test_a_filled_honeypot_looks_like_success_but_stores_nothing_and_gives_no_code(places):
    client = Client()
    response = client.post(SUBMIT, form_data(places.community_a, website="http://spam.example"))
    assert response.status_code == 302
    assert response.url == THANKS
    page = client.get(THANKS)
    assert page.status_code == 200
    assert "我们已收到您的提交。" in page.content.decode()
    assert "data-wx-tracking-code" not in page.content.decode()
    assert not Opinion.objects.exists()
    assert not OpinionEvent.objects.exists()


def test_a_bot_filling_the_honeypot_is_counted_against_the_limit(places, settings):
    client = Client()
    for _attempt in range(settings.ONLINE_OPINIONS_PER_HOUR):
        client.post(SUBMIT, form_data(places.community_a, website="x"))
    assert client.post(SUBMIT, form_data(places.community_a)).status_code == 429
    assert not Opinion.objects.exists()


# --- Too many ---------------------------------------------------------------------------------------------------


def test_the_sixth_opinion_in_an_hour_from_one_address_is_refused(places, settings):
    assert settings.ONLINE_OPINIONS_PER_HOUR == 5
    client = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(5):
        assert client.post(SUBMIT, form_data(places.community_a, text=f"第{n}条意见：路灯不亮")).status_code == 302

    refused = client.post(SUBMIT, form_data(places.community_a, text="第六条意见：路灯不亮"))
    assert refused.status_code == 429
    assert "同一网络一小时内提交的意见已达上限" in refused.content.decode()
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert Opinion.objects.count() == 5

    neighbour = Client(REMOTE_ADDR="203.0.113.8")
    assert neighbour.post(SUBMIT, form_data(places.community_a)).status_code == 302
    assert Opinion.objects.count() == 6


def test_the_limit_starts_again_the_next_hour(places, settings, monkeypatch):
    settings.ONLINE_OPINIONS_PER_HOUR = 1
    client = Client()
    client.post(SUBMIT, form_data(places.community_a))
    assert client.post(SUBMIT, form_data(places.community_a)).status_code == 429
    monkeypatch.setattr("feedback.throttle._now", lambda: NOW + 3600 + 10)
    assert client.post(SUBMIT, form_data(places.community_a)).status_code == 302
    assert Opinion.objects.count() == 2


def test_correcting_a_mistake_in_the_form_does_not_use_up_the_hour(places, settings):
    client = Client()
    for _attempt in range(settings.ONLINE_OPINIONS_PER_HOUR + 2):
        assert client.post(SUBMIT, form_data(places.community_a, contact="12345")).status_code == 200
    assert client.post(SUBMIT, form_data(places.community_a)).status_code == 302


def test_over_the_limit_even_a_broken_form_is_answered_429(places, settings):
    settings.ONLINE_OPINIONS_PER_HOUR = 1
    client = Client()
    client.post(SUBMIT, form_data(places.community_a))
    assert client.post(SUBMIT, {"community": "abc"}).status_code == 429
    # Reading the form is never limited.
    assert client.get(SUBMIT).status_code == 200


def test_behind_a_proxy_the_address_comes_from_its_header(places, settings):
    settings.ONLINE_OPINIONS_PER_HOUR = 1
    settings.ONLINE_CLIENT_ADDRESS_HEADER = "HTTP_X_REAL_IP"
    first = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="198.51.100.1")
    second = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="198.51.100.2")
    assert first.post(SUBMIT, form_data(places.community_a)).status_code == 302
    assert first.post(SUBMIT, form_data(places.community_a)).status_code == 429
    assert second.post(SUBMIT, form_data(places.community_a)).status_code == 302


def test_addresses_are_counted_by_client(rf, settings):
    def address(remote: str, **headers) -> str:
        return client_address(rf.get("/", REMOTE_ADDR=remote, **headers))

    assert address("203.0.113.7") == "203.0.113.7"
    # One IPv6 household is one /64, however many addresses its router gives out.
    assert address("2001:db8:1:2::a") == address("2001:db8:1:2:ffff::b") == "2001:db8:1:2::"
    assert address("2001:db8:1:3::a") != address("2001:db8:1:2::a")
    assert address("::ffff:203.0.113.7") == "203.0.113.7"
    assert address("not an address") == "unknown"
    # Without the setting a forged header is ignored.
    assert address("203.0.113.7", HTTP_X_REAL_IP="198.51.100.9") == "203.0.113.7"
    settings.ONLINE_CLIENT_ADDRESS_HEADER = "HTTP_X_FORWARDED_FOR"
    assert address("10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.9") == "198.51.100.9"
    assert address("10.0.0.1") == "10.0.0.1"


# --- Tracking ---------------------------------------------------------------------------------------------------


def test_tracking_follows_the_status_as_staff_move_the_opinion_along(places, community_leader, worker_a):
    client = Client()
    code = submit_opinion(client, places.community_a)
    opinion = Opinion.objects.get()

    page = tracked_text(client, code)
    assert "收到待处理" in page
    assert timezone.localdate().strftime("%Y-%m-%d") in page

    category = opinion_category("市容市貌")
    services.opinion_sort(actor=community_leader, opinion=opinion, category=category, note="内部备注：先查产权")
    page = tracked_text(client, code)
    assert "收到待处理" in page
    assert "市容市貌" in page

    due = timezone.localdate() + datetime.timedelta(days=20)
    services.opinion_assign(
        actor=community_leader, opinion=opinion, responsible=worker_a, due_on=due, note="内部备注：找物业协调"
    )
    page = tracked_text(client, code)
    assert "正在办理" in page
    assert due.strftime("%Y-%m-%d") in page

    services.opinion_start(actor=worker_a, opinion=opinion)
    assert "正在办理" in tracked_text(client, code)

    services.opinion_resolve(actor=worker_a, opinion=opinion, resolution="已在 5 幢南面安装公共晾衣架。")
    page = tracked_text(client, code)
    assert "已解决" in page
    assert "已在 5 幢南面安装公共晾衣架。" in page
    assert timezone.localdate().strftime("%Y-%m-%d") in page

    for private in (RESIDENT_NAME, RESIDENT_PHONE, community_leader.full_name, worker_a.full_name, "内部备注"):
        assert private not in page


def test_an_explained_opinion_shows_the_explanation_given(places, leader, worker_a):
    client = Client()
    code = submit_opinion(client, places.community_a, text="希望在文新小学对面增设休闲长椅。")
    opinion = Opinion.objects.get()
    services.opinion_sort(actor=leader, opinion=opinion, category=opinion_category("市容市貌"))
    services.opinion_assign(
        actor=leader, opinion=opinion, responsible=worker_a, due_on=timezone.localdate() + datetime.timedelta(days=5)
    )
    services.opinion_start(actor=worker_a, opinion=opinion)
    services.opinion_explain(actor=worker_a, opinion=opinion, explanation="人行道宽度不足，无法安装，已电话告知。")
    page = tracked_text(client, code)
    assert "已答复" in page
    assert "人行道宽度不足，无法安装，已电话告知。" in page
    assert leader.full_name not in page
    assert worker_a.full_name not in page


def test_a_split_opinion_shows_each_part_by_its_own_status(places, leader, worker_a):
    client = Client()
    code = submit_opinion(client, places.community_a, text="路灯不亮，垃圾桶也不够。")
    opinion = Opinion.objects.get()
    first, second = services.opinion_split(
        actor=leader,
        opinion=opinion,
        parts=[
            ("分项文字甲：路灯", opinion_category("市容市貌")),
            ("分项文字乙：垃圾桶", opinion_category("环境卫生")),
        ],
    )
    services.opinion_assign(
        actor=leader, opinion=first, responsible=worker_a, due_on=timezone.localdate() + datetime.timedelta(days=3)
    )
    services.opinion_start(actor=worker_a, opinion=first)
    services.opinion_resolve(actor=worker_a, opinion=first, resolution="路灯已修复。")

    page = tracked_text(client, code)
    assert page.count("data-wx-public-part") == 2
    assert "已解决" in page and "收到待处理" in page
    assert "路灯已修复。" in page
    assert "市容市貌" in page and "环境卫生" in page
    assert "正在办理" in page  # the whole is in hand once one part is taken up
    for private in ("分项文字甲", "分项文字乙", RESIDENT_NAME, RESIDENT_PHONE, leader.full_name, worker_a.full_name):
        assert private not in page


def test_a_split_opinion_is_resolved_when_all_its_parts_are_closed(places, leader):
    client = Client()
    code = submit_opinion(client, places.community_a)
    opinion = Opinion.objects.get()
    parts = services.opinion_split(
        actor=leader, opinion=opinion, parts=[("甲", opinion_category()), ("乙", opinion_category())]
    )
    for part, close in zip(parts, (services.opinion_resolve, services.opinion_explain), strict=True):
        services.opinion_assign(
            actor=leader, opinion=part, responsible=leader, due_on=timezone.localdate() + datetime.timedelta(days=3)
        )
        services.opinion_start(actor=leader, opinion=part)
        kwarg = "resolution" if close is services.opinion_resolve else "explanation"
        close(actor=leader, opinion=part, **{kwarg: "办结说明"})
    page = tracked_text(client, code)
    heading = re.search(r'<h2 id="record-heading".*?</h2>', page, re.S).group(0)
    assert "已解决" in heading


def test_the_code_is_read_whatever_the_case_spaces_or_full_width(places):
    client = Client()
    code = submit_opinion(client, places.community_a)
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in code.lower())
    for typed in (code.lower(), f"  {code[:4]} {code[4:]} ", f"{code[:4]}-{code[4:]}", full_width):
        page = tracked_text(client, typed)
        assert NOT_FOUND not in page, typed
        assert "收到待处理" in page


@pytest.mark.parametrize(
    "code",
    ["ZZZZZZZZ", "abc", "!!!!", "O0O0O0O0", "查询码查询码查询码", "A" * 5000, "' OR 1=1 --", "\x00\x01", "%00"],
)
def test_an_unknown_or_malformed_code_gets_the_same_plain_answer(places, code):
    OpinionFactory(community=places.community_a)  # an opinion there is, but not online and without a code
    response = track(Client(), code)
    assert response.status_code == 200
    page = response.content.decode()
    assert NOT_FOUND in page
    assert "data-wx-public-record" not in page
    assert 'name="code"' in page  # the form again


def test_a_code_shows_its_own_opinion_and_no_other(places):
    client = Client()
    mine = submit_opinion(client, places.community_a, text="我的意见：楼道灯坏了。")
    submit_opinion(client, places.community_b, text="别人的意见：小区停车难。")
    page = tracked_text(client, mine)
    assert page.count("data-wx-public-record") == 1
    assert mine in page
    assert "别人的意见" not in page
    assert Opinion.objects.get(text__startswith="别人").tracking_code not in page


def test_the_empty_tracking_form_and_an_empty_code_are_not_lookups(places, settings):
    settings.ONLINE_TRACKING_LOOKUPS_PER_HOUR = 1
    client = Client()
    assert client.get(TRACK).status_code == 200
    empty = client.get(TRACK, {"code": "   "})
    assert empty.status_code == 200
    assert "请输入查询码。" in empty.content.decode()
    assert NOT_FOUND in track(client, "ZZZZZZZZ").content.decode()
    assert track(client, "ZZZZZZZZ").status_code == 429


def test_too_many_lookups_from_one_address_are_refused(places, settings):
    assert settings.ONLINE_TRACKING_LOOKUPS_PER_HOUR == 30
    guesser = Client(REMOTE_ADDR="203.0.113.66")
    for n in range(30):
        assert track(guesser, f"ZZZZZZ{n:02d}").status_code == 200
    refused = track(guesser, "ZZZZZZZZ")
    assert refused.status_code == 429
    assert "同一网络一小时内的查询次数已达上限" in refused.content.decode()

    resident = Client(REMOTE_ADDR="203.0.113.67")
    code = submit_opinion(resident, places.community_a)
    assert "收到待处理" in tracked_text(resident, code)
    # Even the right code is refused to the address that used up its lookups.
    assert track(guesser, code).status_code == 429


def test_tracking_a_split_opinion_takes_a_few_queries_whatever_its_parts(places, leader, django_assert_max_num_queries):
    client = Client()
    code = submit_opinion(client, places.community_a)
    opinion = Opinion.objects.get()
    services.opinion_split(actor=leader, opinion=opinion, parts=[(f"第{n}项", opinion_category()) for n in range(30)])
    with django_assert_max_num_queries(3):
        page = tracked_text(client, code)
    assert page.count("data-wx-public-part") == 30


def test_staff_logged_in_may_use_the_public_pages_too(places, client_for, worker_a):
    client = client_for(worker_a)
    assert client.get(SUBMIT).status_code == 200
    code = submit_opinion(client, places.community_a)
    assert Opinion.objects.get().created_by is None
    assert "收到待处理" in tracked_text(client, code)


def test_the_login_page_links_to_the_online_channel(db):
    page = Client().get(reverse("login")).content.decode()
    assert "居民在线反映意见" in page
    assert f'href="{SUBMIT}"' in page


@pytest.mark.parametrize("url", [SUBMIT, THANKS, TRACK])
def test_other_methods_are_refused(db, url):
    assert Client().put(url).status_code == 405
