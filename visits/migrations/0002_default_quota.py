"""DOMAIN.md: each social worker visits at least 50 distinct households a quarter."""

from django.db import migrations


def add_default_quota(apps, schema_editor):
    quota_rule = apps.get_model("visits", "QuotaRule")
    quota_rule.objects.get_or_create(
        role="social_worker", user=None, defaults={"households_per_quarter": 50, "note": "每名社工每季度入户走访50户"}
    )


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_visits")]

    operations = [migrations.RunPython(add_default_quota, migrations.RunPython.noop)]
