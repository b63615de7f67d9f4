"""The development server and the tests' live server send each answer at once: Nagle's
algorithm is off on every connection they accept (core/servers.py), so a kept-alive
connection's second request is not answered 40 ms late."""

from __future__ import annotations

import socket

import pytest
from django.core.management import get_commands, load_command_class
from django.core.servers.basehttp import WSGIRequestHandler

from core.servers import ThreadedWSGIServer, WSGIServer


@pytest.mark.parametrize("server_class", [WSGIServer, ThreadedWSGIServer])
def test_each_accepted_connection_has_nagles_algorithm_off(server_class):
    server = server_class(("127.0.0.1", 0), WSGIRequestHandler)
    try:
        with socket.create_connection(server.server_address[:2]) as client:
            connection, _ = server.get_request()
            with connection:
                nodelay = connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            # The client's end is untouched: only what the server accepts changes.
            assert client.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        assert nodelay == 1
    finally:
        server.server_close()


def test_manage_py_runserver_serves_with_that_server_and_leaves_static_files_to_whitenoise():
    command = load_command_class(get_commands()["runserver"], "runserver")

    assert command.server_cls is WSGIServer
    parser = command.create_parser("manage.py", "runserver")
    assert parser.get_default("use_static_handler") is False  # WhiteNoise serves them


def test_the_live_server_of_the_tests_is_that_server(live_server):
    assert isinstance(live_server.thread.httpd, ThreadedWSGIServer)
