"""`manage.py restore FILE` (make restore FILE=...): load a backup into the database; see docs/backup.md."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from wenxin import backup


class Command(BaseCommand):
    help = (
        "把 manage.py backup 做的备份恢复到 DATABASE_URL 指向的数据库，要么全部恢复，要么什么都不改。"
        "目标数据库应是新建的空库；要覆盖已有数据，加 --replace。"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="备份文件（.pgdump 或 .json.gz）。")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="用备份覆盖数据库中已有的数据（先停止网站和后台任务）。",
        )
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive", help="不询问确认。")

    def handle(self, *args, file: Path, replace: bool, interactive: bool, **options) -> None:
        name = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
        if replace and interactive:
            answer = input(f"数据库 {name} 中现有的全部数据将被备份 {file.name} 覆盖，输入 yes 继续：")
            if answer.strip().lower() != "yes":
                raise CommandError("已取消，数据库没有任何改动。")
        try:
            result = backup.backup_restore(path=file, replace=replace)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"已把 {file.name} 恢复到数据库 {name}：{len(result.rows)} 张表，共 {result.total_rows} 行"
                f"（用时 {result.seconds:.1f} 秒）。"
            )
        )
        if options["verbosity"] >= 2:
            for table, rows in result.rows.items():
                self.stdout.write(f"  {table}: {rows}")
