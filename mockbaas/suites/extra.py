"""The suites' optional dependencies: schemathesis and hypothesis (`mockbaas[contract]`)."""

from __future__ import annotations

import importlib.util

EXTRA_MISSING = (
    "mockbaas: the contract suites need schemathesis and hypothesis: "
    "pip install 'mockbaas[contract]'"
)


class MissingExtra(RuntimeError):
    """A suite was asked to run without the packages it is built on."""


def has_contract_extra() -> bool:
    """The `contract` extra is installed (a plain `pip install mockbaas` lacks it)."""
    return all(importlib.util.find_spec(name) for name in ("schemathesis", "hypothesis"))


def require_contract_extra() -> None:
    if not has_contract_extra():
        raise MissingExtra(EXTRA_MISSING)
