"""Chinese first, whatever the browser asks for; English when the person switches to it."""

from django.urls import reverse


def test_an_english_browser_still_gets_chinese(worker_a, client_for):
    response = client_for(worker_a).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()
    assert response["Content-Language"] == "zh-hans"


def test_the_language_switch_changes_to_english_and_back(worker_a, client_for):
    client = client_for(worker_a)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("households:list")).content.decode()
    assert '<html lang="en">' in page
    assert "Household records" in page
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "户籍档案" in client.get(reverse("households:list")).content.decode()


def test_an_unknown_language_cookie_falls_back_to_chinese(worker_a, client_for, settings):
    client = client_for(worker_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert '<html lang="zh-hans">' in client.get(reverse("home")).content.decode()


def test_the_login_page_is_chinese_for_anonymous_visitors(client):
    assert "登录" in client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
