from django.core.management import call_command

from accounts.models import User


def test_demo_data_creates_the_demo_user_and_can_run_twice(db, capsys, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("demo_data", "--password", "demo-pass-123")
    call_command("demo_data", "--password", "demo-pass-456")
    out = capsys.readouterr().out
    assert "demo@example.com" in out
    assert "demo-pass-456" in out
    demo = User.objects.get(email="demo@example.com")
    assert demo.check_password("demo-pass-456")
    assert demo.memberships.exists()


def test_demo_data_has_a_colleague_who_reads_german_on_berlin_time(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("demo_data", "--password", "demo-pass-123")

    jonas = User.objects.get(email="jonas.keller@example.com")
    assert (jonas.language, jonas.time_zone) == ("de", "Europe/Berlin")
    assert jonas.memberships.filter(account__kind="business").exists()
