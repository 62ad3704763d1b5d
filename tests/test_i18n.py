"""The English catalogue is complete and its compiled .mo is the one in the repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOGUE.with_suffix(".mo")


def po_entries(text: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of every entry but the header, with plural forms folded into msgstr."""
    entries = []
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        if not lines or all(line.startswith("#~") for line in lines):
            continue
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields: dict[str, str] = {}
        current = None
        for line in lines:
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', line)
            if match:
                current = match.group(1)
                fields[current] = match.group(2)
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        msgid = fields.get("msgid", "")
        if msgid == "":
            continue  # the header
        msgstr = " ".join(value for key, value in fields.items() if key.startswith("msgstr"))
        entries.append((msgid, msgstr, fuzzy))
    return entries


def test_every_string_has_an_english_translation():
    entries = po_entries(CATALOGUE.read_text(encoding="utf-8"))
    assert len(entries) > 100
    missing = [msgid for msgid, msgstr, fuzzy in entries if not msgstr.strip() or fuzzy]
    assert missing == []


def test_no_english_translation_still_contains_chinese():
    entries = po_entries(CATALOGUE.read_text(encoding="utf-8"))
    # Proper names of the domain may stay Chinese only where the English text also says what they are.
    untranslated = [msgid for msgid, msgstr, _fuzzy in entries if re.fullmatch(r"[^A-Za-z]*", msgstr)]
    assert untranslated == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext (msgfmt) is not installed")
def test_the_committed_mo_is_compiled_from_the_po(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(CATALOGUE)], check=True)
    assert fresh.read_bytes() == COMPILED.read_bytes(), "run `make messages` and commit locale/"


def test_domain_words_translate():
    with translation.override("en"):
        assert translation.gettext("社工") == "Social worker"
        assert translation.gettext("小区") == "Estate"
        assert translation.gettext("网格") == "Grid area"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed")
def test_every_marked_string_is_in_the_catalogue(tmp_path):
    """Extract the strings afresh in a copy of the source tree: none may be missing from the committed catalogue."""
    for name in ("manage.py", "wenxin", "households", "visits", "feedback", "assessment", "templates", "locale"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            shutil.copy(source, tmp_path / name)
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "--locale",
            "en",
            "--no-obsolete",
            "--no-location",
            "--verbosity",
            "0",
        ],
        cwd=tmp_path,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "wenxin.settings"},
    )
    extracted = {msgid for msgid, _s, _f in po_entries((tmp_path / CATALOGUE.relative_to(ROOT)).read_text("utf-8"))}
    committed = {msgid for msgid, _s, _f in po_entries(CATALOGUE.read_text(encoding="utf-8"))}
    assert sorted(extracted - committed) == [], "run `make messages` and translate the new strings"
