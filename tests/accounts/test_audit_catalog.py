"""The catalog of audit actions (accounts/audit.py ACTIONS): every action the portal
can record has a label and a sentence in every language, and the one writer of the
log (audit_log_record) refuses a code that has none."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.utils import translation

from accounts import services
from accounts.audit import ACTIONS, BY_INSTALLATION, ROLE_CHANGED_TO, audit_sentence
from accounts.models import AuditLog, AuditOutbox

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
LANGUAGES = [code for code, _ in settings.LANGUAGES]


def _sentences() -> list[tuple[str, str]]:
    """(where, English text) of every string the catalog can show."""
    texts = []
    for code, (label, sentence) in ACTIONS.items():
        texts += [(f"{code} label", label), (f"{code} sentence", sentence)]
    texts += [(f"{code} by installation", text) for code, text in BY_INSTALLATION.items()]
    texts += [(f"role changed to {role}", text) for role, text in ROLE_CHANGED_TO.items()]
    return texts


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_action_reads_as_words_in_every_language(language):
    missing, broken = [], []
    with translation.override(language):
        for where, text in _sentences():
            with translation.override("en"):
                english = str(text)
            shown = str(text)
            if language != "en" and shown == english:
                missing.append(where)
            if sorted(PLACEHOLDER.findall(shown)) != sorted(PLACEHOLDER.findall(english)):
                broken.append(f"{where}: {shown}")
            shown % {"actor": "A", "target": "T"}  # formats without error
    assert not missing, f"untranslated in {language}: {missing}"
    assert not broken, f"placeholders lost in {language}: {broken}"


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_each_action_of_the_catalog_becomes_a_sentence_on_a_real_entry(alice, company, language):
    for code in ACTIONS:
        entry = services.audit_log_record(
            account=company, actor=alice, channel="web", action=code, target_label="lab-proxy"
        )
        with translation.override(language):
            sentence = audit_sentence(entry)
        assert code not in sentence, sentence


@pytest.mark.django_db
def test_the_usage_a_proxy_server_reports_online_has_its_sentence(company):
    entry = services.audit_log_record(
        account=company,
        channel="online",
        action="proxy_server.usage_reported",
        actor_label="installation lab-proxy",
        target_label="lab-proxy",
    )
    assert audit_sentence(entry) == "The proxy server lab-proxy reported its usage online"


@pytest.mark.django_db
def test_the_writer_refuses_an_action_that_is_not_in_the_catalog(alice, company):
    with pytest.raises(ValueError, match="not.in.catalog"):
        services.audit_log_record(
            account=company, actor=alice, channel="web", action="not.in.catalog"
        )
    assert not AuditLog.objects.exists()
    assert not AuditOutbox.objects.exists()
