"""Visits' indexes without duplicates (issue 8, measured in docs/performance.md).

street, community, visitor and household each lead a (…, visited_on) index, so their single-column foreign key
indexes only cost writes; the six optional targets are empty on nine visits in ten, so their indexes cover the
rows that have one. Inserting 794,000 visits took 16.4 s with the old 17 indexes, 9.5 s with these 13.

Only the indexes change: Django's AlterField would also drop and re-create each foreign key, re-checking
every row of a city's visits ten times, so the database part is the DROP INDEX alone.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# The foreign keys' own indexes, by the names Django gave them (the same on every database).
OLD_INDEXES = {
    "community": "visits_visit_community_id_0a22deac",
    "enterprise": "visits_visit_enterprise_id_64a3d31a",
    "estate": "visits_visit_estate_id_887c105b",
    "household": "visits_visit_household_id_4a77554f",
    "owners_committee": "visits_visit_owners_committee_id_81ccf607",
    "paired_village": "visits_visit_paired_village_id_d3f70a21",
    "property_company": "visits_visit_property_company_id_403372d9",
    "street": "visits_visit_street_id_d665240f",
    "target_community": "visits_visit_target_community_id_bd738029",
    "visitor": "visits_visit_visitor_id_de3c9f1e",
}


class Migration(migrations.Migration):

    dependencies = [
        ('households', '0006_search_trigram_indexes'),
        ('visits', '0003_visit_listing_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='visit',
                    name='community',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='households.community', verbose_name='所属村社'),
                ),
                migrations.AlterField(
                    model_name='visit',
                    name='enterprise',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='households.enterprise', verbose_name='企业'),
                ),
                migrations.AlterField(
                    model_name='visit',
                    name='estate',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='households.estate', verbose_name='小区'),
                ),
                migrations.AlterField(
                    model_name='visit',
                    name='household',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='households.household', verbose_name='户'),
                ),
                migrations.AlterField(
                    model_name='visit',
                    name='owners_committee',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='households.ownerscommittee', verbose_name='业委会'),
                ),
                migrations.AlterField(
                    model_name='visit',
                    name='paired_village',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='households.pairedvillage', verbose_name='联村结对村'),
                ),
                migrations.AlterField(
                    model_name='visit',
                    name='property_company',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='households.propertycompany', verbose_name='物业公司'),
                ),
                migrations.AlterField(
                    model_name='visit',
                    name='street',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='households.street', verbose_name='街道'),
                ),
                migrations.AlterField(
                    model_name='visit',
                    name='target_community',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='leadership_visits', to='households.community', verbose_name='走访村社'),
                ),
                migrations.AlterField(
                    model_name='visit',
                    name='visitor',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='visits', to=settings.AUTH_USER_MODEL, verbose_name='走访人'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    f'CREATE INDEX "{name}" ON "visits_visit" ("{field}_id")',
                )
                for field, name in OLD_INDEXES.items()
            ],
        ),
        migrations.AddIndex(
            model_name='visit',
            index=models.Index(condition=models.Q(('estate__isnull', False)), fields=['estate'], name='visit_estate_idx'),
        ),
        migrations.AddIndex(
            model_name='visit',
            index=models.Index(condition=models.Q(('enterprise__isnull', False)), fields=['enterprise'], name='visit_enterprise_idx'),
        ),
        migrations.AddIndex(
            model_name='visit',
            index=models.Index(condition=models.Q(('owners_committee__isnull', False)), fields=['owners_committee'], name='visit_committee_idx'),
        ),
        migrations.AddIndex(
            model_name='visit',
            index=models.Index(condition=models.Q(('property_company__isnull', False)), fields=['property_company'], name='visit_company_idx'),
        ),
        migrations.AddIndex(
            model_name='visit',
            index=models.Index(condition=models.Q(('paired_village__isnull', False)), fields=['paired_village'], name='visit_village_idx'),
        ),
        migrations.AddIndex(
            model_name='visit',
            index=models.Index(condition=models.Q(('target_community__isnull', False)), fields=['target_community'], name='visit_target_community_idx'),
        ),
    ]
