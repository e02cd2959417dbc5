"""The API's JSON parser: strict about what it lets through, so that no hostile body reaches a
view as something it cannot handle (a 400 in the error shape, never a 500)."""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32  # far deeper than any body of the API; recursion never comes near the limit
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def json_problem(data: Any) -> str | None:
    """Why parsed JSON is refused: nested deeper than MAX_DEPTH, or text (a key or a string)
    that is not valid Unicode (a lone surrogate cannot be stored, logged or echoed)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_DEPTH:
                return f"nested deeper than {MAX_DEPTH} levels"
            for key, item in value.items():
                if _SURROGATE.search(key):
                    return "a key is not valid Unicode text (lone surrogate)"
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                return f"nested deeper than {MAX_DEPTH} levels"
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and _SURROGATE.search(value):
            return "a string is not valid Unicode text (lone surrogate)"
    return None


class CovenantJSONParser(JSONParser):
    """JSON without NaN/Infinity, nested at most MAX_DEPTH levels, valid Unicode only."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
            data = json.loads(text, parse_constant=_refuse_constant)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels") from None
        except (ValueError, LookupError) as exc:  # UnicodeDecodeError is a ValueError
            raise ParseError(f"JSON parse error - {str(exc)[:200]}") from None
        problem = json_problem(data)
        if problem is not None:
            raise ParseError(f"JSON parse error - {problem}")
        return data
