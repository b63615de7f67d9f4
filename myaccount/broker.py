"""kombu's filesystem transport, the broker of the zero-setup `make run`
(CELERY_BROKER_URL=filesystem://), with each message whole before a worker can take it.

kombu's own transport opens a message's file under its final name and only then writes
it. A worker listing the folder in that instant takes the empty file, fails to decode
it, and its consumer stops ("Unrecoverable error: JSONDecodeError"): the worker exits,
and `make run` stops with it. Here the message is written under a name no worker reads
(".tmp" after the queue's ".msg") and renamed to its own once written: a rename within
a folder is atomic, so a worker sees no file or the whole message.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class FilesystemChannel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put `payload` onto `queue`, under the name kombu gives it (its messages are
        taken in the order of their names), once it is written whole."""
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
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
