"""Hole 8: the development SMS backend logged every sign-in code with the full phone number."""

import json
import logging

import pytest

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = "13912345678"


def test_sign_in_logs_no_code_token_or_full_phone(client, settings, tmp_path, caplog):
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    caplog.set_level(logging.DEBUG)
    client.post("/login/", {"phone": PHONE, "next": "/me/"})
    message = json.loads((tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()[-1])["message"]
    code = next(word for word in message.replace("，", " ").replace(",", " ").split() if word.isdigit())
    client.post("/login/verify/", {"code": "000000" if code != "000000" else "111111", "next": "/me/"})
    response = client.post("/login/verify/", {"code": code, "next": "/me/"})
    token = response.cookies[settings.DRIVER_DEVICE_COOKIE].value
    assert caplog.records, "the sign-in logged nothing: the test would prove nothing"
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert code not in logged and token not in logged and PHONE not in logged
    assert "139****5678" in logged
