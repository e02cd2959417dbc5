from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Councils, proposals, verifiable votes, the dashboard and its notifications."""

    name = "governance"
    label = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        # the tasks are registered in every process (the web's outbox runs them in eager mode)
        from . import membership, seed, tasks, views  # noqa: F401

        membership.connect()
        seed.register()
        views.register()
