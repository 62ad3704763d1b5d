"""Production settings come from the environment and pass Django's deployment checks."""

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
