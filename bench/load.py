"""The load test (`make load`): gunicorn on 127.0.0.1 against PostgreSQL, 50 social workers for 60 seconds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wenxin_street python -m bench.load

1. Counts the visits already stored, and picks LOAD_USERS distinct social workers of the demo street.
2. Starts gunicorn (production settings: DEBUG off; LOAD_WORKERS processes of LOAD_THREADS threads, gthread) on a
   free port of 127.0.0.1, and waits for it to answer.
3. Runs locust headless (bench/locustfile.py) for LOAD_SECONDS: each user signs in, then logs visits through the
   form and opens her pages. Locust itself stops after the time given; gunicorn is stopped after it.
4. Checks: no request failed, and the visits stored since step 1 are exactly the visits acknowledged (302).
5. Writes bench/results/load.md (and .json): throughput, median, p95 and p99 per request and in all.

Traffic goes to 127.0.0.1 only, and every step has a time limit. Exit status 0 only when both checks hold.
"""

from __future__ import annotations

import csv
import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
VENV_BIN = Path(sys.executable).parent

USERS = int(os.environ.get("LOAD_USERS", "50"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))
WORKERS = int(os.environ.get("LOAD_WORKERS", "4"))
THREADS = int(os.environ.get("LOAD_THREADS", "4"))
SPAWN_RATE = float(os.environ.get("LOAD_SPAWN_RATE", "10"))
# Seconds to wait for gunicorn to answer, and beyond the run for locust to finish.
START_TIMEOUT = 60
GRACE = 60
# What the simulated workers write as the situation (bench/locustfile.py), so their visits can be told apart.
LOAD_TEXT = "负载测试：家中情况正常。"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wenxin.settings")
    import django

    django.setup()


def _visit_count() -> int:
    from visits.models import Visit

    return Visit.objects.count()


def _last_visit_id() -> int:
    from visits.models import Visit

    return Visit.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _remove_load_visits(after_id: int) -> int:
    """Delete the visits the run logged, so the next benchmark measures the street as seeded."""
    from visits.models import Visit

    _total, per_model = Visit.objects.filter(pk__gt=after_id, situation=LOAD_TEXT).delete()
    return per_model.get(Visit._meta.label, 0)


def _workers() -> list[str]:
    """Social workers of the demo street with households, `worker` and `worker2` first."""
    from django.db.models import Count

    from households.demo import STREET_NAME
    from wenxin.models import User
    from wenxin.roles import Role

    workers = (
        User.objects.filter(role=Role.SOCIAL_WORKER, is_active=True, street__name=STREET_NAME)
        .annotate(areas=Count("grid_areas"))
        .filter(areas__gt=0)
        .order_by("username")
        .values_list("username", flat=True)
    )
    names = list(workers)
    names.sort(key=lambda name: (name not in ("worker", "worker2"), name))
    return names[:USERS]


def _server_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="False",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        # Plain HTTP on the loopback: production's TLS redirect and HSTS belong to the proxy in front.
        SECURE_SSL_REDIRECT="False",
        SECURE_HSTS_SECONDS="0",
        # Connections kept between requests, as docs/deploy.md recommends for production.
        CONN_MAX_AGE=env.get("CONN_MAX_AGE", "60"),
        LOG_LEVEL="WARNING",
    )
    return env


def _wait_until_up(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"load: gunicorn stopped at once (status {server.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own 127.0.0.1 server
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"load: gunicorn did not answer {url} within {START_TIMEOUT} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _read_stats(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as rows:
        return list(csv.DictReader(rows))


def _ms(value: str) -> str:
    try:
        return f"{float(value):,.0f}"
    except ValueError:
        return value or "—"


def _percentiles(values: list[float]) -> dict[str, float]:
    """Median, p95 and p99 (nearest rank) in milliseconds."""
    if not values:
        return {}
    ordered = sorted(values)

    def rank(share: float) -> float:
        return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)], 1)

    return {"n": len(ordered), "median": rank(0.5), "p95": rank(0.95), "p99": rank(0.99)}


