"""Control routes for faults on the API (see `mockbaas.api_faults`)."""

from __future__ import annotations

from ..web.calls import Call, Reply
from .responses import body_of


def list_faults(call: Call) -> Reply:
    return 200, {"faults": [r.as_dict() for r in call.mock.api_faults.rules]}


def add_fault(call: Call) -> Reply:
    mock = call.mock
    rule = mock.api_faults.add(body_of(call), mock.operation_ids)
    return 201, rule.as_dict()


def clear_faults(call: Call) -> Reply:
    call.mock.api_faults.clear()
    return 200, {"faults": []}


def remove_fault(call: Call) -> Reply:
    faults = call.mock.api_faults
    faults.remove(call.params["id"])
    return 200, {"faults": [r.as_dict() for r in faults.rules]}
