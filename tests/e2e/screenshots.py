"""The README's screenshots, taken from the demo street: `make screenshots` (WENXIN_SCREENSHOTS=docs/screenshots).

Not a test of the suite (its name keeps it out of `make test`): run it by its path, with WENXIN_SCREENSHOTS naming
the folder to write to. Phone pages are 390 px wide, desktop pages
1280x800; each PNG is squeezed with pngquant where it is installed (apt-get install pngquant), so the README
stays light. The test also checks that every page it photographs answers with its own heading.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from feedback.models import Opinion
from households import demo
from households.models import Household
from visits.periods import Quarter
from wenxin.models import User

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests skipped: Playwright is not installed")
expect = sync_api.expect

TARGET = os.environ.get("WENXIN_SCREENSHOTS", "")

pytestmark = pytest.mark.skipif(
    not TARGET, reason="screenshots are taken only with WENXIN_SCREENSHOTS=docs/screenshots (make screenshots)"
)


@pytest.fixture
def folder() -> Path:
    path = Path(TARGET)
    path = path if path.is_absolute() else Path(settings.BASE_DIR) / path
    path.mkdir(parents=True, exist_ok=True)
    return path


def squeeze(path: Path) -> None:
    """Reduce the PNG to a palette image with pngquant, where installed; screenshots of pages lose nothing seen."""
    pngquant = shutil.which("pngquant")
    if pngquant is None:
        return
    subprocess.run(
        [pngquant, "--force", "--skip-if-larger", "--strip", "--quality", "65-90", "--output", str(path), str(path)],
        check=False,
    )


def test_take_the_readme_screenshots(open_page, log_in, folder):
    demo.build_demo()  # the street `make run` shows
    users = {user.username: user for user in User.objects.filter(username__in=["worker", "chief", "leader"])}

    def shoot(page, name: str, heading: str) -> None:
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        page.screenshot(path=str(folder / name), animations="disabled", caret="hide")
        squeeze(folder / name)

    # A social worker on her phone: her quarter, then logging a visit to a household she searched for.
    phone = open_page("phone")
    log_in(phone, users["worker"])
    shoot(phone, "worker-home.png", "您好")
    households = Household.objects.visible_to(users["worker"]).active().with_head_name()
    household = households.filter(head_name__isnull=False).first()
    phone.goto(reverse("visits:log"))
    phone.locator("#household-q").fill(household.head_name)
    expect(phone.locator("#household-results [data-wx-pick-item]").first).to_be_visible()
    phone.locator("#household-q").scroll_into_view_if_needed()
    shoot(phone, "log-visit.png", "记录走访")

    # A section chief at his desk: the quarter's quota of every worker.
    chief = open_page("desktop")
    log_in(chief, users["chief"])
    chief.goto(reverse("visits:quota"))
    shoot(chief, "quota-dashboard.png", "走访指标")

    # The street's leader: the year's work report, an opinion with its history, the cadence calendar, last
    # quarter's scorecard.
    leader = open_page("desktop")
    log_in(leader, users["leader"])
    leader.goto(reverse("report"))
    leader.wait_for_load_state("networkidle")  # the charts are drawn once their script has run
    shoot(leader, "report.png", "")
    opinion = Opinion.objects.filter(text__contains="晾衣架", parent=None).order_by("pk").first()
    leader.goto(reverse("feedback:detail", args=[opinion.pk]))
    shoot(leader, "opinion.png", "")
    leader.goto(reverse("feedback:cadence"))
    shoot(leader, "cadence.png", "")
    leader.goto(reverse("assessment:scorecard") + f"?quarter={Quarter.current().previous().slug}")
    shoot(leader, "scorecard.png", "")

    # A resident, without an account, on her phone.
    resident = open_page("phone")
    resident.goto(reverse("public:submit"))
    shoot(resident, "public-opinion.png", "居民在线反映意见")

    written = {path.name for path in folder.glob("*.png")}
    assert {
        "worker-home.png",
        "log-visit.png",
        "quota-dashboard.png",
        "opinion.png",
        "cadence.png",
        "scorecard.png",
        "public-opinion.png",
        "report.png",
    } <= written
