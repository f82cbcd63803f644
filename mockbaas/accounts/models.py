"""Accounts: the API key is the account, and each account sees only its own things."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from ..errors import MockError

API_KEY_HEADER = "x-meeting-baas-api-key"


@dataclass
class Account:
    key: str
    number: int
    webhook_url: str | None = None
    #: virtual times of recent rate-limited calls, by limit name
    calls: dict[str, deque[int]] = field(default_factory=dict)

    def take(self, limit: str, now_ms: int, per_minute: int) -> int | None:
        """Spend one call of a per-minute budget; the seconds to wait when it is spent."""
        window = self.calls.setdefault(limit, deque())
        while window and window[0] <= now_ms - 60_000:
            window.popleft()
        if len(window) >= per_minute:
            return max(1, -(-(window[0] + 60_000 - now_ms) // 1000))
        window.append(now_ms)
        return None


class AccountBackend:
    """Who may call: any non-empty key (each its own account), or a fixed set."""

    def __init__(self, allowed_keys: list[str] | None = None) -> None:
        self.allowed = set(allowed_keys) if allowed_keys else None
        self.accounts: dict[str, Account] = {}

    def authenticate(self, key: str | None, authorization: str | None = None) -> Account:
        if not key:
            if authorization and authorization.strip().lower().startswith("bearer"):
                raise MockError(
                    "unauthorized",
                    f"send the API key in the {API_KEY_HEADER} header; "
                    "Authorization: Bearer is not accepted by the Meeting BaaS v1 API",
                )
            raise MockError("unauthorized", f"missing API key: set the {API_KEY_HEADER} header")
        account = self.accounts.get(key)
        if account is not None:
            return account
        if self.allowed is not None and key not in self.allowed:
            raise MockError("unauthorized", f"unknown API key in {API_KEY_HEADER}")
        try:  # bytes that are no UTF-8 arrive as surrogates: no key to sign with or save
            key.encode("utf-8")
        except UnicodeEncodeError:
            raise MockError(
                "unauthorized", f"the API key in {API_KEY_HEADER} is not UTF-8 text"
            ) from None
        account = Account(key=key, number=len(self.accounts) + 1)
        self.accounts[key] = account
        return account

    def reset(self) -> None:
        self.accounts.clear()
