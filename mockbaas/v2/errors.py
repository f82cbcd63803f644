"""The v2 error envelope: `{success: false, error, code: FST_ERR_…, statusCode, message,
details}`. Validation is always a 400 in v2 (v1 answers 422 for a bad body)."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from ..errors import MockError

#: MockError code -> (HTTP status, short error, FST code). v2-only codes come last.
CODES: dict[str, tuple[int, str, str]] = {
    "validation_error": (400, "Bad Request", "FST_ERR_VALIDATION"),
    "invalid_json": (400, "Bad Request", "FST_ERR_VALIDATION"),
    "unauthorized": (401, "Unauthorized", "FST_ERR_UNAUTHORIZED"),
    "forbidden": (403, "Forbidden", "FST_ERR_FORBIDDEN"),
    "not_found": (404, "Not Found", "FST_ERR_NOT_FOUND"),
    "method_not_allowed": (405, "Method Not Allowed", "FST_ERR_METHOD_NOT_ALLOWED"),
    "conflict": (409, "Conflict", "FST_ERR_CONFLICT"),
    "payload_too_large": (413, "Payload Too Large", "FST_ERR_CTP_BODY_TOO_LARGE"),
    "unsupported_media_type": (415, "Unsupported Media Type", "FST_ERR_CTP_INVALID_MEDIA_TYPE"),
    "rate_limited": (429, "Too Many Requests", "FST_ERR_RATE_LIMITED"),
    "bot_status": (409, "Conflict", "FST_ERR_BOT_STATUS"),
    "bot_exists": (409, "Conflict", "FST_ERR_BOT_ALREADY_EXISTS"),
    "chat_disabled": (422, "Unprocessable Entity", "FST_ERR_CHAT_DISABLED"),
    "target_refused": (422, "Unprocessable Entity", "FST_ERR_WEBHOOK_TARGET_REFUSED"),
    "insufficient_tokens": (402, "Payment Required", "FST_ERR_INSUFFICIENT_TOKENS"),
    "daily_bot_cap": (429, "Too Many Requests", "FST_ERR_DAILY_BOT_CAP_REACHED"),
}


def render(error: MockError) -> tuple[int, dict[str, Any], dict[str, str] | None]:
    status, title, code = CODES.get(error.code, (400, "Bad Request", "FST_ERR_VALIDATION"))
    details = "; ".join(f"{d.path or d.location}: {d.message}" for d in error.details) or None
    body: dict[str, Any] = {
        "success": False,
        "error": title,
        "code": code,
        "statusCode": status,
        "message": error.message,
        "details": details,
    }
    headers = None
    if status == 429:
        wait = error.retry_after or 1
        body["retryAfter"] = wait
        headers = {"Retry-After": str(wait), **getattr(error, "headers", {})}
    return status, body, headers


def render_status(status: int, message: str, retry_after: int | None) -> tuple[int, dict[str, Any]]:
    """The envelope of an injected fault on a v2 route: any status a rule names, with the
    FST code its documented errors use, else one named after the status."""
    known = next((c for s, _t, c in CODES.values() if s == status), None)
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:  # 499, 509, 599: no standard name
        phrase = "Client Error" if status < 500 else "Server Error"
    code = known or "FST_ERR_" + "_".join(re.findall(r"[A-Z0-9]+", phrase.upper()))
    body: dict[str, Any] = {
        "success": False,
        "error": phrase,
        "code": code,
        "statusCode": status,
        "message": message,
        "details": None,
    }
    if retry_after is not None:
        body["retryAfter"] = retry_after
    return status, body
