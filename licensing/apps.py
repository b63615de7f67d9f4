from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "licensing"

    def ready(self) -> None:
        # Registers the system checks (Django's documented place for it).
        from licensing import checks  # noqa: F401
