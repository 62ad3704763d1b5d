"""Signing in and out, the shared page frame, and the language switch."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

HOME = reverse("home")
LOGIN = reverse("login")
LOGOUT = reverse("logout")


def html_lang(text: str) -> str:
    return re.search(r'<html lang="([^"]+)"', text).group(1)


def test_the_login_page_is_in_chinese(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert html_lang(response.text) == "zh-hans"
    assert "登录" in response.text
    assert 'name="username"' in response.text


def test_it_signs_in_with_the_right_password(client, worker_a):
    response = client.post(LOGIN, {"username": "worker_a", "password": settings.DEMO_PASSWORD})
    assert response.status_code == 302
    assert response.url == HOME
    assert client.get(HOME).status_code == 200


def test_it_refuses_the_wrong_password(client, worker_a):
    response = client.post(LOGIN, {"username": "worker_a", "password": "wrong-password"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get(HOME).status_code == 302


def test_it_returns_to_the_page_asked_for(client, worker_a):
    households = reverse("households:list")
    response = client.post(
        f"{LOGIN}?next={households}",
        {"username": "worker_a", "password": settings.DEMO_PASSWORD, "next": households},
    )
    assert response.url == households


def test_a_signed_in_user_is_sent_home_from_the_login_page(client_for, worker_a):
    response = client_for(worker_a).get(LOGIN)
    assert response.status_code == 302
    assert response.url == HOME


def test_logout_is_a_post_form_and_signs_out(client_for, worker_a):
    client = client_for(worker_a)
    page = client.get(HOME).text
    assert re.search(rf'<form method="post" action="{LOGOUT}"', page)
    assert client.get(LOGOUT).status_code == 405
    response = client.post(LOGOUT)
    assert response.status_code == 302
    assert client.get(HOME).status_code == 302


def test_signed_in_pages_are_in_chinese_by_default(client_for, worker_a):
    response = client_for(worker_a).get(HOME)
    assert html_lang(response.text) == "zh-hans"
    assert "户籍档案" in response.text
    assert "文新一线工作法" in response.text


def test_the_language_switch_changes_the_page_language(client_for, worker_a):
    client = client_for(worker_a)
    page = client.get(HOME).text
    assert f'action="{reverse("set_language")}"' in page
    assert 'name="language" value="en"' in page
    response = client.post(reverse("set_language"), {"language": "en", "next": HOME})
    assert response.status_code == 302
    assert html_lang(client.get(HOME).text) == "en"
    client.post(reverse("set_language"), {"language": "zh-hans", "next": HOME})
    assert html_lang(client.get(HOME).text) == "zh-hans"


def test_the_navbar_names_the_user_and_her_role(client_for, worker_a):
    page = client_for(worker_a).get(HOME).text
    assert "张丽" in page
    assert "社工" in page


@pytest.mark.parametrize("persona", ["leader", "community_leader", "system_admin"])
def test_the_admin_link_is_offered_to_admin_site_roles(request, client_for, persona):
    page = client_for(request.getfixturevalue(persona)).get(HOME).text
    assert "Django 管理" in page


@pytest.mark.parametrize("persona", ["worker_a", "staff"])
def test_the_admin_link_is_not_offered_to_others(request, client_for, persona):
    page = client_for(request.getfixturevalue(persona)).get(HOME).text
    assert "Django 管理" not in page
    assert reverse("admin:index") not in page


def test_pages_load_nothing_from_outside(client_for, worker_a):
    """Government intranets have no internet: every script and stylesheet is ours."""
    page = client_for(worker_a).get(HOME).text
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert sources
    assert all(source.startswith(settings.STATIC_URL) or source.startswith("/static/") for source in sources)
    assert "cdn" not in page.lower()


@pytest.mark.parametrize(
    "path",
    [
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/bootstrap/bootstrap.bundle.min.js",
        "vendor/bootstrap/LICENSE",
        "vendor/htmx/htmx.min.js",
        "vendor/htmx/LICENSE",
        "css/wenxin.css",
    ],
)
def test_the_vendored_assets_are_in_the_repository(path):
    assert finders.find(path)
