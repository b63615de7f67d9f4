from django.core.management import call_command

from accounts.models import Account
from sso.models import SsoDomain


def test_the_demo_company_has_a_verified_domain_and_runs_twice(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("demo_data", "--password", "demo-pass-123")
    call_command("demo_data", "--password", "demo-pass-123")
    domain = SsoDomain.objects.get()
    assert domain.domain == "mycompany.example" and domain.is_verified
    assert domain.account.kind == Account.Kind.BUSINESS
