"""The way production serves the portal: gunicorn.conf.py and myaccount/wsgi.py."""

from __future__ import annotations

import json
import os
import runpy
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_config(monkeypatch, **env: str) -> dict:
    for name in ("GUNICORN_BIND", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT", "GUNICORN_ACCESS_LOG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_the_gunicorn_configuration_reads_the_environment(monkeypatch):
    config = load_config(
        monkeypatch,
        GUNICORN_BIND="127.0.0.1:9000",
        WEB_CONCURRENCY="7",
        GUNICORN_ACCESS_LOG="-",
    )
    assert config["bind"] == "127.0.0.1:9000"
    assert config["workers"] == 7
    assert config["accesslog"] == "-"
    assert config["worker_class"] == "myaccount.gunicorn_worker.JsonErrorSyncWorker"
    assert config["preload_app"] is True


def test_the_gunicorn_configuration_has_production_defaults(monkeypatch):
    config = load_config(monkeypatch)
    assert config["bind"] == "0.0.0.0:8000"
    assert config["workers"] == 2 * os.cpu_count() + 1
    assert config["accesslog"] is None


def run_wsgi(**env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LICENSING_"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="myaccount.settings",
        DEBUG="0",
        SECRET_KEY="x" * 30 + "a-real-production-secret-value-0123456789",
        ALLOWED_HOSTS="myaccount.example.com",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-c", "import myaccount.wsgi"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_application_does_not_start_with_a_signing_key_it_cannot_read(tmp_path):
    result = run_wsgi(LICENSING_SIGNING_KEYS=f"portal-1={tmp_path / 'missing.pem'}")
    assert result.returncode != 0
    assert "cannot read the key file of 'portal-1'" in result.stderr


def test_the_application_starts_with_a_readable_signing_key(tmp_path):
    key_file = tmp_path / "portal.pem"
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(key_file)], check=True
    )
    result = run_wsgi(LICENSING_SIGNING_KEYS=f"portal-1={key_file}")
    assert result.returncode == 0, result.stderr


def _longest(schema: dict) -> int:
    """The most bytes one query parameter's value can take in a URL, by its schema."""
    if "oneOf" in schema:
        return max(_longest(alternative) for alternative in schema["oneOf"])
    if "enum" in schema:
        return max(len(str(value).encode()) * 3 for value in schema["enum"])
    if schema.get("type") == "integer":
        return 20
    if schema.get("format") in {"date", "date-time"}:
        return 40
    if schema.get("pattern") == r"^[A-Za-z0-9_.:-]*$":
        return schema["maxLength"] * 3  # ":" is "%3A"
    assert "maxLength" in schema, f"a query parameter without a length limit: {schema}"
    return schema["maxLength"] * 12  # a 4-byte UTF-8 character, percent-encoded


def test_every_request_line_the_api_document_allows_fits_gunicorns_limit(monkeypatch, client):
    config = load_config(monkeypatch)
    document = client.get("/api/schema/?format=json").json()
    longest = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            parameters = [p for p in operation.get("parameters", []) if p["in"] == "query"]
            query = sum(len(p["name"]) + 2 + _longest(p["schema"]) for p in parameters)
            line = len(method) + 1 + len(path) + 20 + 1 + query + len(" HTTP/1.1")
            longest = max(longest, line)
    assert 4094 < longest <= config["limit_request_line"]


def _ask(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_gunicorns_own_refusals_are_json(tmp_path):
    """A request line longer than any the API document allows: gunicorn's 414, in the
    APIs' error shape instead of its HTML page."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(DJANGO_SETTINGS_MODULE="myaccount.settings", HOME=str(tmp_path))
    with (tmp_path / "gunicorn.log").open("wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "myaccount.wsgi",
                "-c",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
            ],  # fmt: skip
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        line = b"GET /api/v1/accounts/?cursor=" + b"a" * 9000 + b" HTTP/1.1\r\n"
        answer = _ask(port, line + b"Host: 127.0.0.1\r\n\r\n")
    finally:
        server.terminate()
        server.wait(timeout=30)

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414 ")
    assert b"Content-Type: application/json" in head
    assert json.loads(body)["error"]["code"] == "uri_too_long"
