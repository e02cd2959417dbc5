"""With a real Redis broker and a real Celery worker (the CI's second pass): the notices of a
vote that opens travel through the outbox, the broker and the worker into the inbox and the
mailbox."""

from __future__ import annotations

import time

import pytest
from django.core import mail

from covenant.access.principal import Principal
from governance.models import Notification
from governance.services import proposal_open
from tests.conftest import IS_POSTGRES
from tests.core import test_worker as core_worker
from tests.governance.conftest import council_of, draft

REDIS_URL = core_worker.REDIS_URL
live_worker = core_worker.live_worker  # the core's fixture: a real worker in a thread

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not (REDIS_URL and IS_POSTGRES), reason="needs a real broker (REDIS_URL) and PostgreSQL"
    ),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_worker")
def test_the_notices_of_a_vote_reach_the_inbox_through_a_real_worker(cast, kenya, settings) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    member = cast.user("KEN", "council_member")
    proposal = draft(council_of(kenya), member, title="Through the broker")
    proposal_open(proposal=proposal, actor=Principal(user=member))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (
        Notification.objects.filter(user=member, emailed_at__isnull=False).exists()
    ):
        time.sleep(0.2)
    notification = Notification.objects.get(user=member)
    assert notification.title == "Vote open: Through the broker"
    assert notification.emailed_at is not None
    assert [message.to for message in mail.outbox] == [[member.email]]
