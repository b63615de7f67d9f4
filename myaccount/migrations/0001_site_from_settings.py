from django.db import migrations

from myaccount.sites import site_sync


def forwards(apps, schema_editor):
    site_sync(apps.get_model("sites", "Site"), using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("sites", "0002_alter_domain_unique")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
