"""Production settings pass Django's deployment checklist with no warning, and a
production without licensing signing keys refuses to start instead of looking healthy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from licensing.client import envelope

ROOT = Path(__file__).resolve().parent.parent
SECRET = "x" * 30 + "a-real-production-secret-value-0123456789"


def run(*command: str, **env: str) -> subprocess.CompletedProcess:
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for their own process; production never does.
    unset = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "LICENSING_SIGNING_KEYS"}
    unset |= {"LICENSING_DEV_KEY_ALLOWED", "DJANGO_SETTINGS_MODULE"}
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    environment.update(env)
    return subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return run(sys.executable, "manage.py", *args, **env)


@pytest.fixture
def production(tmp_path) -> dict[str, str]:
    """What an operator sets: DEBUG off, a secret, hosts and a signing key of its own."""
    key = tmp_path / "portal.pem"
    key.write_text(envelope.private_key_pem(envelope.generate_private_key()))
    return {
        "DJANGO_SETTINGS_MODULE": "myaccount.settings",
        "DEBUG": "0",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "myaccount.example.com",
        "LICENSING_SIGNING_KEYS": f"portal-1={key}",
    }


def test_check_deploy_reports_nothing_with_production_settings(production):
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **production)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = run_manage(
        "check", DJANGO_SETTINGS_MODULE="myaccount.settings", DEBUG="0", ALLOWED_HOSTS="x"
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_check_deploy_fails_without_signing_keys_and_says_what_to_set(production):
    del production["LICENSING_SIGNING_KEYS"]

    result = run_manage("check", "--deploy", **production)

    assert result.returncode != 0
    assert "licensing.E001" in result.stderr
    assert "LICENSING_SIGNING_KEYS is not set" in result.stderr
    assert "LICENSING_SIGNING_KEYS=portal-1=" in result.stderr


def test_check_deploy_fails_on_an_unreadable_signing_key(production, tmp_path):
    production["LICENSING_SIGNING_KEYS"] = f"portal-1={tmp_path / 'missing.pem'}"

    result = run_manage("check", "--deploy", **production)

    assert result.returncode != 0
    assert "licensing.E001" in result.stderr
    assert "cannot read the key file of 'portal-1'" in result.stderr


def test_check_deploy_warns_of_the_development_key_in_production(production):
    del production["LICENSING_SIGNING_KEYS"]
    production["LICENSING_DEV_KEY_ALLOWED"] = "1"

    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **production)

    assert result.returncode != 0
    assert "licensing.W001" in result.stderr


def test_the_server_refuses_to_start_without_signing_keys(production):
    del production["LICENSING_SIGNING_KEYS"]
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))

    refused = run(gunicorn, "--check-config", "myaccount.wsgi", **production)
    del production["DEBUG"]  # development: a development key is generated when needed
    started = run(gunicorn, "--check-config", "myaccount.wsgi", **production)

    assert refused.returncode != 0
    assert "LICENSING_SIGNING_KEYS is not set" in refused.stderr
    assert started.returncode == 0, started.stderr
