"""Templates keep to what a Content Security Policy without 'unsafe-inline' allows, and load nothing remote."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
# The 500 page is rendered without the template engine's context and must stand alone.
STANDALONE = {"500.html"}


def templates():
    return [p for p in TEMPLATES.rglob("*.html") if p.name not in STANDALONE]


def test_no_inline_styles_or_event_handlers():
    offenders = []
    for path in templates():
        text = path.read_text(encoding="utf-8")
        if re.search(r"\sstyle=|\son[a-z]+=|<script>(?!\s*</script>)|hx-on", text):
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []


def test_no_asset_comes_from_another_host():
    offenders = []
    for path in templates():
        if re.search(r"""(src|href)=["']https?://""", path.read_text(encoding="utf-8")):
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []
