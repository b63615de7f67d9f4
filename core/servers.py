"""Django's development server with Nagle's algorithm off on each connection.

Django's server (wsgiref underneath) writes a response's headers and its body in two
sends. On a kept-alive connection the body then waits for the client to acknowledge the
headers, which Linux delays by up to 40 ms: every request after a connection's first,
a browser's stylesheet and scripts included, took about 44 ms instead of 2 on loopback
(CPython's issue 108736 on `http.server`). gunicorn sets TCP_NODELAY on its sockets;
`manage.py runserver` (core/management/commands/runserver.py) and the tests' live server
(tests/conftest.py) use these classes to do the same.
"""

from __future__ import annotations

import socket

from django.core.servers import basehttp


class NoDelay:
    """Each accepted connection sends what it is given at once."""

    def get_request(self):
        connection, address = super().get_request()
        if connection.family in (socket.AF_INET, socket.AF_INET6):
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


class WSGIServer(NoDelay, basehttp.WSGIServer):
    pass


class ThreadedWSGIServer(NoDelay, basehttp.ThreadedWSGIServer):
    pass
