from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        # drf-spectacular learns the bearer token scheme from this extension.
        from api import schema  # noqa: F401
