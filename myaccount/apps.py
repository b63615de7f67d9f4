from django.apps import AppConfig


class MyaccountConfig(AppConfig):
    name = "myaccount"
    verbose_name = "MyAccount"
