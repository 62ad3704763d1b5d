"""The English catalogue is complete and its compiled .mo is the one in the repository."""

from __future__ import annotations

import re
import shutil
import subprocess
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
