from django.db import migrations, models


class Migration(migrations.Migration):
    """Step 3 of 3: the plain phone columns go; a driver is found by the digest alone."""

    dependencies = [
        ('drivers', '0006_phone_encrypt_rows'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='driver',
            name='phone',
        ),
        migrations.RemoveField(
            model_name='smscode',
            name='phone',
        ),
        migrations.AlterField(
            model_name='driver',
            name='phone_digest',
            field=models.CharField(editable=False, max_length=64, unique=True, verbose_name='phone digest'),
        ),
    ]
