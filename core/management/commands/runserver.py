"""`manage.py runserver` as Django's, static files left to WhiteNoise, with each connection
answering without the 40 ms wait of Nagle's algorithm (core/servers.py). `core` comes
before `whitenoise.runserver_nostatic` in INSTALLED_APPS so that this command is the one
Django runs."""

from whitenoise.runserver_nostatic.management.commands.runserver import (
    Command as WhiteNoiseRunserver,
)

from core.servers import WSGIServer


class Command(WhiteNoiseRunserver):
    server_cls = WSGIServer
