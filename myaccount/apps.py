from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate

from myaccount.sites import site_sync_after_migrate


class MyaccountConfig(AppConfig):
    name = "myaccount"
    verbose_name = "MyAccount"

    def ready(self) -> None:
        from myaccount import checks  # noqa: F401  (registers the system checks)

        # Once per `migrate`, right after the sites app has made its default record.
        post_migrate.connect(site_sync_after_migrate, sender=apps.get_app_config("sites"))
