"""Seed the household categories named in DOMAIN.md; the office edits them in the admin afterwards."""

from django.db import migrations

DEFAULT_CATEGORIES = [
    # (name, is_key, description)
    ("低保户", True, "享受最低生活保障的家庭"),
    ("低保边缘户", True, "收入略高于低保标准的困难家庭"),
    ("重点优抚对象", True, "退役军人、烈属等重点优抚对象"),
    ("困难残疾人家庭", True, "有残疾成员且生活困难的家庭"),
    ("独居老人", False, "独自居住的老年人"),
    ("企退人员", False, "企业退休人员"),
    ("失独家庭", True, "独生子女死亡的家庭"),
]


def add_categories(apps, schema_editor):
    category = apps.get_model("households", "HouseholdCategory")
    for order, (name, is_key, description) in enumerate(DEFAULT_CATEGORIES):
        category.objects.get_or_create(
            name=name, defaults={"is_key": is_key, "description": description, "sort_order": order * 10}
        )


class Migration(migrations.Migration):
    dependencies = [("households", "0002_initial")]

    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
