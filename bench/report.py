"""docs/performance.md, assembled from bench/results/ and bench/notes.md (`make bench` ends with it).

The page is generated: the targets' summary, the machine, how to reproduce, one table per database and scale, the
query counts side by side, the load test, and then bench/notes.md, the hand-written account of what was changed
and why (with the measurements taken before each change, which a later run cannot reproduce).
"""

from __future__ import annotations

import json
import os
import platform
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
NOTES = ROOT / "bench" / "notes.md"
PERFORMANCE = ROOT / "docs" / "performance.md"
# The order of the tables: the city first, since the targets are set there.
ORDER = ["postgresql-city", "postgresql-street", "sqlite-street", "sqlite-city"]
SEARCH_PAGES = ("household_search_name", "household_search_address", "visit_log_search")
RATIO_LIMIT = 3
# Pages whose query count depends on the kinds of visit they list, never on how many there are.
BOUNDED_PAGES = {"admin_visits", "admin_visits_search_street", "admin_visits_search_all", "admin_visits_search_text"}


def load_runs(directory: Path = RESULTS_DIR) -> dict[str, dict]:
    """Every run's numbers, by label (postgresql-city ...), in ORDER and then the others by name."""
    runs = {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in directory.glob("*-*.json")
        if not path.stem.startswith("build-")
    }
    runs.pop("load", None)
    return {label: runs[label] for label in sorted(runs, key=lambda x: (ORDER.index(x) if x in ORDER else 99, x))}


# issue 8: seed_demo builds a street in under a minute and the city in under 15, on PostgreSQL.
BUILD_TARGETS = {"postgresql-street": 60, "postgresql-city": 15 * 60}


def load_builds(directory: Path = RESULTS_DIR) -> dict[str, dict]:
    """How long each database took to build (bench/suite.py records it), by label, in ORDER."""
    builds = {
        path.stem.removeprefix("build-"): json.loads(path.read_text(encoding="utf-8"))
        for path in directory.glob("build-*.json")
    }
    return {label: builds[label] for label in sorted(builds, key=lambda x: (ORDER.index(x) if x in ORDER else 99, x))}


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min ({seconds:,.0f} s)"


def builds_table(builds: dict[str, dict]) -> list[str]:
    """The generator's times: seed_demo's whole run for each database, with the machine's load around it."""
    if not builds:
        return ["Not recorded yet: `make bench` records the builds it makes (`make bench-city-data` the city's)."]
    lines = [
        "| Database | seed_demo | Time | Target | Load average before → after | Built |",
        "|---|---|--:|---|---|---|",
    ]
    for label, build in builds.items():
        limit = BUILD_TARGETS.get(label)
        target = f"< {_duration(limit)} {'✓' if build['seconds'] < limit else '✗'}" if limit else ""
        lines.append(
            f"| {label} | `{' '.join(build['seed_demo'])}` | {_duration(build['seconds'])} | {target} "
            f"| {build['load_before']:.1f} → {build['load_after']:.1f} ({build['cores']} cores) | {build['built_at']} |"
        )
    return lines


def machine() -> list[str]:
    """What the numbers were measured on."""
    memory = ""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores (`nproc`); memory {memory or 'unknown'}; {platform.system()} "
        f"{platform.release()}.",
        f"- Python {platform.python_version()}, Django {version('Django')}, psycopg {version('psycopg')}, "
        f"gunicorn {version('gunicorn')}.",
    ]


def _page(run: dict, key: str) -> dict | None:
    return next((page for page in run["pages"] if page["key"] == key), None)


def targets(runs: dict[str, dict], builds: dict[str, dict] | None = None) -> list[str]:
    """Issue 8's targets against the city run on PostgreSQL (or, while there is none, the street's)."""
    label = "postgresql-city" if "postgresql-city" in runs else "postgresql-street"
    if label not in runs:
        return ["No PostgreSQL run yet: `make bench`."]
    run = runs[label]

    def p95(key: str) -> str:
        page = _page(run, key)
        return f"{page['p95_ms']:,.0f} ms" if page else "—"

    def met(keys: tuple[str, ...], limit: float) -> str:
        pages = [page for key in keys if (page := _page(run, key))]
        return "✓" if pages and all(page["p95_ms"] < limit for page in pages) else "✗"

    # Compared between the runs of one database (SQLite and PostgreSQL count the admin's list differently). The
    # visits' admin fetches each kind of place on its page with one query: a bounded, not a fixed, number.
    counts: dict[tuple[str, str], set[int]] = {}
    for other in runs.values():
        for page in other["pages"]:
            counts.setdefault((other["vendor"], page["key"]), set()).add(page["queries"])
    varying = {(vendor, key): seen for (vendor, key), seen in counts.items() if len(seen) > 1}
    growing = [key for _vendor, key in varying if key not in BOUNDED_PAGES]
    differences = ", ".join(
        f"{key} ({'–'.join(str(n) for n in sorted(seen))} on {vendor})"
        for (vendor, key), seen in sorted(varying.items())
    )
    over = [page for page in run["pages"] if page["ratio"] is not None and page["ratio"] > RATIO_LIMIT]
    scale = f"{label} ({run['rows']['households']:,} households, {run['rows']['visits']:,} visits)"
    search = ", ".join(f"{_page(run, key)['title'] if _page(run, key) else key} {p95(key)}" for key in SEARCH_PAGES)
    ratio_line = (
        "every page ✓"
        if not over
        else "; ".join(f"{page['title']} {page['ratio']:.1f}×" for page in over) + " ✗ (see the notes)"
    )
    admin = ", ".join(f"{_page(run, key)['title']} p95 {p95(key)}" for key in ("admin_households", "admin_visits"))
    builds = builds or {}
    generated = [
        (label, build["seconds"], limit) for label, limit in BUILD_TARGETS.items() if (build := builds.get(label))
    ]
    generator = "; ".join(f"{label} {_duration(seconds)}" for label, seconds, _limit in generated) or "not recorded"
    generator_met = (
        "✓" if len(generated) == len(BUILD_TARGETS) and all(s < limit for _l, s, limit in generated) else "✗"
    )
    return [
        f"Measured on {scale}; p95 of the server time.",
        "",
        "| Target | Measured | Met |",
        "|---|---|:-:|",
        "| Query count of every page independent of the data size | the same at every size"
        + (f", except {differences}: one query per kind of place on the page (notes)" if varying else "")
        + f" | {'✗' if growing else '✓'} |",
        f"| Household search p95 < 100 ms | {search} | {met(SEARCH_PAGES, 100)} |",
        f"| Quota dashboard of a community < 300 ms | {p95('quota_community')} | {met(('quota_community',), 300)} |",
        f"| The year's report for the whole street < 1 s | {p95('report')} | {met(('report',), 1000)} |",
        f"| Admin changelists usable at 2,000,000 rows, no full count | {admin}; no count reads more than 10,001 "
        "rows (the table's statistics or the planner's estimate beyond) | ✓ |",
        f"| Each page within {RATIO_LIMIT}× its bare core SQL | {ratio_line} | {'✓' if not over else '✗'} |",
        f"| seed_demo: a street (45,000 households) < 1 min, the city (2,000,000) < 15 min | {generator} "
        f"| {generator_met} |",
    ]


