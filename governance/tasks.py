"""Celery entry points of governance: thin, idempotent, `acks_late`. They take ids and the
owner explicitly: the proposal's nation id, or None for the Global Council's."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from celery import shared_task

from covenant.nations.tenancy import ScopeError, owner_scope

from .models import Proposal
from .services import notification_email_send, notifications_create, proposals_tick

_R = TypeVar("_R")


def in_owner_scope(task: Callable[..., _R]) -> Callable[..., _R]:
    """The first argument is the owner: a nation id, or None for the Global Council; the
    task's body runs inside that owner's scope (as `in_nation_scope` does for nations)."""

    @functools.wraps(task)
    def run(nation_id: int | None, *args: Any, **kwargs: Any) -> _R:
        if nation_id is not None and (
            not isinstance(nation_id, int) or isinstance(nation_id, bool)
        ):
            raise ScopeError(f"{task.__name__} needs a nation id or None first, got {nation_id!r}")
        with owner_scope(nation_id):
            return task(nation_id, *args, **kwargs)

    return run


@shared_task(name="governance.tick", acks_late=True)
def tick() -> dict[str, int]:
    """Every minute (beat): open and close proposals on schedule, queue the reminders."""
    return proposals_tick()


@shared_task(name="governance.notify", acks_late=True)
@in_owner_scope
def notify(nation_id: int | None, proposal_id: int, kind: str) -> int:
    """Tell the roster's members about an event of a proposal (opened, reminder, outcome)."""
    proposal = Proposal.objects.select_related("council").filter(pk=proposal_id).first()
    if proposal is None:
        return 0
    return notifications_create(proposal=proposal, kind=kind)


@shared_task(name="governance.email_notification", acks_late=True)
def email_notification(notification_id: int) -> bool:
    """Send one notification's e-mail (personal data of its user, not a tenant's record)."""
    return notification_email_send(notification_id=notification_id)
