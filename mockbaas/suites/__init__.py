"""Contract suites, driven by `openapi.json`, callable from Python or `mockbaas contract`:

- `api`: schemathesis against any server (the mock, a proxy of the real API, your fake);
- `receiver`: your webhook receiver against what Meeting BaaS really sends;
- `stream`: your live-audio endpoint against realistic and faulty streams.

Each takes a plain options dataclass and returns a report; none parses arguments or
prints (`mockbaas.cli.contract` does both). They need `mockbaas[contract]`.
"""

from .api import ApiOptions, ApiReport, run_api_suite
from .extra import MissingExtra, has_contract_extra
from .receiver import ReceiverOptions, ReceiverReport, run_receiver_suite
from .stream import StreamOptions, StreamReport, run_stream_suite

__all__ = [
    "ApiOptions",
    "ApiReport",
    "MissingExtra",
    "ReceiverOptions",
    "ReceiverReport",
    "StreamOptions",
    "StreamReport",
    "has_contract_extra",
    "run_api_suite",
    "run_receiver_suite",
    "run_stream_suite",
]
