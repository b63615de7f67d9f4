"""pmm-proxy (`licensing.client`) runs on the proxy servers' machines with Python alone:
the import contract that keeps it so forbids Django, DRF, every app of the portal and
every module of `licensing` beside the client. A new app or licensing module is in it
too, or this test says which is missing."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _forbidden() -> set[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    (contract,) = [
        contract
        for contract in config["tool"]["importlinter"]["contracts"]
        if contract.get("source_modules") == ["licensing.client"]
    ]
    return set(contract["forbidden_modules"])


def test_the_client_may_import_no_portal_app_and_no_other_licensing_module():
    apps = {path.parent.name for path in REPO.glob("*/apps.py")} | {"myaccount"}
    licensing = {
        f"licensing.{path.stem}"
        for path in (REPO / "licensing").iterdir()
        if path.stem not in {"__init__", "__pycache__", "client"}
        and (path.suffix == ".py" or (path / "__init__.py").exists())
    }
    expected = {"django", "rest_framework"} | (apps - {"licensing"}) | licensing

    assert expected - _forbidden() == set()
