"""Request bodies read as the standard library reads them, whichever parser ran.

`decode_json` hands ordinary bodies to orjson and the rest to `json`: orjson silently
turns an integer beyond 64 bits into a float, so the fast path must notice every such
number, wherever it sits in the body (a key, a value, the first or last bytes).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mockbaas.web.calls import decode_json

NUMBERS = (
    st.integers()
    | st.integers(-(10**40), 10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
)
LEAVES = st.none() | st.booleans() | NUMBERS | st.text(max_size=30)
VALUES = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 == 1.0, but not for a body)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@settings(max_examples=400, deadline=None)
@given(VALUES, st.sampled_from([(",", ":"), (", ", ": ")]))
def test_a_body_decodes_as_the_standard_library_reads_it(
    value: Any, separators: tuple[str, str]
) -> None:
    raw = json.dumps(value, separators=separators).encode()
    assert _same(decode_json(raw), json.loads(raw))


def test_integers_around_64_bits_stay_exact() -> None:
    for number in (
        2**63 - 1,
        2**63,
        2**64 - 1,
        2**64,
        -(2**63),
        -(2**63) - 1,
        10**18,
        10**19,
        10**30,
    ):
        for raw in (b"%d" % number, b'{"extra":{"n":%d}}' % number, b"[1,%d]" % number):
            decoded = decode_json(raw)
            assert decoded == json.loads(raw)
            assert json.dumps(decoded) == json.dumps(json.loads(raw))


def test_an_integer_too_long_to_read_is_named_plainly() -> None:
    import sys

    import pytest

    from mockbaas.errors import MockError

    digits = sys.get_int_max_str_digits() + 1
    with pytest.raises(MockError) as caught:
        decode_json(b'{"extra": {"n": 1%s}}' % (b"0" * digits))
    assert caught.value.code == "invalid_json"
    assert str(caught.value) == (f"request body has an integer of more than {digits - 1} digits")


def test_undeclared_fields_are_found_at_any_depth_the_schema_leaves_open() -> None:
    from mockbaas.contract.compiled import Operation

    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "a": {
                "anyOf": [
                    {
                        "type": "object",
                        "properties": {"b": {"type": "object", "properties": {"c": {}}}},
                    },
                    {"type": "null"},
                ]
            },
            "free": {"type": "object"},
        },
    }
    op = Operation("op", "POST", "/x", False, [], False, "application/json", body_schema=schema)
    assert op.ignored_fields({"a": {"b": {"c": 1}}, "free": {"anything": 1}}) == ()
    assert op.ignored_fields({"a": {"b": {"c": 1, "d": 2}, "e": 3}}) == ("body.a.e", "body.a.b.d")
    assert op.ignored_fields({"a": None}) == ()
    assert op.ignored_fields([1]) == ()
