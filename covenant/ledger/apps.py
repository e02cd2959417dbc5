from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "covenant.ledger"
    label = "ledger"
    verbose_name = "Covenant ledger"
