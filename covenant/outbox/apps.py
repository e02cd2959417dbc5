from django.apps import AppConfig


class OutboxConfig(AppConfig):
    """The transactional outbox: Celery jobs recorded with the write that needs them."""

    name = "covenant.outbox"
    label = "outbox"
    verbose_name = "Outbox"
