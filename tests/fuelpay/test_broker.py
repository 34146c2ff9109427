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


PRODUCERS, PER_PRODUCER = 4, 1_000


def _produce(folder: str, producer: int) -> None:
    options = {"data_folder_in": folder, "data_folder_out": folder, "control_folder": folder}
    with Connection("filesystem://", transport="fuelpay.broker:Transport", transport_options=options) as connection:
        channel = connection.default_channel
        for number in range(PER_PRODUCER):
            channel._put("default", {"body": f"{producer}:{number}", "pad": "x" * (number % 5 * 2_000)})


def test_thousands_of_messages_from_several_processes_while_consuming_lose_none(channel, tmp_path):
    import multiprocessing
    import time

    context = multiprocessing.get_context("fork")
    producers = [context.Process(target=_produce, args=(str(tmp_path), p)) for p in range(PRODUCERS)]
    for process in producers:
        process.start()
    received, deadline = [], time.monotonic() + 120
    while len(received) < PRODUCERS * PER_PRODUCER and time.monotonic() < deadline:
        try:
            received.append(channel._get("default")["body"])  # consumed while the others still write
        except Empty:
            time.sleep(0.001)
    for process in producers:
        process.join(timeout=30)
        assert process.exitcode == 0
    assert sorted(received) == sorted(f"{p}:{n}" for p in range(PRODUCERS) for n in range(PER_PRODUCER))
