"""The first product (Mac Management) and the "Sales" group with what sales staff need."""

from django.db import migrations

SALES_PERMISSIONS = {
    "subscriptions": [
        "view_product",
        "add_subscription",
        "change_subscription",
        "view_subscription",
        "view_licensekey",
        "view_order",
    ],
    "accounts": ["view_account"],
}


def forwards(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations ran; create them now.
    for label in SALES_PERMISSIONS:
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Product = apps.get_model("subscriptions", "Product")
    Product.objects.get_or_create(code="mac-management", defaults={"name": "Mac Management"})

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Sales")
    for app_label, codenames in SALES_PERMISSIONS.items():
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Sales").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0002_constraints"),
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
