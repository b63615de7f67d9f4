"""The zero-setup broker (CELERY_BROKER_URL=filesystem://, myaccount/broker.py): a worker
that takes messages while another process is putting them never takes one half
written. kombu's own transport wrote a message's file after giving it its name; a worker
that took the empty file stopped on the JSON error, and `make run` stopped with it."""

from __future__ import annotations

import multiprocessing
import os
import time
from queue import Empty

from kombu import Connection

from myaccount.broker import UNFINISHED_AFTER, FilesystemTransport

MESSAGES = 1500
BODY = "x" * 20_000  # long enough that writing one takes a moment


def _channel(folder: str):
    options = {"data_folder_in": folder, "data_folder_out": folder}
    return Connection("filesystem://", transport_options=options).default_channel


def _put_all(folder: str) -> None:
    channel = _channel(folder)
    for number in range(MESSAGES):
        channel._put("celery", {"body": BODY, "number": number})


def test_filesystem_is_the_transport_that_writes_whole_messages():
    assert isinstance(Connection("filesystem://").transport, FilesystemTransport)


def test_a_worker_taking_messages_while_they_are_put_gets_each_whole(tmp_path):
    producer = multiprocessing.get_context("fork").Process(target=_put_all, args=(str(tmp_path),))
    producer.start()
    channel, taken, failures = _channel(str(tmp_path)), [], []
    while len(taken) + len(failures) < MESSAGES and (
        producer.is_alive() or any(tmp_path.iterdir())
    ):
        try:
            taken.append(channel._get("celery")["number"])
        except Empty:
            continue
        except Exception as error:  # noqa: BLE001 - what a half-written message raises
            failures.append(repr(error))
    producer.join(timeout=60)

    assert failures == []
    assert sorted(taken) == list(range(MESSAGES))  # each once (within a millisecond, in any order)
    assert list(tmp_path.iterdir()) == []


def test_a_message_left_half_written_by_a_killed_process_is_removed_once_stale(tmp_path):
    stale = tmp_path / "1_a.celery.msg.tmp"
    writing = tmp_path / "2_b.celery.msg.tmp"  # another process may be writing it now
    waiting = tmp_path / "3_c.celery.msg"
    for path in (stale, writing, waiting):
        path.write_text("{}")
    long_ago = time.time() - UNFINISHED_AFTER - 1
    os.utime(stale, (long_ago, long_ago))
    os.utime(waiting, (long_ago, long_ago))

    _channel(str(tmp_path))

    assert sorted(path.name for path in tmp_path.iterdir()) == [writing.name, waiting.name]
