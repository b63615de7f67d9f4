"""kombu's filesystem transport, the broker of the zero-setup `make run`
(CELERY_BROKER_URL=filesystem://), with each message whole before a worker can take it.

kombu's own transport opens a message's file under its final name and only then writes
it. A worker listing the folder in that instant takes the empty file, fails to decode
it, and its consumer stops ("Unrecoverable error: JSONDecodeError"): the worker exits,
and `make run` stops with it. Here the message is written under a name no worker reads
(".tmp" after the queue's ".msg") and renamed to its own once written: a rename within
a folder is atomic, so a worker sees no file or the whole message. A ".tmp" that a
process killed while writing left behind is removed when a channel opens, once it is
older than any write could take (UNFINISHED_AFTER).
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

UNFINISHED_AFTER = 60  # seconds: a message is written in milliseconds


class FilesystemChannel(filesystem.Channel):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sweep_unfinished()

    def _sweep_unfinished(self) -> None:
        """Remove the half-written messages a killed process left: no worker ever
        reads them, and every start would otherwise leave them in the folder."""
        stale = time.time() - UNFINISHED_AFTER
        with os.scandir(self.data_folder_out) as entries:
            for entry in entries:
                if not entry.name.endswith(".msg.tmp"):
                    continue
                # Another channel opening at the same time may have removed it.
                with contextlib.suppress(FileNotFoundError):
                    if entry.stat().st_mtime < stale:
                        os.remove(entry.path)

    def _put(self, queue, payload, **kwargs):
        """Put `payload` onto `queue`, under the name kombu gives it (its messages are
        taken in the order of their names), once it is written whole."""
        name = f"{int(round(time.monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        written = f"{final}.tmp"
        try:
            with open(written, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(written, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class FilesystemTransport(filesystem.Transport):
    Channel = FilesystemChannel
