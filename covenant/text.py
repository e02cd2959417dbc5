"""Text from the outside world: made safe to search with (`search_text`), and checked before it
is stored (`text_checked`), by one rule for every service and serializer."""

from __future__ import annotations

import re
import unicodedata

from covenant.errors import Invalid

_CONTROL = dict.fromkeys(range(32))
# C0/C1 controls and DEL; a multi-line text keeps tab and newline.
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_CHARS_MULTILINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidirectional embedding, override and isolate controls re-order what a reader sees (the
# "Trojan Source" trick); real right-to-left text does not need them.
_BIDI_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
# What a reader can see: letters, digits, punctuation and symbols (not marks, spaces, format or
# control characters, private use or unassigned code points).
_VISIBLE = ("L", "N", "P", "S")


def search_text(value: object, *, max_length: int) -> str:
    """Trimmed, cut to `max_length`, without control characters (PostgreSQL refuses NUL)."""
    return str(value or "")[:max_length].translate(_CONTROL).strip()


def has_visible_character(value: str) -> bool:
    return any(unicodedata.category(char)[0] in _VISIBLE for char in value)


def text_problem(value: str, *, max_length: int, multiline: bool = False) -> str | None:
    """Why `value` may not be stored as text (None if it may): control characters, bidi
    controls, lone surrogates, too long, or nothing a reader could see."""
    if _SURROGATES.search(value):
        return "not valid Unicode text"
    controls = _CONTROL_CHARS_MULTILINE if multiline else _CONTROL_CHARS
    if controls.search(value):
        return "control characters are not allowed"
    if _BIDI_CONTROLS.search(value):
        return "bidirectional control characters are not allowed"
    if len(value) > max_length:
        return f"at most {max_length} characters"
    if value and not has_visible_character(value):
        return "must contain visible characters"
    return None


def text_checked(
    value: object,
    *,
    field: str,
    max_length: int,
    multiline: bool = False,
    allow_blank: bool = False,
) -> str:
    """`value` as clean text (NFC, trimmed, \\r\\n as \\n), or Invalid naming `field`."""
    if not isinstance(value, str):
        raise Invalid("not text", fields={field: ["must be text"]})
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()
    problem = text_problem(text, max_length=max_length, multiline=multiline)
    if problem is None and not text and not allow_blank:
        problem = "required" if not value else "must contain visible characters"
    if problem is not None:
        raise Invalid(f"{field}: {problem}", fields={field: [problem]})
    return text
