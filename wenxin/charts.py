"""Charts as data: a page builds a Chart, the include `includes/chart.html` draws it with the vendored Chart.js
and puts its numbers in a table beside it (for screen readers, for print, and for anyone who prefers numbers).

Nothing here writes script into the page: the chart's spec travels as JSON (json_script) and static/js/charts.js
reads it, so a Content Security Policy without 'unsafe-inline' holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

# Bootstrap's colours, in the order series take them.
PALETTE = ("#0d6efd", "#198754", "#ffc107", "#dc3545", "#6f42c1", "#20c997", "#fd7e14", "#6c757d", "#0dcaf0")


@dataclass(frozen=True)
class Series:
    """One line, or one colour of bars: a label and a number per category of the chart."""

    label: str
    values: Sequence[int | float | Decimal | None]
    color: str | None = None


@dataclass(frozen=True)
class Chart:
    """A bar, line or doughnut chart of categories (labels) × series, and the same numbers as a table."""

    id: str
    title: str
    labels: Sequence[str]
    series: Sequence[Series]
    kind: Literal["bar", "line", "doughnut"] = "bar"
    horizontal: bool = False
    stacked: bool = False
    unit: str = ""  # shown after each number in the table and the tooltips, e.g. "%" or "元"
    max_value: int | None = None  # e.g. 100 for percentages
    first_column: str = ""  # the table's heading over the labels
    notes: Sequence[str] = field(default_factory=tuple)

    @property
    def json_id(self) -> str:
        return f"{self.id}-data"

    @property
    def rows(self) -> list[tuple[str, list[Any]]]:
        """The table: one row per label, one cell per series."""
        return [(label, [s.values[i] for s in self.series]) for i, label in enumerate(self.labels)]

    @property
    def is_empty(self) -> bool:
        """Nothing to draw: no categories, or nothing but zeros (the page's own table still shows them)."""
        return not self.labels or all(not any(s.values) for s in self.series)

    def spec(self) -> dict[str, Any]:
        """What static/js/charts.js needs, as plain JSON."""
        return {
            "kind": self.kind,
            "horizontal": self.horizontal,
            "stacked": self.stacked,
            "unit": self.unit,
            "max": self.max_value,
            "labels": [str(label) for label in self.labels],
            "series": [
                {
                    "label": str(s.label),
                    "values": [float(v) if v is not None else None for v in s.values],
                    "color": s.color or PALETTE[i % len(PALETTE)],
                }
                for i, s in enumerate(self.series)
            ],
        }
