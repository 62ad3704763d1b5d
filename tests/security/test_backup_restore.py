"""Backup and restore: a real round trip through `manage.py backup` and `manage.py restore` keeps every row.

A small demo street (every kind of record, plus a session, audit entries, the audit trail, a background job's file
and an uploaded spreadsheet) is backed up from the test database and restored, by the command an operator runs, in
a separate process, into a brand-new database; then the row count of every table of the two is compared, and a few
contents besides (ID numbers, subsidy amounts, stored files). On PostgreSQL with pg_dump/pg_restore, on both
databases with the dumpdata JSON.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from households import demo, services
from households.models import Household, HouseholdImport, Resident, Subsidy
from tests.factories import HouseholdFactory, SubsidyFactory
from wenxin.backup import table_row_counts
from wenxin.models import BackgroundJob, User

ROOT = Path(__file__).resolve().parents[2]
ON_POSTGRESQL = connection.vendor == "postgresql"
DEMO_HOUSEHOLDS = 40
JOB_FILE = bytes(range(256)) * 4  # every byte value: a binary field must survive the JSON round trip
UPLOAD = b"PK\x03\x04 not really a workbook \x00\xff"


def seed_small_street() -> None:
    """The demo street at 40 households, and the rows the demo itself does not write."""
    demo.build_demo(households=DEMO_HOUSEHOLDS)
    worker = User.objects.get(username="worker")
    household = Household.objects.visible_to(worker).filter(residents__id_number__gt="").first()
    resident = household.residents.exclude(id_number="").first()
    services.id_number_reveal(actor=worker, resident=resident)  # an audit entry
    services.household_update(actor=worker, household=household, data={"note": "备份测试"})  # audit trail too
    Client().force_login(worker)  # a session
    BackgroundJob.objects.create(
        user=worker,
        kind=BackgroundJob.Kind.HOUSEHOLD_EXPORT,
        status=BackgroundJob.Status.SUCCEEDED,
        result_name="户籍.xlsx",
        result_file=JOB_FILE,
        result_size=len(JOB_FILE),
    )
    HouseholdImport.objects.create(
        created_by=User.objects.get(username="community"),
        file_name="导入.xlsx",
        content=UPLOAD,
        status=HouseholdImport.Status.REJECTED,
        errors=[{"row": 2, "message": "身份证号码校验位不正确"}],
    )


def fingerprint() -> dict[str, object]:
    """A few contents that must come back exactly, besides the counts."""
    return {
        "id_numbers": sorted(Resident.objects.exclude(id_number="").values_list("id_number", flat=True)),
        "subsidies": sum(Subsidy.objects.values_list("amount", flat=True), Decimal(0)),
        "job_file": bytes(BackgroundJob.objects.get().result_file),
        "upload": bytes(HouseholdImport.objects.get().content),
    }


def manage(*args: str, database_url: str) -> subprocess.CompletedProcess:
    """`manage.py` in its own process against another database, as an operator runs it."""
    environment = {**os.environ, "DATABASE_URL": database_url}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )


# --- The new database, and reading it without Django ---------------------------------------------------------------


def _pg_params(name: str) -> dict[str, object]:
    params = connection.settings_dict
    return {
        "dbname": name,
        "user": params["USER"] or None,
        "password": params["PASSWORD"] or None,
        "host": params["HOST"] or None,
        "port": params["PORT"] or None,
    }


def _pg_url(name: str) -> str:
    params = connection.settings_dict
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    return f"postgres://{params['USER']}{password}@{params['HOST'] or 'localhost'}:{params['PORT'] or 5432}/{name}"


@pytest.fixture
def new_database(tmp_path) -> Iterator[str]:
    """The URL of a database that does not exist yet (SQLite) or is created empty (PostgreSQL); dropped after."""
    if not ON_POSTGRESQL:
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg

    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(**_pg_params("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name)
    finally:
        with psycopg.connect(**_pg_params("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _query(database_url: str, sql: str) -> list[tuple]:
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            return db.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(**_pg_params(database_url.rsplit("/", 1)[1])) as db:
        return db.execute(sql).fetchall()


def counts_in(database_url: str) -> dict[str, int]:
    if database_url.startswith("sqlite:///"):
        tables = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        tables = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    names = [row[0] for row in _query(database_url, tables)]
    return {name: _query(database_url, f'SELECT COUNT(*) FROM "{name}"')[0][0] for name in names}


def fingerprint_in(database_url: str) -> dict[str, object]:
    def rows(sql: str) -> list:
        return [row[0] for row in _query(database_url, sql)]

    return {
        "id_numbers": sorted(rows("SELECT id_number FROM households_resident WHERE id_number <> ''")),
        "subsidies": sum((Decimal(str(a)) for a in rows("SELECT amount FROM households_subsidy")), Decimal(0)),
        "job_file": bytes(rows("SELECT result_file FROM wenxin_backgroundjob")[0]),
        "upload": bytes(rows("SELECT content FROM households_householdimport")[0]),
    }


def assert_restored_exactly(database_url: str, counts: dict[str, int], contents: dict[str, object]) -> None:
    restored = counts_in(database_url)
    assert sorted(restored) == sorted(counts), "the restored database has other tables"
    assert {table: rows for table, rows in restored.items() if rows != counts[table]} == {}
    assert fingerprint_in(database_url) == contents


def assert_a_full_street(counts: dict[str, int]) -> None:
    """The comparison means something only if the tables hold rows: nearly all of them must."""
    empty = sorted(table for table, rows in counts.items() if rows == 0)
    assert len(counts) >= 50
    assert len(empty) <= 8, empty
    assert counts["households_household"] >= DEMO_HOUSEHOLDS
    assert counts["django_session"] >= 1 and counts["wenxin_auditentry"] >= 1


# --- The round trips -----------------------------------------------------------------------------------------------


class TestTheRoundTrip:
    # pg_dump reads what is committed, from its own connection: on PostgreSQL the test commits (and is flushed
    # after); SQLite's dumpdata runs in this process and reads the test's own transaction.
    @pytest.mark.django_db(transaction=ON_POSTGRESQL, serialized_rollback=ON_POSTGRESQL)
    def test_every_table_comes_back_with_every_row(self, new_database, tmp_path):
        """The database's own backup: pg_dump -Fc / pg_restore on PostgreSQL, dumpdata / loaddata on SQLite."""
        seed_small_street()
        counts, contents = table_row_counts(), fingerprint()
        assert_a_full_street(counts)

        call_command("backup", "--directory", str(tmp_path / "backups"), verbosity=0)
        (backup,) = (tmp_path / "backups").iterdir()
        assert backup.name.endswith(".pgdump" if ON_POSTGRESQL else ".json.gz")
        result = manage("restore", str(backup), database_url=new_database)
        assert result.returncode == 0, result.stderr
        assert "恢复到数据库" in result.stdout
        assert_restored_exactly(new_database, counts, contents)

        # Restoring again over it is refused, and changes nothing.
        again = manage("restore", str(backup), database_url=new_database)
        assert again.returncode != 0
        assert "已经有数据" in again.stderr
        assert_restored_exactly(new_database, counts, contents)
        if ON_POSTGRESQL:
            # Asked to replace it, pg_restore drops and recreates every table (the JSON's replace: the test below).
            replaced = manage("restore", "--replace", "--noinput", str(backup), database_url=new_database)
            assert replaced.returncode == 0, replaced.stderr
            assert_restored_exactly(new_database, counts, contents)

    def test_replace_puts_back_the_json_backup_all_or_nothing(self, db, places, worker_a, tmp_path):
        """In this process, on the test database (either kind): later changes are undone; a broken file changes
        nothing. The JSON is also how a database moves between SQLite and PostgreSQL."""
        household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
        SubsidyFactory(household=household, amount=Decimal("500.00"))
        counts = table_row_counts()
        call_command("backup", "--directory", str(tmp_path), "--format", "json", verbosity=0)
        (backup,) = tmp_path.iterdir()
        # Work goes on after the backup: a household and a subsidy more.
        SubsidyFactory(household=HouseholdFactory(grid_area=places.area_a, estate=places.estate_a))
        changed = table_row_counts()
        assert changed != counts
        if ON_POSTGRESQL:
            # What a commit does before a real restore (the command runs in a fresh transaction of its own): check
            # the deferred foreign keys of the rows this test wrote, or PostgreSQL refuses to TRUNCATE their tables.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

        broken = tmp_path / "broken.json.gz"
        broken.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])
        with pytest.raises(Exception):  # noqa: B017 - whatever the reader raises; what matters is what is left
            call_command("restore", "--replace", "--noinput", str(broken), verbosity=0)
        assert table_row_counts() == changed

        call_command("restore", "--replace", "--noinput", str(backup), verbosity=0)
        assert table_row_counts() == counts
        assert list(Subsidy.objects.values_list("amount", flat=True)) == [Decimal("500.00")]


