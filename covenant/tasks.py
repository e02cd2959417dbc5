"""Core Celery tasks."""

from celery import shared_task


@shared_task(name="covenant.ping")
def ping() -> str:
    """A round trip through the broker and a worker (used by /readyz checks and tests)."""
    return "pong"
