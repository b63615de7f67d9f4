from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app uses and no app owns: the domain error and the one JSON error
    shape, request helpers, the confirmation page, rate-limit windows, compiled SQL."""

    name = "core"
