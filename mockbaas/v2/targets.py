"""The target policy for every URL a v2 request names: the bot's callback, and the
streaming endpoints. A refused URL is a 422 at the call, before anything changes, and is
never dialed (the dispatcher checks again before each post)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..errors import Detail, MockError
from ..streaming.session import target_problem

STREAMING_FIELDS = ("input_url", "output_url")


def urls(request: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(field path, URL) of every target a bot request (or callback config) names."""
    if not isinstance(request, dict):
        return
    callback = request.get("callback_config")
    if isinstance(callback, dict) and isinstance(callback.get("url"), str):
        yield f"{prefix}callback_config.url", callback["url"]
    if isinstance(request.get("url"), str):
        yield f"{prefix}url", request["url"]  # a retry-callback override is a config itself
    streaming = request.get("streaming_config")
    if isinstance(streaming, dict):
        for name in STREAMING_FIELDS:
            if isinstance(streaming.get(name), str) and streaming[name]:
                yield f"{prefix}streaming_config.{name}", streaming[name]


def check(refusal: Callable[[str], str | None], body: Any) -> None:
    """422 (`target_refused`) naming the first refused URL of a body or batch."""
    items = body if isinstance(body, list) else [body]
    for index, item in enumerate(items):
        prefix = f"[{index}]." if isinstance(body, list) else ""
        for path, url in urls(item, prefix):
            # a stream is a WebSocket (ws:// or wss://) to an allowed host
            why = (
                target_problem(url, refusal)
                if ".input_url" in path or ".output_url" in path
                else refusal(url)
            )
            if why is not None:
                raise MockError(
                    "target_refused", f"{path}: {why}", [Detail("body", path, why)], behaviour=True
                )
