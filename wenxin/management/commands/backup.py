"""`manage.py backup` (make backup): a backup of the whole database into BACKUP_DIR; see docs/backup.md."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wenxin import backup


class Command(BaseCommand):
    help = (
        "备份整个数据库：PostgreSQL 默认用 pg_dump（custom 格式），SQLite 用 dumpdata（gzip 压缩的 JSON）。"
        "备份文件写入 BACKUP_DIR，只有文件所有者可读。"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--directory", type=Path, help="备份目录（默认为 BACKUP_DIR）。")
        parser.add_argument(
            "--format",
            choices=backup.FORMATS,
            dest="file_format",
            help="pgdump（PostgreSQL 的默认）或 json（SQLite 的默认；可在 SQLite 和 PostgreSQL 之间迁移数据）。",
        )

    def handle(self, *args, directory: Path | None, file_format: str | None, **options) -> None:
        try:
            result = backup.backup_create(directory=directory, file_format=file_format)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        size, seconds = result.size / 1024 / 1024, result.seconds
        self.stdout.write(self.style.SUCCESS(f"已备份到 {result.path}（{size:.1f} MB，用时 {seconds:.1f} 秒）。"))
        # The last line is the path alone, for scripts: `file=$(manage.py backup | tail -1)`.
        self.stdout.write(str(result.path))
