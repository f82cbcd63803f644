"""Zoom OAuth connections: Zoom users who authorized a customer's Zoom app.

There is no Zoom behind it. An authorization code names a Zoom user (the same code, the
same user id) and is single-use; the app's client id names the Zoom account. Tokens are
never shown, as on the real API.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from ..accounts.models import Account
from ..clock import Clock
from ..errors import conflict, not_found
from ..ids import Ids

SCOPES = "user:read:user user:read:token user:read:zak"


def zoom_style_id(*parts: str) -> str:
    """22 url-safe characters, the shape of Zoom user and account ids; stable per input."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=").replace("-", "x")


@dataclass
class Connection:
    uuid: str
    account: Account
    zoom_user_id: str
    zoom_account_id: str
    created_at: str
    updated_at: str
    state: str = "connected"

    def as_dict(self) -> dict[str, Any]:
        return {
            "created_at": self.created_at,
            "scopes": SCOPES,
            "state": self.state,
            "updated_at": self.updated_at,
            "uuid": self.uuid,
            "zoom_account_id": self.zoom_account_id,
            "zoom_user_id": self.zoom_user_id,
        }


class ZoomConnections:
    def __init__(self, clock: Clock, ids: Ids) -> None:
        self.clock = clock
        self.ids = ids
        self.connections: dict[str, Connection] = {}
        self._used_codes: set[tuple[str, str]] = set()

    def create(self, account: Account, params: dict[str, Any]) -> Connection:
        code = (params["zoom_client_id"], params["authorization_code"])
        if code in self._used_codes:
            raise conflict("authorization_code was already exchanged: codes are single-use")
        self._used_codes.add(code)
        now = self.clock.now_iso()[:-1]  # the real routes write local-less timestamps
        connection = Connection(
            uuid=self.ids.uuid(),
            account=account,
            zoom_user_id=zoom_style_id("user", *code),
            zoom_account_id=zoom_style_id("account", params["zoom_client_id"]),
            created_at=now,
            updated_at=now,
        )
        self.connections[connection.uuid] = connection
        return connection

    def list(self, account: Account) -> list[dict[str, Any]]:
        return [c.as_dict() for c in self.connections.values() if c.account is account]

    def get(self, account: Account, uuid: str) -> Connection:
        connection = self.connections.get(uuid)
        if connection is None or connection.account is not account:
            raise not_found("zoom oauth connection", uuid)
        return connection

    def delete(self, account: Account, uuid: str) -> None:
        del self.connections[self.get(account, uuid).uuid]

    def user(self, account: Account, zoom_user_id: str) -> Connection | None:
        """The account's connection for a Zoom user (what `zoom_obf_token_user_id` names)."""
        return next(
            (
                c
                for c in self.connections.values()
                if c.account is account and c.zoom_user_id == zoom_user_id
            ),
            None,
        )
