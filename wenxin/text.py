"""Small text helpers for user-facing strings in both languages."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import get_language
from django.utils.translation import gettext as _


def join_list(items: Iterable[object]) -> str:
    """Join names as a list is written in the active language: 甲、乙、丙 in Chinese, "a, b, c" in English."""
    separator = "、" if (get_language() or "zh-hans").startswith("zh") else ", "
    return separator.join(str(item) for item in items)


def join_clauses(clauses: Iterable[object]) -> str:
    """Join the clauses of one sentence: 甲；乙 in Chinese, "a; b" in English."""
    separator = "；" if (get_language() or "zh-hans").startswith("zh") else "; "
    return separator.join(str(clause) for clause in clauses)


def yes_no(value: bool) -> str:
    """是 / 否 in a table cell or a spreadsheet (Yes / No in English)."""
    return _("是") if value else _("否")
