"""One key id, the portal's: ``pmm-proxy`` pinned from what the portal publishes verifies
the portal's answers signed with a configured key, and follows a key rotation only
through what a key it already trusts has signed.

The portal is the real one (its services, settings and ``manage.py licensing_public_key``);
the proxy is ``pmm-proxy``'s ``main()``; files travel between them as on the Offline
Activation and Validation page (``offline_request_process``).
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from licensing import services, signing
from licensing.client import envelope
from licensing.client.cli import main
from proxies.models import ProxyServer
from tests.licensing.factories import NOW, PORTAL

pytestmark = pytest.mark.django_db


class Keys:
    """Portal signing keys written as PEM files, as an operator creates them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def create(self, kid: str) -> str:
        path = self.directory / f"{kid}.pem"
        path.write_text(envelope.private_key_pem(envelope.generate_private_key()))
        return f"{kid}={path}"


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    directory = tmp_path / "portal-keys"
    directory.mkdir()
    return Keys(directory)


@pytest.fixture
def portal_1(settings, keys: Keys) -> str:
    """The portal signs with a configured key named portal-1 (no development key)."""
    spec = keys.create("portal-1")
    settings.LICENSING_SIGNING_KEYS = spec
    settings.LICENSING_DEV_KEY_ALLOWED = False
    return spec


