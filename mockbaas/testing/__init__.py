"""What a test suite imports: a client, receivers and an in-process server.

    from mockbaas.testing import BackgroundServer, MockClient, WebhookReceiver

The pytest fixtures (`mockbaas`, `mockbaas_receiver`, ...) come from `plugin`, which
pytest loads by itself once mockbaas is installed.
"""

from ..config import Settings
from ..webhooks import Faults
from .background import BackgroundApp
from .client import MockClient, Response
from .receiver import Received, WebhookReceiver
from .server import BackgroundServer
from .stream_receiver import Connection, StreamReceiver

__all__ = [
    "BackgroundApp",
    "BackgroundServer",
    "Connection",
    "Faults",
    "MockClient",
    "Received",
    "Response",
    "Settings",
    "StreamReceiver",
    "WebhookReceiver",
]
