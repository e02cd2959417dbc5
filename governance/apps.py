from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Councils, proposals, verifiable votes, the dashboard and its notifications."""

    name = "governance"
    label = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        # the tasks are registered in every process (the web's outbox runs them in eager mode)
        from covenant.access.object_grants import register_object_capability

        from . import membership, seed, tasks, views  # noqa: F401
        from .models import Proposal

        register_object_capability(Proposal, "votes:read_log")
        membership.connect()
        seed.register()
        views.register()
