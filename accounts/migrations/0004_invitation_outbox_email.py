import django.db.models.deletion
from django.db import migrations, models


def record_sent_invitations(apps, schema_editor):
    """Invitations e-mailed before the outbox keep their send time as a sent outbox row.

    Pending ones that were never sent (the broker was down) stay without an e-mail:
    the Users page shows them as not sent, and Resend sends them.
    """
    Invitation = apps.get_model("accounts", "Invitation")
    OutboxEmail = apps.get_model("outbox", "OutboxEmail")
    for invitation in Invitation.objects.exclude(sent_at=None).select_related("account"):
        invitation.outbox_email = OutboxEmail.objects.create(
            kind="accounts.invitation",
            to=[invitation.email],
            from_email="",
            subject=f"Join {invitation.account.name}",
            status="sent",
            created_at=invitation.sent_at,
            next_attempt_at=invitation.sent_at,
            attempts=1,
            sent_at=invitation.sent_at,
        )
        invitation.save(update_fields=["outbox_email"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_auditoutbox"),
        ("outbox", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="outbox_email",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="outbox.outboxemail",
            ),
        ),
        migrations.RunPython(record_sent_invitations, migrations.RunPython.noop),
        migrations.RemoveField(model_name="invitation", name="sent_at"),
    ]