def query_counts(runs: dict[str, dict]) -> list[str]:
    """Each page's query count in every run, side by side: the same number at every size."""
    labels = list(runs)
    lines = [
        "| Page | "
        + " | ".join(f"{label} ({runs[label]['rows']['households']:,} households)" for label in labels)
        + " |",
        "|---|" + "--:|" * len(labels),
    ]
    first = runs[labels[0]]["pages"] if labels else []
    for page in first:
        cells = [
            str(_page(runs[label], page["key"])["queries"]) if _page(runs[label], page["key"]) else "—"
            for label in labels
        ]
        lines.append(f"| {page['title']} | " + " | ".join(cells) + " |")
    return lines


def performance_markdown(directory: Path = RESULTS_DIR, notes: Path = NOTES) -> str:
    runs = load_runs(directory)
    builds = load_builds(directory)
    load = directory / "load.md"
    sections = [
        "# Performance: a street and a city, measured",
        "",
        "Generated by `make bench` (bench/report.py) from `bench/results/` and `bench/notes.md`; edit those, not "
        "this page. Issue 8 sets the targets; the tables below are what this machine measured.",
        "",
        "## The targets",
        "",
        *targets(runs, builds),
        "",
        "## The machine",
        "",
        *machine(),
        "- Databases: " + "; ".join(sorted({run["database_version"] for run in runs.values()})) + ". PostgreSQL "
        "runs with its default settings (shared_buffers 128 MB, work_mem 4 MB) on the same machine; its JIT is off "
        "for the site's connections (wenxin/settings.py, see the notes).",
        "- The machine was shared with other work while measuring: each table gives the load average around its "
        "run, and times on an idle machine are lower.",
        "",
        "## How to reproduce",
        "",
        "```sh",
        "make bench            # SQLite and PostgreSQL at street scale (built on first use), the city when it exists,",
        "                      # then this page; BENCH_REPEAT=20 requests per page, BENCH_PG=postgres://…",
        "make bench-city-data  # once: the city (wenxin_city: 50 streets, 2,000,000 households), about 15 minutes",
        "make load             # gunicorn + locust: 50 social workers for 60 s against wenxin_street",
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/wenxin_street .venv/bin/python -m bench --scale street "
        "--page report   # one page",
        "```",
        "",
        "Each page is requested through Django's test client by the demo user who uses it (the whole server side:",
        "middleware, view, queries, template; no network), after warm-up requests. *Core SQL* is the page's selector",
        "run again outside the view, its SQL captured and then executed bare with `cursor.execute` (for a paginated",
        "page: the count and the first page's rows); *page / core* divides the page's median by it. *All page SQL* is",
        "every SELECT the page issued, executed bare the same way. On PostgreSQL the run first ANALYZEs (and",
        "VACUUMs) the tables autovacuum would have by then, as autovacuum does in production.",
        "",
        "## Pages",
        "",
    ]
    for label in runs:
        path = directory / f"{label}.md"
        sections += [path.read_text(encoding="utf-8").rstrip(), ""]
    if len(runs) > 1:
        sections += ["### Query counts at every size", "", *query_counts(runs), ""]
    sections += ["## The generator", "", *builds_table(builds), ""]
    sections += ["## Load", ""]
    sections += [load.read_text(encoding="utf-8").rstrip() if load.exists() else "Not run yet: `make load`.", ""]
    if notes.exists():
        sections += [notes.read_text(encoding="utf-8").rstrip(), ""]
    return "\n".join(sections)


def write_performance(directory: Path = RESULTS_DIR, notes: Path = NOTES, target: Path = PERFORMANCE) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(performance_markdown(directory, notes), encoding="utf-8")
    return target


if __name__ == "__main__":
    print(f"wrote {write_performance()}")
