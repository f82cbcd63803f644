"""Where the OpenAPI documents the mock is built from are installed.

`openapi.json` (v1) and `openapi-v2.json` describe the Meeting BaaS API and stay beside
the package's modules; `control.json`, our own document for the `/_mockbaas` control
API, lives in this package.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def _installed(name: str, here: Path) -> Path:
    for candidate in (here / name, here.parent / name):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{name} is not installed next to the mockbaas package")


def v1_path() -> Path:
    """openapi.json: the Meeting BaaS v1 API."""
    return _installed("openapi.json", _PACKAGE)


def v2_path() -> Path:
    """openapi-v2.json: the Meeting BaaS v2 API."""
    return _installed("openapi-v2.json", _PACKAGE)


def control_path() -> Path:
    """control.json: the mock's own control API under /_mockbaas."""
    return _installed("control.json", Path(__file__).resolve().parent)
