"""Moving a model to another app without touching its table: the migrations change only Django's state
(SeparateDatabaseAndState, the model keeps `db_table`), and this renames the model's content type so its
permissions and admin history follow it instead of being recreated under the new app."""

from django.db import migrations


def content_types_move(*, from_app: str, to_app: str, models: list[str]) -> migrations.RunPython:
    def rename(apps, from_label: str, to_label: str) -> None:
        content_type = apps.get_model("contenttypes", "ContentType")
        content_type.objects.filter(app_label=from_label, model__in=models).update(app_label=to_label)

    return migrations.RunPython(
        lambda apps, schema_editor: rename(apps, from_app, to_app),
        lambda apps, schema_editor: rename(apps, to_app, from_app),
    )
