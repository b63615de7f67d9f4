from django.core.management import call_command

from accounts.models import Account, AuditLog, Membership
from sso.models import ScimGroup, ScimUser, SsoConfig, SsoDomain


def test_the_demo_company_has_a_verified_domain_and_runs_twice(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("demo_data", "--password", "demo-pass-123")
    call_command("demo_data", "--password", "demo-pass-123")
    domain = SsoDomain.objects.get()
    assert domain.domain == "mycompany.example" and domain.is_verified
    assert domain.account.kind == Account.Kind.BUSINESS


def test_the_demo_company_provisioned_riley_by_scim_once(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("demo_data", "--password", "demo-pass-123")
    config = SsoConfig.objects.get()
    first_token = config.scim_token_hash
    call_command("demo_data", "--password", "demo-pass-123")
    config.refresh_from_db()
    assert first_token and config.scim_token_hash == first_token
    riley = Membership.objects.get(
        account=config.account, user__email="riley.scim@mycompany.example"
    )
    assert riley.is_active
    assert ScimUser.objects.get(membership=riley).external_id == "okta-00u-riley"
    group = ScimGroup.objects.get(display_name="Field Engineers")
    assert group.document["members"] == [{"value": str(riley.pk)}]
    joined = AuditLog.objects.filter(action="membership.created", target_label__icontains="riley")
    assert [e.data.get("via") for e in joined] == ["scim"]
