"""The stack's ceiling: a plain Django JSON view, no database, served by the same gunicorn and
middleware as the API. Routed only when COVENANT_BENCH=1 (see covenant/urls.py)."""

from django.http import HttpRequest, JsonResponse


def bare_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})
