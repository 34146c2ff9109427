"""The embedded broker must never hand a consumer a message that is still being written."""

import os
from queue import Empty

import pytest
from kombu import Connection

from fuelpay import broker


@pytest.fixture
def channel(tmp_path):
    folders = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path), "control_folder": str(tmp_path)}
    with Connection("filesystem://", transport="fuelpay.broker:Transport", transport_options=folders) as connection:
        yield connection.default_channel


def test_a_message_is_invisible_to_consumers_until_it_is_complete(channel, monkeypatch):
    seen_while_writing = []
    real_replace = os.replace

    def replace_after_a_consumer_looked(source, target):
        try:
            seen_while_writing.append(channel._get("default"))
        except Empty:
            seen_while_writing.append(None)
        real_replace(source, target)

    monkeypatch.setattr(broker.os, "replace", replace_after_a_consumer_looked)
    channel._put("default", {"body": "x" * 10_000})

    assert seen_while_writing == [None]
    assert channel._get("default") == {"body": "x" * 10_000}


def test_no_partial_file_is_left_behind(channel, tmp_path):
    channel._put("default", {"body": "hello"})

    assert [name for name in os.listdir(tmp_path) if name.endswith(broker.PARTIAL_SUFFIX)] == []


def test_the_embedded_default_uses_the_atomic_transport(settings):
    assert settings.CELERY_BROKER_URL.startswith("filesystem") is (
        getattr(settings, "CELERY_BROKER_TRANSPORT", None) == "fuelpay.broker:Transport"
    )
