"""Seed the four listenings and the opinion categories named in DOMAIN.md; the office edits them in the admin."""

from django.db import migrations

DEFAULT_MEETING_KINDS = [
    # (code, name, held_by, host, cadence_months)
    ("residents_forum", "居民代表民主恳谈会", "street", "街道党工委、办事处", 12),
    ("deputies_forum", "人大代表、政协委员社情民意座谈会", "street", "人大、政协", 3),
    ("community_forum", "民情恳谈会/议事协商会议", "community", "村社", 2),
    ("online", "网络平台", "street", "街道", None),
]

DEFAULT_CATEGORIES = [
    # (name, group)
    ("实事工程", "resident"),
    ("治安状况", "resident"),
    ("交通秩序", "resident"),
    ("环境卫生", "resident"),
    ("市容市貌", "resident"),
    ("社会保障", "resident"),
    ("社区服务", "resident"),
    ("社区建设", "resident"),
    ("精神文明", "resident"),
    ("实际困难", "enterprise"),
    ("扶持建议", "enterprise"),
    ("营商环境", "enterprise"),
]


def add_defaults(apps, schema_editor):
    meeting_kind = apps.get_model("feedback", "MeetingKind")
    for order, (code, name, held_by, host, cadence) in enumerate(DEFAULT_MEETING_KINDS):
        meeting_kind.objects.get_or_create(
            code=code,
            defaults={"name": name, "held_by": held_by, "host": host, "cadence_months": cadence, "sort_order": order},
        )
    category = apps.get_model("feedback", "OpinionCategory")
    for order, (name, group) in enumerate(DEFAULT_CATEGORIES):
        category.objects.get_or_create(name=name, defaults={"group": group, "sort_order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_meetings_and_opinions")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
