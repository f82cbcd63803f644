"""The two vocabularies of the `failed` webhook's `error`, and the one mapping between them.

The docs contradict themselves: the getting-started guide sends PascalCase error types
(`CannotJoinMeeting`, ...: the engine's own, `lifecycle.ERROR_TYPES`), the webhook
reference snake_case codes (`meeting_not_found`, ...). A scenario file, or one bot's
`extra`, picks the vocabulary; the engine keeps reasoning in PascalCase and translates
only the `failed` payload, so a bot's history, `error_type`, `errors` and v2's codes are
the same under both.
"""

from __future__ import annotations

from typing import Any

PASCAL = "pascal"
SNAKE = "snake"
VOCABULARIES = (PASCAL, SNAKE)
#: what the mock always sent before the choice existed
DEFAULT = PASCAL
#: key in a join request's `extra` that overrides the scenario's vocabulary for one bot
VOCABULARY_FIELD = "mockbaas_error_vocabulary"

#: The webhook reference's "common error types", in its order.
SNAKE_CODES = (
    "meeting_not_found",
    "access_denied",
    "authentication_error",
    "network_error",
    "internal_error",
)

#: PascalCase error type -> snake_case code, by the two tables' descriptions. The
#: reference's `network_error` ("during recording") has no PascalCase source: in the mock an
#: error after recording started ends in `complete` with the partial recording, never
#: `failed`.
TO_SNAKE = {
    "CannotJoinMeeting": "authentication_error",  # the guide: a meeting for signed-in invitees
    "TimeoutWaitingToStart": "access_denied",  # never let in (or nobody came to let it in)
    "BotNotAccepted": "access_denied",
    "BotRemoved": "access_denied",  # a participant took its access away
    "InternalError": "internal_error",
    "InvalidMeetingUrl": "meeting_not_found",
}


def requested(extra: Any) -> str | None:
    """The vocabulary a join request's `extra` asks for (None: the scenario's).

    Raises ValueError naming the problem for anything but a known name or null."""
    value = extra.get(VOCABULARY_FIELD) if isinstance(extra, dict) else None
    if value is not None and value not in VOCABULARIES:
        raise ValueError(f"unknown error vocabulary {value!r}; one of {', '.join(VOCABULARIES)}")
    return value


def failed_error(error_type: str, extra: Any, scenario_vocabulary: str) -> str:
    """The `failed` webhook's `error` for an engine error type: in the bot's own vocabulary
    (checked at join; a later change to `extra` that is not a name falls back to the
    scenario's), else its scenario's."""
    try:
        vocabulary = requested(extra) or scenario_vocabulary
    except ValueError:
        vocabulary = scenario_vocabulary
    return TO_SNAKE[error_type] if vocabulary == SNAKE else error_type
