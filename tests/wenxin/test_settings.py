"""Production settings come from the environment and pass Django's deployment checks."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, **env}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_the_deploy_check():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="False",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="wenxin.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    environment = {"DEBUG": "False", "ALLOWED_HOSTS": "wenxin.example.org", "SECRET_KEY": ""}
    result = run_manage("check", **environment)
    assert result.returncode != 0


def test_chinese_first_in_shanghai_time():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]


def test_every_environment_variable_is_documented_in_env_example():
    read = set()
    for line in (ROOT / "wenxin" / "settings.py").read_text().splitlines():
        for prefix in ('env("', 'env.bool("', 'env.int("', 'env.list("', 'env.path("', 'env.db("'):
            if prefix in line:
                read.add(line.split(prefix, 1)[1].split('"', 1)[0])
    documented = (ROOT / ".env.example").read_text()
    assert read, "no variables found: the parser above is out of date"
    assert {name for name in read if f"{name}=" not in documented} == set()


PRODUCTION = {"DEBUG": "False", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "wenxin.example.org"}


def test_the_deploy_check_stays_clean_behind_a_proxy_with_sessions_ending_at_browser_close():
    """The other way an office runs it: behind nginx (the client's address in X-Real-IP), shared computers."""
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        ONLINE_CLIENT_ADDRESS_HEADER="HTTP_X_REAL_IP",
        SESSION_EXPIRE_AT_BROWSER_CLOSE="True",
        AXES_FAILURE_LIMIT="3",
        AXES_COOLOFF_MINUTES="30",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_cookies_headers_lockout_and_policy():
    """What `check --deploy` does not look at: the lockout, the idle timeout and the Content Security Policy."""
    script = (
        "import json; from datetime import timedelta; from django.conf import settings as s; print(json.dumps({"
        "'session_secure': s.SESSION_COOKIE_SECURE, 'session_httponly': s.SESSION_COOKIE_HTTPONLY,"
        "'csrf_secure': s.CSRF_COOKIE_SECURE, 'session_age': s.SESSION_COOKIE_AGE, 'hsts': s.SECURE_HSTS_SECONDS,"
        "'ssl_redirect': s.SECURE_SSL_REDIRECT, 'frame': s.X_FRAME_OPTIONS,"
        "'csp': s.CONTENT_SECURITY_POLICY['DIRECTIVES'], 'lockout': s.AXES_LOCKOUT_PARAMETERS,"
        "'failures': s.AXES_FAILURE_LIMIT, 'cool_off': s.AXES_COOLOFF_TIME / timedelta(minutes=1),"
        "'address': s.AXES_CLIENT_IP_CALLABLE, 'middleware': s.MIDDLEWARE,"
        "'backends': s.AUTHENTICATION_BACKENDS}))"
    )
    result = run_manage("shell", "--no-imports", "-c", script, **PRODUCTION)  # the shipped defaults, as CI has no .env
    assert result.returncode == 0, result.stderr
    production = json.loads(result.stdout.strip().splitlines()[-1])
    assert production["session_secure"] and production["session_httponly"] and production["csrf_secure"]
    assert production["ssl_redirect"] and production["hsts"] >= 31536000 and production["frame"] == "DENY"
    assert production["session_age"] == 30 * 60
    assert (production["failures"], production["cool_off"]) == (5, 15)
    assert production["lockout"] == [["username", "ip_address"]]
    assert production["address"] == "wenxin.lockout.client_address"
    assert production["backends"][0] == "axes.backends.AxesStandaloneBackend"
    assert production["middleware"][-1] == "axes.middleware.AxesMiddleware"
    assert "csp.middleware.CSPMiddleware" in production["middleware"]
    assert production["csp"]["script-src"] == ["'self'"]
    assert production["csp"]["style-src"] == ["'self'"]
    assert production["csp"]["frame-ancestors"] == ["'none'"]
    assert production["csp"]["object-src"] == ["'none'"]
