"""The portal refuses to start on a Redis older than 7 (its rate limits count with
EXPIRE … NX), saying what to do; a Redis 7 or an unreachable one is not an error here
(an outage is served through, and /healthz names it)."""

from __future__ import annotations

import socket
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError


class OldRedis:
    """A server that speaks Redis' protocol as Redis 6.2 does, for what redis-py sends:
    HELLO 3 on connecting (answered with RESP3's map), CLIENT SETINFO, and INFO."""

    def __init__(self, version: str = "6.2.14") -> None:
        self.version = version
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self.server.getsockname()[1]}/0"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection, connection.makefile("rb") as stream:
            while header := stream.readline():
                if not header.startswith(b"*"):
                    return
                words = []
                for _ in range(int(header[1:])):
                    length = int(stream.readline()[1:])
                    words.append(stream.read(length + 2)[:-2].decode().upper())
                if words[0] == "HELLO":
                    fields = {"server": "redis", "version": self.version, "proto": 3}
                    hello = b"%%%d\r\n" % len(fields) + b"".join(
                        b"+%s\r\n" % name.encode()
                        + (
                            b":%d\r\n" % value
                            if isinstance(value, int)
                            else b"+%s\r\n" % value.encode()
                        )
                        for name, value in fields.items()
                    )
                    connection.sendall(hello)
                elif words[0] == "INFO":
                    body = f"# Server\r\nredis_version:{self.version}\r\n".encode()
                    connection.sendall(b"$%d\r\n%s\r\n" % (len(body), body))
                else:
                    connection.sendall(b"+OK\r\n")

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def old_redis():
    server = OldRedis()
    yield server
    server.close()


def test_a_redis_6_stops_the_start_saying_what_to_do(settings, old_redis):
    settings.REDIS_URL = old_redis.url

    with pytest.raises(SystemCheckError) as refused:
        call_command("check")

    message = str(refused.value)
    assert "myaccount.E001" in message
    assert "Redis 6.2.14" in message and "Redis 7 or newer" in message


def test_the_machines_redis_7_passes(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    call_command("check")  # raises SystemCheckError on any error


def test_an_unreachable_redis_is_left_to_the_outage_handling(redis_down):
    call_command("check")
