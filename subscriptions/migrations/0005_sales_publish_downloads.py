"""Sales staff publish downloads in Django admin: give the "Sales" group what it needs."""

from django.db import migrations

CODENAMES = ["add_download", "change_download", "delete_download", "view_download"]


def forwards(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations ran; create them now.
    app_config = apps.get_app_config("subscriptions")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Sales")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="subscriptions", codename__in=CODENAMES)
    )


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Sales").first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="subscriptions", codename__in=CODENAMES
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0004_download"),
        ("subscriptions", "0003_product_and_sales_group"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