def manage(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


class Proxy:
    """One pmm-proxy installation, driven through its command line."""

    def __init__(self, state: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.state, self.capsys = state, capsys
        self.now = NOW

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["--state", str(self.state), *args], now=self.now)
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def ok(self, *args: str) -> str:
        code, out, err = self(*args)
        assert (code, err) == (0, ""), err
        return out

    def fails(self, *args: str) -> str:
        code, out, err = self(*args)
        assert code != 0 and out == "", out
        assert len(err.splitlines()) == 1 and err.startswith("pmm-proxy: error: "), err
        return err

    def init(self, *pin: str) -> None:
        self.ok("init", "--server-name", "pmm.alice.example", "--site-code", "HQ", *pin)

    def status(self) -> dict[str, Any]:
        return json.loads(self.ok("status", "--json"))

    def snapshot(self) -> bytes:
        return (self.state / "state.json").read_bytes()

    def request(self, *command: str) -> str:
        path = self.state.parent / "request.txt"
        self.ok(*command, "--offline-request", str(path))
        return path.read_text()

    def imports(self, answer: str) -> str:
        path = self.state.parent / "answer.txt"
        path.write_text(answer)
        return self.ok("import", str(path))


@pytest.fixture
def proxy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Proxy:
    return Proxy(tmp_path / "alice-proxy", capsys)


def pin_file(tmp_path: Path, text: str, name: str = "portal-key") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def upload(text: str, alice, company, *, now: datetime = NOW) -> str:
    """What the Offline Activation and Validation page does with an uploaded file."""
    _, answer = services.offline_request_process(text, actor=alice, account=company, now=now)
    return answer


def activate_offline(proxy: Proxy, primary_key, alice, company) -> None:
    request = proxy.request("activate", "--key", primary_key.key)
    proxy.imports(upload(request, alice, company, now=proxy.now))


# --- pinning what the portal publishes ------------------------------------------------------


def test_the_command_prints_the_key_id_and_key_the_portal_signs_with(
    settings, portal_1, keys: Keys
):
    settings.LICENSING_SIGNING_KEYS = f"{portal_1},{keys.create('portal-2')}"

    current = json.loads(manage("licensing_public_key", "--json"))
    every = json.loads(manage("licensing_public_key", "--all", "--json"))

    assert current == {
        "kid": "portal-2",
        "public_key": signing.current_signing_key().public_key_pem,
    }
    assert [key["kid"] for key in every["keys"]] == ["portal-1", "portal-2"]
    assert envelope.peek(signing.sign("refresh_response", {})).kid == current["kid"]


def test_a_proxy_pinned_from_the_json_imports_answers_signed_with_a_configured_key(
    portal_1, proxy: Proxy, tmp_path, primary_key, alice, company
):
    proxy.init("--portal-public-key", pin_file(tmp_path, manage("licensing_public_key", "--json")))

    activate_offline(proxy, primary_key, alice, company)

    status = proxy.status()
    assert (status["status"], status["license_key"]) == ("active", primary_key.key)
    assert status["portal_key_ids"] == ["portal-1"]


def test_a_proxy_pins_every_key_of_the_published_key_list(
    settings, portal_1, keys: Keys, proxy: Proxy, tmp_path
):
    settings.LICENSING_SIGNING_KEYS = f"{portal_1},{keys.create('portal-2')}"

    proxy.init(
        "--portal-public-key", pin_file(tmp_path, manage("licensing_public_key", "--all", "--json"))
    )

    assert proxy.status()["portal_key_ids"] == ["portal-1", "portal-2"]


def test_a_proxy_pinned_with_the_bare_pem_and_its_key_id_imports_answers(
    portal_1, proxy: Proxy, tmp_path, primary_key, alice, company
):
    pem = pin_file(tmp_path, manage("licensing_public_key"))
    proxy.init("--portal-public-key", pem, "--portal-key-id", "portal-1")

    activate_offline(proxy, primary_key, alice, company)

    assert proxy.status()["status"] == "active"
    assert proxy.status()["portal_key_ids"] == ["portal-1"]


def test_a_proxy_pinned_with_the_bare_pem_alone_learns_the_id_from_the_first_answer(
    portal_1, proxy: Proxy, tmp_path, primary_key, alice, company
):
    # What the README said before key ids were published: the PEM of licensing_public_key.
    proxy.init("--portal-public-key", pin_file(tmp_path, manage("licensing_public_key")))
    assert proxy.status()["portal_key_ids"] == []

    activate_offline(proxy, primary_key, alice, company)

    assert proxy.status()["status"] == "active"
    assert proxy.status()["portal_key_ids"] == ["portal-1"]


def test_a_pinned_key_under_the_wrong_id_refuses_the_answer_and_changes_nothing(
    portal_1, proxy: Proxy, tmp_path, primary_key, alice, company
):
    pem = pin_file(tmp_path, manage("licensing_public_key"))
    proxy.init("--portal-public-key", pem, "--portal-key-id", "portal-9")
    answer = upload(proxy.request("activate", "--key", primary_key.key), alice, company)
    (tmp_path / "answer.txt").write_text(answer)
    before = proxy.snapshot()

    assert "does not trust" in proxy.fails("import", str(tmp_path / "answer.txt"))
    assert proxy.snapshot() == before


def published(**changes: str | None) -> str:
    """What ``licensing_public_key --json`` prints, with fields changed (None: removed)."""
    document = json.loads(manage("licensing_public_key", "--json"))
    for name, value in changes.items():
        if value is None:
            document.pop(name)
        else:
            document[name] = value
    return json.dumps(document)


@pytest.mark.parametrize(
    ("content", "options", "error"),
    [
        (lambda: published(kid="bad id!"), (), "not a valid key id"),
        (lambda: published(public_key=None), (), "not an Ed25519 public key"),
        (lambda: "{not json", (), "not an Ed25519 public key"),
        (lambda: '{"keys": []}', (), "not an Ed25519 public key"),
        (published, ("--portal-key-id", "portal-2"), "names its key id"),
        (lambda: manage("licensing_public_key"), ("--portal-key-id", "bad id!"), "not a valid"),
    ],
)
def test_init_refuses_a_pin_it_cannot_trust_and_creates_nothing(
    portal_1, proxy: Proxy, tmp_path, content, options, error
):
    pin = pin_file(tmp_path, content())

    err = proxy.fails(
        "init", "--server-name", "s", "--site-code", "c", "--portal-public-key", pin, *options
    )

    assert error in err
    assert not proxy.state.exists() or not any(proxy.state.iterdir())


def test_a_key_id_needs_a_key(proxy: Proxy):
    err = proxy.fails("init", "--server-name", "s", "--site-code", "c", "--portal-key-id", "k1")

    assert "--portal-public-key" in err
    assert not proxy.state.exists() or not any(proxy.state.iterdir())


# --- rotation -----------------------------------------------------------------------------


def rotate(settings, *specs: str) -> None:
    settings.LICENSING_SIGNING_KEYS = ",".join(specs)


def test_a_proxy_pinned_to_the_old_key_learns_the_new_one_from_a_signed_answer(
    settings, portal_1, keys: Keys, proxy: Proxy, tmp_path, primary_key, alice, company
):
    proxy.init("--portal-public-key", pin_file(tmp_path, manage("licensing_public_key", "--json")))
    activate_offline(proxy, primary_key, alice, company)
    rotate(settings, portal_1, keys.create("portal-2"))

    answer = upload(proxy.request("refresh"), alice, company)
    assert envelope.peek(answer).kid == "portal-2"  # new answers use the new key
    proxy.imports(answer)

    assert proxy.status()["portal_key_ids"] == ["portal-1", "portal-2"]
    # Once portal-1 is retired, the proxy still verifies what portal-2 signs.
    spec_2 = settings.LICENSING_SIGNING_KEYS.split(",")[1]
    rotate(settings, spec_2)
    proxy.imports(upload(proxy.request("refresh"), alice, company))
    assert proxy.status()["portal_key_ids"] == ["portal-2"]
    assert proxy.status()["status"] == "active"


def test_a_file_signed_with_the_old_key_still_imports_while_the_key_is_listed(
    settings, portal_1, keys: Keys, proxy: Proxy, tmp_path, primary_key, alice, company
):
    proxy.init("--portal-public-key", pin_file(tmp_path, manage("licensing_public_key", "--json")))
    activate_offline(proxy, primary_key, alice, company)
    old_answer = upload(proxy.request("refresh"), alice, company)
    rotate(settings, portal_1, keys.create("portal-2"))

    proxy.imports(old_answer)

    assert envelope.peek(old_answer).kid == "portal-1"
    assert proxy.status()["status"] == "active"


def test_a_new_key_signed_only_by_itself_is_never_learnt(
    settings, portal_1, keys: Keys, proxy: Proxy, tmp_path, primary_key, alice, company
):
    proxy.init("--portal-public-key", pin_file(tmp_path, manage("licensing_public_key", "--json")))
    request = proxy.request("activate", "--key", primary_key.key)
    # An impostor portal: its own key, which vouches for itself.
    rotate(settings, keys.create("portal-2"))
    (tmp_path / "answer.txt").write_text(upload(request, alice, company))
    before = proxy.snapshot()

    assert "does not trust" in proxy.fails("import", str(tmp_path / "answer.txt"))
    assert proxy.snapshot() == before
    assert proxy.status()["portal_key_ids"] == ["portal-1"]


def test_a_key_set_with_a_forged_signature_of_the_trusted_key_is_refused(
    settings, portal_1, keys: Keys, proxy: Proxy, tmp_path, primary_key, alice, company
):
    proxy.init("--portal-public-key", pin_file(tmp_path, manage("licensing_public_key", "--json")))
    request = proxy.request("activate", "--key", primary_key.key)
    rotate(settings, portal_1, keys.create("portal-2"))
    answer = upload(request, alice, company)
    # Re-sign the answer with an impostor key listed as portal-2, keeping portal-1's
    # signature over the real key set: the set no longer matches what portal-1 signed.
    impostor = envelope.generate_private_key()
    payload = dict(envelope.peek(answer).payload)
    key_set = json.loads(json.dumps(payload["portal_keys"]))
    key_set["keys"][1]["public_key"] = envelope.public_key_pem(impostor)
    payload["portal_keys"] = key_set
    forged = envelope.seal(
        message_type="activation_response",
        payload=payload,
        private_key=impostor,
        kid="portal-2",
        now=NOW,
    )
    (tmp_path / "answer.txt").write_text(forged)
    before = proxy.snapshot()

    assert "does not trust" in proxy.fails("import", str(tmp_path / "answer.txt"))
    assert proxy.snapshot() == before
    assert ProxyServer.objects.get().status == ProxyServer.Status.ACTIVE  # the portal's side


def test_a_retired_key_is_not_trusted_again_through_an_older_key_set(
    settings, portal_1, keys: Keys, proxy: Proxy, tmp_path, primary_key, alice, company
):
    proxy.now = NOW - timedelta(hours=2)
    proxy.init("--portal-public-key", pin_file(tmp_path, manage("licensing_public_key", "--json")))
    activate_offline(proxy, primary_key, alice, company)
    spec_2 = keys.create("portal-2")
    rotate(settings, portal_1, spec_2)
    # An hour ago, both keys listed: portal-2 vouched for portal-1 then.
    proxy.now = NOW - timedelta(hours=1)
    older = upload(proxy.request("refresh"), alice, company, now=proxy.now)
    proxy.imports(older)
    proxy.now = NOW
    rotate(settings, spec_2)
    proxy.imports(upload(proxy.request("refresh"), alice, company))
    assert proxy.status()["portal_key_ids"] == ["portal-2"]
    # portal-1 is retired (say it leaked): what it signs, or a copy of it, is refused.
    stale = envelope.peek(older).payload
    forged = envelope.seal(
        message_type="refresh_response",
        payload={**stale, "licenses": 1000, "request_nonce": "x" * 22},
        private_key=envelope.load_private_key_pem((keys.directory / "portal-1.pem").read_text()),
        kid="portal-1",
        now=NOW,
    )
    (tmp_path / "forged.txt").write_text(forged)
    before = proxy.snapshot()

    assert "does not trust" in proxy.fails("import", str(tmp_path / "forged.txt"))
    assert proxy.snapshot() == before


def test_the_key_set_signatures_cover_every_key(portal_1, keys: Keys, settings):
    rotate(settings, portal_1, keys.create("portal-2"))
    key_set = envelope.peek(signing.sign("refresh_response", {})).payload["portal_keys"]
    trusted = {"portal-1": signing.signing_keys()[0].public_key}

    assert set(envelope.key_set_open(key_set, trusted=trusted).keys) == {"portal-1", "portal-2"}
    key_set["keys"] = key_set["keys"][:1]
    with pytest.raises(envelope.UntrustedKeySet):
        envelope.key_set_open(key_set, trusted=trusted)
    key_set = envelope.peek(signing.sign("refresh_response", {})).payload["portal_keys"]
    key_set["signatures"]["portal-1"] = base64.b64encode(bytes(64)).decode()
    with pytest.raises(envelope.UntrustedKeySet):
        envelope.key_set_open(key_set, trusted=trusted)


def test_online_a_proxy_pinned_to_the_old_key_learns_the_new_one_from_the_answer(
    settings, portal_1, keys: Keys, proxy: Proxy, portal, primary_key
):
    proxy.init()
    with time_machine.travel(NOW, tick=False):
        proxy.ok("activate", "--key", primary_key.key, "--portal", PORTAL)
        assert proxy.status()["portal_key_ids"] == ["portal-1"]
        rotate(settings, portal_1, keys.create("portal-2"))

        proxy.ok("refresh", "--portal", PORTAL)

    status = proxy.status()
    assert status["portal_key_ids"] == ["portal-1", "portal-2"]
    assert status["status"] == "active"
    # The public keys were fetched once, on first use; the new key came signed.
    assert portal.count("/api/licensing/public-keys/") == 1
