"""Backups of the whole database and their restore: `manage.py backup` and `manage.py restore` (make backup/restore).

PostgreSQL, the production database, is dumped with `pg_dump --format=custom` (compressed, one consistent
snapshot while the site keeps running) and restored with `pg_restore` in one transaction. SQLite, the laptop and
demo database, is dumped with `dumpdata` to gzipped JSON (also on PostgreSQL with --format json, to move a
database from one to the other) and read back with `loaddata`, in one transaction.

The JSON keeps every primary key rather than natural keys. Natural keys would let the new database's own content
types and role groups stand in for the dumped ones, but they would also renumber the users (whose natural key is
the username), and several records refer to a row by its id kept as text: an audit entry's object, the audit
trail's object_pk, a session's user. So the restore empties the new database's tables, the rows `migrate` wrote
included, and loads every row under its original id: the copy is exact, references and all.

A backup holds every ID number, disability and subsidy of the street: it is written with owner-only permissions
into BACKUP_DIR, outside the project by default, so it is never committed or served by accident (docs/backup.md).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.postgresql.client import DatabaseClient
from django.utils import timezone

POSTGRES_SUFFIX = ".pgdump"
JSON_SUFFIX = ".json.gz"
FORMATS = ("pgdump", "json")


class BackupError(Exception):
    """A backup or restore that could not be made; the message says why and what to do, in Chinese."""


@dataclass
class BackupResult:
    path: Path
    size: int
    seconds: float


@dataclass
class RestoreResult:
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def vendor(using: str = DEFAULT_DB_ALIAS) -> str:
    """'postgresql' or 'sqlite': the two databases the product runs on."""
    name = connections[using].vendor
    if name not in {"postgresql", "sqlite"}:
        raise BackupError(f"不支持备份 {name} 数据库，只支持 PostgreSQL 和 SQLite。")
    return name


def backup_directory() -> Path:
    """BACKUP_DIR, refused when it lies inside the project: a backup there could be committed or served."""
    directory = Path(settings.BACKUP_DIR).expanduser().resolve()
    project = Path(settings.BASE_DIR).resolve()
    if directory == project or project in directory.parents:
        raise BackupError(
            f"备份目录 {directory} 在项目目录之内，备份里有全部身份证号码，不能放在这里。"
            "请把 BACKUP_DIR 设为项目以外的目录（见 .env.example）。"
        )
    return directory


def backup_create(
    *, directory: Path | None = None, file_format: str | None = None, using: str = DEFAULT_DB_ALIAS
) -> BackupResult:
    """Write a backup of the whole database into the directory (BACKUP_DIR by default) and return its path.

    file_format: "pgdump" (PostgreSQL only, its default) or "json" (SQLite's default; any database). The file
    appears under its final name only once complete, so a failed or interrupted backup never looks like a good
    one; it and its directory are readable by their owner only.
    """
    kind = vendor(using)
    file_format = file_format or ("pgdump" if kind == "postgresql" else "json")
    if file_format not in FORMATS:
        raise BackupError(f"未知的备份格式 {file_format}，可选：{'、'.join(FORMATS)}。")
    if file_format == "pgdump" and kind != "postgresql":
        raise BackupError("pgdump 格式只能备份 PostgreSQL 数据库；SQLite 请用 json 格式。")
    directory = backup_directory() if directory is None else Path(directory).expanduser().resolve()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    # The database's name, as a file name can carry it (a SQLite path or an in-memory URI has odd characters).
    database = re.sub(r"[^\w-]+", "_", Path(str(connections[using].settings_dict["NAME"])).stem).strip("_")
    suffix = POSTGRES_SUFFIX if file_format == "pgdump" else JSON_SUFFIX
    path = directory / f"wenxin-{database}-{stamp}{suffix}"
    # Hidden until complete; it ends the same way, so dumpdata still sees ".gz" and compresses.
    partial = directory / f".partial-{path.name}"
    started = time.perf_counter()
    old_umask = os.umask(0o077)
    try:
        if file_format == "pgdump":
            _run(
                _pg_command("pg_dump", using, ["--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"])
            )
        else:
            call_command("dumpdata", database=using, use_base_manager=True, output=str(partial), verbosity=0)
        partial.chmod(0o600)
        partial.replace(path)
    finally:
        os.umask(old_umask)
        partial.unlink(missing_ok=True)
    return BackupResult(path=path, size=path.stat().st_size, seconds=time.perf_counter() - started)


def backup_restore(*, path: Path, replace: bool = False, using: str = DEFAULT_DB_ALIAS) -> RestoreResult:
    """Load a backup into the database, all of it or nothing.

    The database must be new (created empty, or only migrated) unless `replace` is given: then what it holds is
    replaced by the backup. A .pgdump file needs PostgreSQL; a .json.gz file loads into either database.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise BackupError(f"找不到备份文件 {path}。")
    kind = vendor(using)
    started = time.perf_counter()
    if path.name.endswith(POSTGRES_SUFFIX):
        if kind != "postgresql":
            raise BackupError(f"{path.name} 是 PostgreSQL 的备份，只能恢复到 PostgreSQL 数据库（设置 DATABASE_URL）。")
        _restore_pgdump(path, replace=replace, using=using)
    elif path.name.endswith(JSON_SUFFIX):
        _restore_json(path, replace=replace, using=using)
    else:
        raise BackupError(f"{path.name} 不是本平台的备份文件（应以 {POSTGRES_SUFFIX} 或 {JSON_SUFFIX} 结尾）。")
    return RestoreResult(seconds=time.perf_counter() - started, rows=table_row_counts(using))


def table_row_counts(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """The number of rows in every table of the database, by table name: what a restore must reproduce."""
    connection = connections[using]
    with connection.cursor() as cursor:
        names = sorted(connection.introspection.table_names(cursor))
        counts = {}
        for name in names:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(name)}")
            counts[name] = cursor.fetchone()[0]
    return counts


def _holds_data(using: str) -> bool:
    """Whether the database is in use: it has staff or a street (migrate alone writes neither)."""
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    street_model = apps.get_model("households", "Street")
    return user_model._base_manager.using(using).exists() or street_model._base_manager.using(using).exists()


def _restore_pgdump(path: Path, *, replace: bool, using: str) -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        has_tables = bool(connection.introspection.table_names(cursor))
    if has_tables and not replace:
        raise BackupError(
            f"数据库 {connection.settings_dict['NAME']} 里已经有数据表。请恢复到一个新建的空数据库"
            "（createdb，不要先 migrate），或确认要用备份覆盖现有数据后加 --replace。"
        )
    # pg_restore works through its own connection; ours must not hold a lock on a table it drops.
    connection.close()
    options = ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
    if has_tables:
        options += ["--clean", "--if-exists"]
    _run(_pg_command("pg_restore", using, [*options, str(path)]))


def _restore_json(path: Path, *, replace: bool, using: str) -> None:
    # The schema of this version of the product; the rows, all of them, come from the backup.
    call_command("migrate", database=using, interactive=False, verbosity=0)
    if _holds_data(using) and not replace:
        raise BackupError(
            f"数据库 {connections[using].settings_dict['NAME']} 里已经有数据。请恢复到一个新的数据库"
            "（设置 DATABASE_URL），或确认要用备份覆盖现有数据后加 --replace。"
        )
    from auditlog.context import disable_auditlog

    # Emptied and loaded in one transaction: a backup that fails to load leaves the database as it was. The
    # audit trail of record changes keeps its own rows from the backup and must not log the load as new records.
    with transaction.atomic(using=using), disable_auditlog():
        call_command("flush", database=using, interactive=False, inhibit_post_migrate=True, verbosity=0)
        call_command("loaddata", str(path), database=using, verbosity=0)


def _pg_command(program: str, using: str, options: list[str]) -> tuple[list[str], dict[str, str]]:
    """A pg_dump or pg_restore command line for the database, and its environment (password, SSL)."""
    settings_dict = connections[using].settings_dict
    command = [program]
    if settings_dict.get("USER"):
        command.append(f"--username={settings_dict['USER']}")
    if settings_dict.get("HOST"):
        command.append(f"--host={settings_dict['HOST']}")
    if settings_dict.get("PORT"):
        command.append(f"--port={settings_dict['PORT']}")
    command += [f"--dbname={settings_dict['NAME']}", *options]
    # The password and SSL options travel in the environment, as Django's dbshell passes them to psql.
    _args, extra_env = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    return command, {**os.environ, **(extra_env or {})}


def _run(command: tuple[list[str], dict[str, str]]) -> None:
    args, env = command
    try:
        result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as error:
        raise BackupError(
            f"找不到 {args[0]}：请安装与数据库服务器同版本的 PostgreSQL 客户端"
            "（Debian: apt-get install postgresql-client）。"
        ) from error
    if result.returncode != 0:
        raise BackupError(f"{args[0]} 失败（退出码 {result.returncode}）：{result.stderr.strip()}")
