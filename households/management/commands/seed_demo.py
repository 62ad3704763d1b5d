"""`manage.py seed_demo`: load the fictional demo street once, for development, demonstrations and benchmarks."""

from __future__ import annotations

import time
import unicodedata

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from households import demo


class Command(BaseCommand):
    help = (
        "生成演示数据：虚构的文新街道（村社、小区、网格、户和居民、走访、一户一策、意见建议、考核）以及各角色的演示用户。"
        "--streets 可生成多个街道（全市规模）。已存在时不做任何改动。"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--households",
            type=int,
            default=demo.DEFAULT_HOUSEHOLDS,
            help=f"生成的户数，多个街道时为合计（默认 {demo.DEFAULT_HOUSEHOLDS}）。",
        )
        parser.add_argument(
            "--streets",
            type=int,
            default=1,
            help=f"街道数（默认 1，最多 {demo.MAX_STREETS}）：第一个是文新街道，其余街道的用户名以 s02-、s03- … 开头。",
        )
        parser.add_argument(
            "--years",
            type=int,
            default=demo.DEFAULT_YEARS,
            help=f"走访记录的年数（默认 {demo.DEFAULT_YEARS}，最多 {demo.MAX_YEARS}）。",
        )
        parser.add_argument(
            "--fast",
            action="store_true",
            help="全市规模用：省去页面用不到的逐户细节（一户一策只留当前版本等），生成更快。",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=demo.DEFAULT_SEED,
            help=f"随机数种子（默认 {demo.DEFAULT_SEED}）；同一种子每次生成相同的数据。",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="在 DEBUG=False 时仍然写入演示数据。切勿对生产数据库使用。",
        )

    def handle(
        self,
        *args,
        households: int,
        streets: int,
        years: int,
        fast: bool,
        seed: int,
        force: bool,
        verbosity: int,
        **options,
    ) -> None:
        # With DEBUG off this is probably a production database: demo users with a published password there
        # would be a back door.
        if not settings.DEBUG and not force:
            raise CommandError(
                "当前 DEBUG=False，可能是生产环境：演示数据和公开的演示密码不应写入生产数据库，已拒绝执行。"
                "如确需写入（例如测试服务器），请加 --force。"
            )
        if households < 0:
            raise CommandError("--households 不能为负数。")
        if demo.demo_street_exists():
            self.stdout.write(f"演示街道“{demo.STREET_NAME}”已存在，未做任何改动。")
            return

        started = time.perf_counter()
        try:
            result = demo.build_demo(
                households=households,
                seed=seed,
                streets=streets,
                years=years,
                fast=fast,
                log=self.stdout.write if verbosity >= 2 else None,
            )
        except demo.DemoError as error:
            raise CommandError(str(error)) from error
        # Fresh statistics for the planner (PostgreSQL), so pages opened right after a big load are planned well.
        demo.analyze()
        elapsed = time.perf_counter() - started

        where = (
            f"演示街道“{demo.STREET_NAME}”" if streets == 1 else f"{streets} 个演示街道（第一个为“{demo.STREET_NAME}”）"
        )
        self.stdout.write(self.style.SUCCESS(f"已生成{where}（种子 {seed}，用时 {elapsed:.1f} 秒）："))
        label_width = max(_width(label) for label in result.counts) + 2
        for label, number in result.counts.items():
            self.stdout.write(f"  {_pad(label, label_width)}{number:>9}")
        for note in result.notes:
            self.stdout.write(note)
        self.stdout.write("")
        self.stdout.write(f"演示用户（密码均为 {settings.DEMO_PASSWORD}）：")
        rows = [("用户名", "角色", "姓名", "所在")]
        rows += [
            (item.user.username, str(item.user.get_role_display()), item.user.full_name, item.place)
            for item in result.showcase
        ]
        widths = [max(_width(row[column]) for row in rows) + 2 for column in range(3)]
        for row in rows:
            self.stdout.write(
                "  " + "".join(_pad(cell, width) for cell, width in zip(row, widths, strict=False)) + row[3]
            )
        self.stdout.write(f"其余用户（密码相同）：{_other_users(result)}。")


def _other_users(result: demo.Demo) -> str:
    """The first street's users not in the table, by role, as first–last username ranges."""
    shown = {item.user.username for item in result.showcase}
    by_role: dict[str, list[str]] = {}
    for user in result.users.values():
        if user.username not in shown:
            by_role.setdefault(str(user.get_role_display()), []).append(user.username)
    return "；".join(
        f"{role} {names[0]}" if len(names) == 1 else f"{role} {names[0]}–{names[-1]}（{len(names)} 人）"
        for role, names in by_role.items()
    )


def _width(text: str) -> int:
    """Columns a string takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))
