"""The unread count of the signed-in person's governance notifications, for the header."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest

from .selectors import unread_count


def inbox(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    try:
        return {"inbox_unread": unread_count(user=user)}
    except DatabaseError:  # the error pages render without the database, the header too
        return {}
