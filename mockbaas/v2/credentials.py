"""v2 Zoom credentials: an account's Zoom app (`app`), or a Zoom user who authorized
it (`user`, when an `authorization_code` is exchanged).

There is no Zoom behind it. A code names a Zoom user (same client id and code, same
user, email and display name) and is single-use: a reused code is the documented 400
"failed to exchange authorization code". Secrets and tokens are never shown. Deleting is
soft: the credential leaves lists and lookups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..accounts.models import Account
from ..clock import Clock, iso
from ..errors import invalid, not_found
from ..ids import Ids
from ..zoom.models import SCOPES, zoom_style_id
from .listing import matches_extra, split_csv

#: an authorization code with this prefix fails to exchange (to test that path)
BAD_CODE_PREFIX = "invalid"


@dataclass
class Credential:
    uuid: str
    account: Account
    name: str
    client_id: str
    created_ms: int
    updated_ms: int
    extra: dict[str, Any] | None = None
    zoom_user_id: str | None = None
    deleted: bool = False

    @property
    def kind(self) -> str:
        return "user" if self.zoom_user_id else "app"


class Credentials:
    def __init__(self, clock: Clock, ids: Ids) -> None:
        self.clock = clock
        self.ids = ids
        self.credentials: dict[str, Credential] = {}
        self.used_codes: set[tuple[str, str]] = set()

    def _exchange(self, body: dict[str, Any], client_id: str) -> str | None:
        code = body.get("authorization_code")
        if code is None:
            return None
        if not body.get("redirect_uri"):
            raise invalid("body", "redirect_uri", "required when authorization_code is given")
        if (client_id, code) in self.used_codes or code.startswith(BAD_CODE_PREFIX):
            raise invalid(
                "body",
                "authorization_code",
                "failed to exchange authorization code (already used, expired or invalid)",
            )
        self.used_codes.add((client_id, code))
        return zoom_style_id("user", client_id, code)

    def create(self, account: Account, body: dict[str, Any]) -> Credential:
        user = self._exchange(body, body["client_id"])
        now = self.clock.now()
        credential = Credential(
            uuid=self.ids.uuid(),
            account=account,
            name=body["name"],
            client_id=body["client_id"],
            created_ms=now,
            updated_ms=now,
            extra=body.get("extra"),
            zoom_user_id=user,
        )
        self.credentials[credential.uuid] = credential
        return credential

    def get(self, account: Account, uuid: str) -> Credential:
        credential = self.credentials.get(uuid)
        if credential is None or credential.account is not account or credential.deleted:
            raise not_found("zoom credential", uuid)
        return credential

    def update(self, account: Account, uuid: str, body: dict[str, Any]) -> Credential:
        credential = self.get(account, uuid)
        if ("client_id" in body) != ("client_secret" in body):
            raise invalid("body", "client_secret", "give client_id and client_secret together")
        client_id = body.get("client_id", credential.client_id)
        user = self._exchange(body, client_id)
        if "name" in body:
            credential.name = body["name"]
        if "extra" in body:
            credential.extra = body["extra"]
        credential.client_id = client_id
        if user is not None:
            credential.zoom_user_id = user
        credential.updated_ms = self.clock.now()
        return credential

    def delete(self, account: Account, uuid: str) -> None:
        self.get(account, uuid).deleted = True

    def list(self, account: Account, query: dict[str, Any]) -> list[dict[str, Any]]:

        views = [
            self.view(c)
            for c in self.credentials.values()
            if c.account is account and not c.deleted and matches_extra(c.extra, query.get("extra"))
        ]
        for name in ("name", "zoom_email", "zoom_display_name"):
            wanted = (query.get(name) or "").lower()
            views = [v for v in views if wanted in (v[name] or "").lower()]
        if query.get("zoom_user_id"):
            views = [v for v in views if v["zoom_user_id"] == query["zoom_user_id"]]
        for name in ("credential_type", "state"):
            allowed = split_csv(query.get(name))
            if allowed:
                views = [v for v in views if v[name] in allowed]
        return views

    def view(self, c: Credential) -> dict[str, Any]:
        user = c.zoom_user_id
        return {
            "credential_id": c.uuid,
            "name": c.name,
            "credential_type": c.kind,
            "zoom_user_id": user,
            "zoom_account_id": zoom_style_id("account", c.client_id),
            "zoom_email": f"user-{user[:8].lower()}@zoom.example" if user else None,
            "zoom_display_name": f"Zoom User {user[:4]}" if user else None,
            "scopes": SCOPES if user else None,
            "state": "active",
            "last_error_message": None,
            "last_error_at": None,
            "created_at": iso(c.created_ms),
            "updated_at": iso(c.updated_ms),
            "extra": c.extra,
        }

    # -- state -----------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        return {
            "credentials": [
                {
                    "uuid": c.uuid,
                    "account": c.account.key,
                    "name": c.name,
                    "client_id": c.client_id,
                    "created_ms": c.created_ms,
                    "updated_ms": c.updated_ms,
                    "extra": c.extra,
                    "zoom_user_id": c.zoom_user_id,
                    "deleted": c.deleted,
                }
                for c in self.credentials.values()
            ],
            "used_codes": sorted(list(code) for code in self.used_codes),
        }

    def load(self, data: dict[str, Any], accounts: dict[str, Account]) -> None:
        for item in data["credentials"]:
            c = Credential(**{**item, "account": accounts[item["account"]]})
            self.credentials[c.uuid] = c
        self.used_codes = {(str(a), str(b)) for a, b in data["used_codes"]}
