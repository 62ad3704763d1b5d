"""`make bench`: the benchmark on every database and scale it can run here, then docs/performance.md.

    python -m bench.suite [--repeat N] [--only postgresql-street ...] [--no-report]

The configurations, in order:

- sqlite-street: a SQLite file of the demo street at 45,000 households (BENCH_DATA_DIR/street.sqlite3), built with
  seed_demo the first time (about a minute);
- postgresql-street: the database wenxin_street at BENCH_PG (created and seeded the same way when missing);
- postgresql-city: the database wenxin_city (2,000,000 households in 50 streets), measured when it exists; it is
  never built here, since that takes a quarter of an hour (`make bench-city-data` does it);
- sqlite-city: not measured, for the reason docs/performance.md gives.

Building a database records how long seed_demo took in bench/results/build-<label>.json. Each is migrated
first (a database seeded before the last migration gets its indexes), then measured by `python -m bench` in its
own process, since Django's settings are read once per process.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DATA_DIR = Path(os.environ.get("BENCH_DATA_DIR", Path.home() / ".cache" / "wenxin-bench"))
STREET_HOUSEHOLDS = int(os.environ.get("BENCH_STREET_HOUSEHOLDS", "45000"))
YEARS = int(os.environ.get("BENCH_YEARS", "3"))
# The city as issue 8 sizes it: fifty streets, 2,000,000 households, three years of visits.
CITY_SEED = ["--households", "2000000", "--streets", "50", "--years", str(YEARS), "--fast"]


@dataclass(frozen=True)
class Config:
    """One database at one scale."""

    label: str
    url: str
    scale: str
    seed: list[str]
    build: bool  # built here when missing (the street), or only measured when there (the city)


def configs() -> list[Config]:
    street_seed = ["--households", str(STREET_HOUSEHOLDS), "--years", str(YEARS)]
    return [
        Config("sqlite-street", f"sqlite:///{DATA_DIR / 'street.sqlite3'}", "street", street_seed, True),
        Config("postgresql-street", f"{PG}/wenxin_street", "street", street_seed, True),
        Config("postgresql-city", f"{PG}/wenxin_city", "city", CITY_SEED, False),
    ]


def _manage(url: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=url, DEBUG="True")
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=False, capture_output=True, text=True
    )


def _postgres_exists(url: str) -> bool:
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def _create_postgres(url: str) -> None:
    import psycopg
    from psycopg import sql

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def exists(config: Config) -> bool:
    if config.url.startswith("sqlite"):
        return Path(config.url.removeprefix("sqlite:///")).exists()
    return _postgres_exists(config.url)


def build(config: Config) -> None:
    """Create the database and load the demo at the configuration's size (seed_demo prints how long it took)."""
    print(f"bench: building {config.label} (seed_demo {' '.join(config.seed)})", flush=True)
    if config.url.startswith("sqlite"):
        DATA_DIR.mkdir(parents=True, exist_ok=True)
    else:
        _create_postgres(config.url)
    for args in (["migrate", "--noinput"], ["seed_demo", *config.seed]):
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        done = _manage(config.url, *args)
        seconds = time.perf_counter() - started
        print(done.stdout[-4000:], end="", flush=True)
        if done.returncode:
            raise SystemExit(f"bench: {' '.join(args)} failed on {config.label}:\n{done.stderr[-4000:]}")
    record_build(config, seconds, load_before, os.getloadavg()[0])


def record_build(config: Config, seconds: float, load_before: float, load_after: float) -> Path:
    """How long seed_demo took to build the configuration's data (bench/results/build-<label>.json), for the
    generator's targets in docs/performance.md: a street in under a minute, the city in under 15 (PostgreSQL)."""
    path = RESULTS_DIR / f"build-{config.label}.json"
    record = {
        "label": config.label,
        "scale": config.scale,
        "seed_demo": config.seed,
        "seconds": round(seconds, 1),
        "load_before": round(load_before, 2),
        "load_after": round(load_after, 2),
        "cores": os.cpu_count(),
        "built_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


def measure(config: Config, repeat: int) -> bool:
    migrated = _manage(config.url, "migrate", "--noinput")
    if migrated.returncode:
        print(f"bench: migrate failed on {config.label}:\n{migrated.stderr[-4000:]}", file=sys.stderr)
        return False
    env = dict(os.environ, DATABASE_URL=config.url)
    command = [sys.executable, "-m", "bench", "--scale", config.scale, "--repeat", str(repeat)]
    run = subprocess.run(command, cwd=ROOT, env=env, check=False)  # noqa: S603 - our own runner
    return run.returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.suite", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", "20")))
    parser.add_argument("--only", action="append", help="a configuration's label, e.g. postgresql-street")
    parser.add_argument("--no-report", action="store_true", help="leave docs/performance.md as it is")
    parser.add_argument("--build-only", action="store_true", help="build the missing databases, measure nothing")
    args = parser.parse_args(argv)
    failed = []
    for config in configs():
        if args.only and config.label not in args.only:
            continue
        if not exists(config):
            if not (config.build or args.build_only):
                print(f"bench: {config.label} skipped: no database {config.url} (make bench-city-data builds it)")
                continue
            build(config)
        if args.build_only:
            continue
        print(f"bench: measuring {config.label}", flush=True)
        if not measure(config, args.repeat):
            failed.append(config.label)
    if not (args.no_report or args.build_only):
        from bench.report import write_performance

        print(f"bench: wrote {write_performance()}")
    if failed:
        print(f"bench: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
