"""The OpenAPI document and the behaviour agree: `schemathesis run --checks all` over
every operation of the document (/api/v1/ and /api/licensing/), as a developer would
type it, with alice's token, against
this test's live server and database, must find nothing: no 5xx, documented statuses,
content types, headers and bodies; schema-valid requests accepted, schema-violating
ones refused; no endpoint that ignores its authentication.

Every phase runs (the document's examples, its boundaries — "coverage" —, random
valid and invalid requests, stateful sequences) with a bounded number of examples per
operation. Path ids are steered to real objects of alice's company nine times in ten
(schemathesis "dictionaries"), so the requests reach the services, not only the 404s.

One allowance, written in the configuration below: a schema-valid write may still be
refused by a rule of the guide (an expired subscription, the pool, the last
administrator; for the licensing API, a message that is not correctly signed),
documented as 400 with the rule's code. A schema-violating body too large to read is
refused with 413, as documented. Reads get no such allowance: a schema-valid
query is answered. The licensing rate limits are raised so that they do not hide the
rest (they have their own tests).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from accounts.models import Membership
from support import services as support_services
from support.models import TicketAttachment
from tests import factories
from tests.api.conftest import token_for
from tests.support.conftest import PNG, ticket_create
from webhooks import services as webhook_services

MAX_EXAMPLES = 6
CONFIG = """
seed = 1
workers = 2
max-failures = 20

[generation]
max-examples = {max_examples}

# The boundaries of every parameter and body field, valid and invalid. One unexpected
# method per path (no operation uses PUT) is enough to see 405 with its Allow header.
[phases.coverage]
unexpected-methods = ["PUT"]

# Sequences of calls along the links inferred from the document (a created invitation,
# key or ticket then read, changed, withdrawn or deleted). At the examples' bound it ran
# 6 scenarios over 3 links; at 60 it runs out of new ones (43 scenarios, 20 links).
[phases.stateful]
generation.max-examples = 60

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "429"]

# A schema-violating body can be larger than the portal reads (a field far over its
# maxLength): 413, documented for every body, is a refusal too.
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]

[[operations]]
include-method-regex = "^(POST|PATCH|DELETE)$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"]

# A key's License Administrators are covered by tests/api/test_license_key_administrators.py.
[[operations]]
include-path-regex = "/administrators/"
enabled = false

{dictionaries}
"""


@pytest.fixture
def scene(
    company,
    alice,
    bob,
    dave,
    charlie,
    subscription,
    sublicense,
    proxy,
    other_subscription,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path / "media"  # the ticket's attachment
    invitation, _ = factories.invitation_create(company, "newcomer@example.com", invited_by=alice)
    ticket = ticket_create(
        company, alice, uploads=[support_services.Upload(name="screen.png", content=PNG)]
    )
    # A receiver on this machine's discard port, where nothing listens (its address
    # allowed, as an on-premises installation allows its own network): a test send or a
    # redelivery is refused at once, with no name to look up and nothing leaving the machine.
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    endpoint = webhook_services.endpoint_create(
        account=company,
        actor=alice,
        url="https://127.0.0.1:9/myaccount",
        event_types=["proxy_server.activated"],
    ).endpoint
    delivery = webhook_services.endpoint_test_send(endpoint=endpoint, actor=alice)
    members = Membership.objects.filter(account=company).order_by("id")
    return {
        "account_id": [company.pk],
        "subscription_id": [subscription.pk],
        "key_id": [subscription.primary_key.pk, sublicense.pk],
        "proxy_id": [proxy.pk],
        "member_id": [m.pk for m in members],
        "invitation_id": [invitation.pk],
        "ticket_id": [ticket.pk],
        "attachment_id": [TicketAttachment.objects.get().pk],
        "endpoint_id": [endpoint.pk],
        "delivery_id": [delivery.pk],
    }


def _dictionaries(ids: dict[str, list[int]]) -> str:
    lines = []
    for name, values in ids.items():
        lines += [f"[dictionaries.{name}]", f"values = {values}", ""]
    lines.append("[parameters]")
    lines += [f'"path.{name}" = {{ dictionary = "{name}", probability = 0.9 }}' for name in ids]
    return "\n".join(lines)


def test_every_check_passes_on_every_operation(live_server, settings, scene, alice, tmp_path):
    settings.ALLOWED_HOSTS = ["*"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"licensing_ip": "100000/min", "licensing_key": "100000/min"},
    }
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.format(max_examples=MAX_EXAMPLES, dictionaries=_dictionaries(scene)))
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(config),
        "--no-color",
        "run",
        f"{live_server.url}/api/schema/",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {token_for(alice, 'schemathesis')}",
        "--report-dir",
        str(tmp_path / "report"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)

    assert result.returncode == 0, result.stdout[-20_000:] + result.stderr[-5_000:]