def markdown(result: dict) -> str:
    """The run as markdown: the checks, then one row per request and the total."""
    work_all = result["all_ms"] or {"median": 0, "p95": 0, "p99": 0}
    work = result["work_ms"] or {"median": 0, "p95": 0, "p99": 0}
    steady = result["steady_ms"]
    lines = [
        f"### Load: {result['users']} social workers for {result['seconds']} s",
        "",
        f"gunicorn {result['gunicorn']} on 127.0.0.1 (`-k gthread -w {result['workers']} --threads "
        f"{result['threads']}`, DEBUG off, CONN_MAX_AGE={result['conn_max_age']}) against {result['database']}; "
        f"locust {result['locust']} in the same machine, {result['wait']} s between a user's steps. "
        f"Measured {result['started_at']}, load average before the run {result['load_before']}.",
        "",
        f"- Requests: {result['requests']:,}, failures: **{result['failures']}**; throughput "
        f"**{result['rps']:.1f} requests/s**.",
        f"- Response time of every request: median {work_all['median']:,.0f} ms, p95 {work_all['p95']:,.0f} ms, "
        f"**p99 {work_all['p99']:,.0f} ms**; without the {result['users']} sign-ins (a deliberately slow password "
        f"hash, once per user): median {work['median']:,.0f} ms, p95 {work['p95']:,.0f} ms, "
        f"**p99 {work['p99']:,.0f} ms**.",
        f"- Steady state, the last {result['steady_seconds']:.0f} s after the last sign-in: {steady.get('n', 0):,} "
        f"requests, median {steady.get('median', 0):,.0f} ms, p95 {steady.get('p95', 0):,.0f} ms, "
        f"**p99 {steady.get('p99', 0):,.0f} ms**.",
        f"- Visits acknowledged (302 after the form's POST): {result['acknowledged']:,}; visits stored during the "
        f"run: {result['stored']:,} — **{'equal' if result['acknowledged'] == result['stored'] else 'NOT equal'}**.",
        "",
        "| Request | Count | Failures | Median ms | p95 ms | p99 ms | Max ms | Requests/s |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in result["rows"]:
        name = "**All**" if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}".strip()
        lines.append(
            f"| {name} | {int(row['Request Count']):,} | {row['Failure Count']} | {_ms(row['50%'])} "
            f"| {_ms(row['95%'])} | {_ms(row['99%'])} | {_ms(row['Max Response Time'])} "
            f"| {float(row['Requests/s']):.1f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        print("load: DATABASE_URL must name a PostgreSQL database with the demo street", file=sys.stderr)
        return 2
    _setup_django()
    from django.conf import settings

    usernames = _workers()
    if len(usernames) < USERS:
        print(f"load: the demo street has {len(usernames)} social workers with households, {USERS} needed")
        return 2
    before = _visit_count()
    last_id = _last_visit_id()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = _server_env(database_url)
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    from django.utils import timezone

    started_at = f"{timezone.localtime():%Y-%m-%d %H:%M} ({timezone.get_current_timezone_name()})"
    with tempfile.TemporaryDirectory(prefix="wenxin-load-") as tmp:
        server = subprocess.Popen(  # noqa: S603 - our own interpreter's gunicorn, fixed arguments
            [
                str(VENV_BIN / "gunicorn"),
                "wenxin.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--worker-class",
                "gthread",
                "--workers",
                str(WORKERS),
                "--threads",
                str(THREADS),
                "--timeout",
                "60",
                # Longer than a user's pause between requests: with gunicorn's default (2 s) a kept-alive
                # connection can close just as the client reuses it ("connection reset", a client-side error).
                "--keep-alive",
                "10",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            _wait_until_up(f"{base}/login/", server)
            ack_file = Path(tmp) / "acknowledged.json"
            locust_env = dict(env)
            times_file = Path(tmp) / "times.json"
            locust_env.update(
                LOAD_USERNAMES=json.dumps(usernames),
                LOAD_PASSWORD=settings.DEMO_PASSWORD,
                LOAD_ACK_FILE=str(ack_file),
                LOAD_TIMES_FILE=str(times_file),
                LOAD_TEXT=LOAD_TEXT,
            )
            run = subprocess.run(  # noqa: S603 - our own interpreter's locust, fixed arguments
                [
                    str(VENV_BIN / "locust"),
                    "-f",
                    str(ROOT / "bench" / "locustfile.py"),
                    "--headless",
                    "--host",
                    base,
                    "--users",
                    str(USERS),
                    "--spawn-rate",
                    str(SPAWN_RATE),
                    "--run-time",
                    f"{SECONDS}s",
                    "--stop-timeout",
                    "10",
                    "--csv",
                    str(Path(tmp) / "load"),
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                cwd=ROOT,
                env=locust_env,
                timeout=SECONDS + GRACE,
                check=False,
            )
        finally:
            _stop(server)
        rows = _read_stats(Path(tmp) / "load_stats.csv")
        acknowledged = json.loads(ack_file.read_text()) if ack_file.exists() else {"visits": 0, "refused": 0}
        times = json.loads(times_file.read_text()) if times_file.exists() else []
    last_sign_in = max((at for name, _t, at in times if name == "POST /login/"), default=0)
    stored = _visit_count() - before
    total = next(row for row in rows if row["Name"] == "Aggregated")
    result = {
        "users": USERS,
        "seconds": SECONDS,
        "workers": WORKERS,
        "threads": THREADS,
        "conn_max_age": env["CONN_MAX_AGE"],
        # Versions from the metadata: importing locust here would monkey-patch this process's threads (gevent).
        "gunicorn": version("gunicorn"),
        "locust": version("locust"),
        "database": f"`{database_url.rsplit('/', 1)[-1]}`",
        "wait": f"{os.environ.get('LOAD_WAIT_MIN', '1')}–{os.environ.get('LOAD_WAIT_MAX', '3')}",
        "started_at": started_at,
        "load_before": load_before,
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "p99_ms": _ms(total["99%"]),
        # Percentiles of every request's own time; "work" leaves out the sign-ins, which hash the password on
        # purpose (PBKDF2) and happen once per user at the start.
        "all_ms": _percentiles([t for _name, t, _at in times]),
        "work_ms": _percentiles([t for name, t, _at in times if "/login/" not in name]),
        # Once the last user has signed in (the sign-ins, a slow hash each, queue the requests of the first
        # seconds): what 50 workers at work see.
        "steady_ms": _percentiles([t for name, t, at in times if at > last_sign_in and "/login/" not in name]),
        "steady_seconds": round(max((at for _n, _t, at in times), default=0) - last_sign_in, 1),
        "acknowledged": acknowledged["visits"],
        "refused": acknowledged["refused"],
        "stored": stored,
        "locust_status": run.returncode,
        "rows": rows,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "load.md").write_text(markdown(result), encoding="utf-8")
    (RESULTS_DIR / "load.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(markdown(result))
    ok = result["failures"] == 0 and result["acknowledged"] == stored and result["requests"] > 0
    if not os.environ.get("LOAD_KEEP_VISITS"):
        print(f"load: removed the run's {_remove_load_visits(last_id)} visits (LOAD_KEEP_VISITS=1 keeps them)")
    print("load: OK" if ok else "load: FAILED (failures, or visits stored differ from those acknowledged)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