# --- The backup file ------------------------------------------------------------------------------------------------


class TestTheBackupFile:
    def test_it_is_readable_by_its_owner_only_and_named_by_database_and_time(self, db, tmp_path, settings):
        settings.BACKUP_DIR = tmp_path / "backups"
        call_command("backup", verbosity=0)
        (backup,) = settings.BACKUP_DIR.iterdir()  # no partial file left beside it
        assert stat.S_IMODE(backup.stat().st_mode) == 0o600
        assert stat.S_IMODE(settings.BACKUP_DIR.stat().st_mode) == 0o700
        assert backup.name.startswith("wenxin-") and backup.name.endswith((".pgdump", ".json.gz"))

    def test_it_is_never_written_inside_the_project(self, db, settings):
        settings.BACKUP_DIR = ROOT / "backups"
        with pytest.raises(CommandError, match="项目目录之内"):
            call_command("backup", verbosity=0)
        assert not (ROOT / "backups").exists()

    def test_the_default_directory_is_outside_the_project(self):
        backup_dir = Path(settings.BACKUP_DIR).resolve()
        assert ROOT not in [backup_dir, *backup_dir.parents]
        assert "BACKUP_DIR=" in (ROOT / ".env.example").read_text()


class TestRestoreRefuses:
    def test_a_database_in_use(self, db, places, tmp_path):
        backup = tmp_path / "wenxin-x.json.gz"
        backup.write_bytes(b"")
        before = table_row_counts()
        with pytest.raises(CommandError, match="已经有数据"):
            call_command("restore", str(backup), verbosity=0)
        assert table_row_counts() == before

    def test_a_file_that_is_not_a_backup_or_not_there(self, db, tmp_path):
        other = tmp_path / "notes.txt"
        other.write_text("hello")
        with pytest.raises(CommandError, match="不是本平台的备份文件"):
            call_command("restore", str(other), verbosity=0)
        with pytest.raises(CommandError, match="找不到备份文件"):
            call_command("restore", str(tmp_path / "missing.pgdump"), verbosity=0)
