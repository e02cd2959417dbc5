from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Councils, proposals, verifiable votes, the dashboard and its notifications."""

    name = "governance"
    label = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        from . import membership, seed, views

        membership.connect()
        seed.register()
        views.register()
