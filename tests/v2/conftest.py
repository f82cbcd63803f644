"""Fixtures of the v2 room."""

from __future__ import annotations

import pytest

from mockbaas.contract import Contract, v2_path


@pytest.fixture(scope="module")
def v2() -> Contract:
    """openapi-v2.json, compiled: what every v2 answer is checked against."""
    return Contract.load(v2_path())
