"""Meeting BaaS v2, served beside v1 by the same engine: its own contract
(`openapi-v2.json`), envelopes, error shape, status names and signed webhooks."""

from __future__ import annotations

from pathlib import Path

PREFIX = "/v2/"


def contract_path() -> Path:
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "openapi-v2.json", here.parent / "openapi-v2.json"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError("openapi-v2.json is not installed next to the mockbaas package")
