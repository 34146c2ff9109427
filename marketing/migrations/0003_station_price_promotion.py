"""The station's per-litre 明折明扣 (GradePrice list price above station price) becomes a promotion, so the
promotion engine is the one discount path: one platform-wide row, funded by the station, always applied."""

from django.db import migrations


def forwards(apps, schema_editor):
    Promotion = apps.get_model("marketing", "Promotion")
    Promotion.objects.get_or_create(
        benefit_kind="station_price",
        scope="platform",
        defaults={
            "name": "站点直降 明折明扣",
            "name_en": "Station price",
            "is_active": True,
            "funder": "station",
            "stacking": "stackable",
            "priority": 1000,
        },
    )


def backwards(apps, schema_editor):
    apps.get_model("marketing", "Promotion").objects.filter(benefit_kind="station_price").delete()


class Migration(migrations.Migration):
    dependencies = [("marketing", "0002_promotions")]

    operations = [migrations.RunPython(forwards, backwards)]
