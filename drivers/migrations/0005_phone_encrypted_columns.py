from django.db import migrations, models


class Migration(migrations.Migration):
    """Step 1 of 3 (phone numbers encrypted at rest): the new columns. The plain column becomes nullable so
    that undoing step 3 can add it back to a filled table before step 2's reverse refills it."""

    dependencies = [
        ('drivers', '0004_driver_birthday'),
    ]

    operations = [
        migrations.AddField(
            model_name='driver',
            name='phone_encrypted',
            field=models.TextField(default='', editable=False, verbose_name='phone encrypted'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='driver',
            name='phone_digest',
            field=models.CharField(editable=False, max_length=64, null=True, verbose_name='phone digest'),
        ),
        migrations.AddField(
            model_name='driver',
            name='phone_masked',
            field=models.CharField(default='', editable=False, max_length=16, verbose_name='phone'),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name='driver',
            name='phone',
            field=models.CharField(max_length=20, null=True, unique=True, verbose_name='phone'),
        ),
        migrations.AddField(
            model_name='smscode',
            name='phone_digest',
            field=models.CharField(db_index=True, default='', max_length=64),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name='smscode',
            name='phone',
            field=models.CharField(db_index=True, max_length=20, null=True),
        ),
    ]
