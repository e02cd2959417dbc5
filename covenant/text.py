"""Text from the outside world: made safe to search with (`search_text`), and checked before it
is stored (`text_checked`), by one rule for every service and serializer."""

from __future__ import annotations

import re
import unicodedata

from covenant.errors import Invalid

_CONTROL = dict.fromkeys(range(32))
# The classes below are written with \u escapes so that the same expressions serve Python and,
# as OpenAPI patterns, the ECMA regular expressions of API clients: the schema states the rule.
# C0/C1 controls and DEL, and the bidirectional embedding, override and isolate controls, which
# re-order what a reader sees (the "Trojan Source" trick; real RTL text does not need them).
CONTROL_CLASS = r"\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
MULTILINE_CONTROL_CLASS = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
# What a reader cannot see: controls, spaces, format characters, combining marks on their own,
# variation selectors, fillers.
INVISIBLE_CLASS = (
    r"\x00-\x20\x7f-\xa0\xad\u0300-\u036f\u034f\u061c\u115f\u1160\u1680\u17b4\u17b5"
    r"\u180b-\u180f\u2000-\u200f\u2028-\u202f\u205f-\u206f\u2800\u3000\u3164\ufe00-\ufe0f"
    r"\ufeff\uffa0"
)
# Spaces that trimming removes (and that are not controls): a text of them only is blank.
SPACE_CLASS = r"\x20\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_CONTROL_CHARS = re.compile(f"[{CONTROL_CLASS}]")
_CONTROL_CHARS_MULTILINE = re.compile(f"[{MULTILINE_CONTROL_CLASS}]")
_VISIBLE = re.compile(f"[^{INVISIBLE_CLASS}]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def text_pattern(*, multiline: bool = False, allow_blank: bool = False) -> str:
    """The rule of text_checked as one regular expression, for the schema."""
    allowed = f"[^{MULTILINE_CONTROL_CLASS if multiline else CONTROL_CLASS}]"
    visible = f"[^{INVISIBLE_CLASS}]"
    if allow_blank:  # blank (spaces only), or with something to see
        spaces = f"[{SPACE_CLASS}{chr(9) + chr(10) if multiline else ''}]"
        return f"^(?:{spaces}*|{allowed}*{visible}{allowed}*)$"
    return f"^{allowed}*{visible}{allowed}*$"


def search_text(value: object, *, max_length: int) -> str:
    """Trimmed, cut to `max_length`, without control characters (PostgreSQL refuses NUL)."""
    return str(value or "")[:max_length].translate(_CONTROL).strip()


def has_visible_character(value: str) -> bool:
    return _VISIBLE.search(value) is not None


def text_problem(value: str, *, max_length: int, multiline: bool = False) -> str | None:
    """Why `value` may not be stored as text (None if it may): control characters, bidi
    controls, lone surrogates, too long."""
    if _SURROGATES.search(value):
        return "not valid Unicode text"
    controls = _CONTROL_CHARS_MULTILINE if multiline else _CONTROL_CHARS
    if controls.search(value):
        return "control characters (or bidirectional controls) are not allowed"
    if len(value) > max_length:
        return f"at most {max_length} characters"
    return None


def text_checked(
    value: object,
    *,
    field: str,
    max_length: int,
    multiline: bool = False,
    allow_blank: bool = False,
) -> str:
    """`value` as clean text (NFC, trimmed), or Invalid naming `field`. The rule is checked on
    the text as given (so that it is exactly `text_pattern`'s), then the text is trimmed."""
    if not isinstance(value, str):
        raise Invalid("not text", fields={field: ["must be text"]})
    problem = text_problem(value, max_length=max_length, multiline=multiline)
    if problem is None and not has_visible_character(value):
        if not value and not allow_blank:
            problem = "required"
        elif value.strip() or not allow_blank:  # invisible characters are not blank
            problem = "must contain visible characters"
    if problem is not None:
        raise Invalid(f"{field}: {problem}", fields={field: [problem]})
    return unicodedata.normalize("NFC", value).strip()
