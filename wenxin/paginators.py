"""A paginator for the admin's largest lists, which counts no more rows than it must.

The admin counts its list on every page, since the page links need the number. At a city's 2,000,000 households
or 6,000,000 visits that COUNT(*) reads the whole table each time (docs/performance.md). This paginator counts at
most COUNT_LIMIT rows; a longer list is given PostgreSQL's own estimate, marked as one (`estimated`), which the
admin's pagination shows as "约 …" (templates/admin/pagination.html).
"""

from __future__ import annotations

import json

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Lists up to this long are counted exactly: reading this many rows costs a few milliseconds.
COUNT_LIMIT = 10_000


class EstimatedCountPaginator(Paginator):
    """Django's Paginator, with an estimated count for lists longer than COUNT_LIMIT on PostgreSQL.

    - The whole table (a system administrator's unfiltered list): pg_class.reltuples, which autovacuum's ANALYZE
      keeps, read without touching the table.
    - Anything narrower (a street's rows, a filter, a search): counted up to COUNT_LIMIT + 1 rows; past that, the
      planner's estimate of the query's rows (EXPLAIN), never less than what was counted.
    Elsewhere (SQLite) and where PostgreSQL has no statistics yet, the exact count.
    """

    @cached_property
    def estimated(self) -> bool:
        """Whether `count` is an estimate (then the list holds at least COUNT_LIMIT + 1 rows)."""
        return self._count[1]

    @cached_property
    def count(self) -> int:
        return self._count[0]

    @cached_property
    def _count(self) -> tuple[int, bool]:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or connections[queryset.db].vendor != "postgresql":
            return super().count, False
        if not queryset.query.where and not queryset.query.distinct and not queryset.query.is_sliced:
            rows = _table_estimate(queryset)
            if rows is not None and rows > COUNT_LIMIT:
                return rows, True
        counted = queryset.order_by()[: COUNT_LIMIT + 1].count()
        if counted <= COUNT_LIMIT:
            return counted, False
        return max(_plan_estimate(queryset), counted), True


def _table_estimate(queryset: QuerySet) -> int | None:
    """The table's row count as the statistics have it; None before the table was ever analysed."""
    with connections[queryset.db].cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [queryset.model._meta.db_table])
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] >= 0 else None


def _plan_estimate(queryset: QuerySet) -> int:
    """The rows PostgreSQL's planner expects the query to return (EXPLAIN runs nothing)."""
    sql, params = queryset.order_by().query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
