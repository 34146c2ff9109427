"""Step 2 of 3: every stored phone number is encrypted and digested, and drivers' user names (which were the
phone number) become `d-` + the start of the digest, as drivers.services.driver_register names new drivers.

Reversible with the same FIELD_ENCRYPTION_KEYS and SECRET_KEY: the numbers and user names come back from
the ciphertext. Sign-in codes keep only a digest, so undoing this deletes them (they expire in minutes
anyway; the sign-in limits restart).

Sessions kept the number being signed in, in clear, under "sign_in_phone" (and kept it after the sign-in,
for the session's 30 days): that key is removed from every stored session. One-way: nothing reads it now."""

from django.contrib.sessions.backends.db import SessionStore
from django.db import migrations

from core.crypto import decrypt_text, encrypt_text, phone_digest, phone_mask


def _username(digest: str) -> str:
    return f"d-{digest[:24]}"  # a copy: a migration keeps the rule of its day


def phones_encrypt(apps, schema_editor):
    Driver = apps.get_model('drivers', 'Driver')
    SmsCode = apps.get_model('drivers', 'SmsCode')
    for driver in Driver.objects.select_related('user').order_by('pk').iterator(chunk_size=500):
        digest = phone_digest(driver.phone)
        Driver.objects.filter(pk=driver.pk).update(
            phone_encrypted=encrypt_text(driver.phone), phone_digest=digest, phone_masked=phone_mask(driver.phone)
        )
        if driver.user.username == driver.phone:
            type(driver.user).objects.filter(pk=driver.user_id).update(username=_username(digest))
    for code in SmsCode.objects.order_by('pk').iterator(chunk_size=500):
        SmsCode.objects.filter(pk=code.pk).update(phone_digest=phone_digest(code.phone))


def sessions_forget_phone(apps, schema_editor):
    Session = apps.get_model('sessions', 'Session')
    store = SessionStore()
    for session in Session.objects.order_by('pk').iterator(chunk_size=500):
        data = store.decode(session.session_data)  # {} for data signed under another key: nothing to read
        if 'sign_in_phone' in data:
            del data['sign_in_phone']
            Session.objects.filter(pk=session.pk).update(session_data=store.encode(data))


def phones_decrypt(apps, schema_editor):
    Driver = apps.get_model('drivers', 'Driver')
    SmsCode = apps.get_model('drivers', 'SmsCode')
    for driver in Driver.objects.select_related('user').order_by('pk').iterator(chunk_size=500):
        phone = decrypt_text(driver.phone_encrypted)
        Driver.objects.filter(pk=driver.pk).update(phone=phone)
        if driver.user.username == _username(driver.phone_digest):
            type(driver.user).objects.filter(pk=driver.user_id).update(username=phone)
    SmsCode.objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('drivers', '0005_phone_encrypted_columns'),
        ('sessions', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(phones_encrypt, phones_decrypt),
        migrations.RunPython(sessions_forget_phone, migrations.RunPython.noop),
    ]
