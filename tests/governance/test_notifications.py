"""Notifications: members are told when a vote opens, 24 hours before it closes if their seat
has not voted, and its outcome; in the inbox and by e-mail (through the outbox, never lost
when the broker is down); each person can mute them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from covenant.access.principal import Principal
from covenant.outbox.models import OutboxMessage
from covenant.outbox.services import outbox_drain
from governance.models import Notification, NotificationSettings
from governance.services import (
    ballot_cast,
    notification_email_send,
    notification_settings_update,
    notifications_create,
    proposal_close,
    proposals_tick,
)
from governance.tasks import notify
from tests.conftest import assert_error, client_for
from tests.governance.conftest import add_members, council_of, opened


def inbox(user) -> list[tuple[str, str]]:
    return [(n.kind, n.title) for n in Notification.objects.filter(user=user).order_by("id")]


@pytest.mark.django_db
def test_opening_a_vote_tells_every_member_in_the_inbox_and_by_email(
    cast, kenya, django_capture_on_commit_callbacks
) -> None:
    members = [cast.user("KEN", "council_member"), *add_members(kenya, 2)]
    with django_capture_on_commit_callbacks(execute=True):
        proposal = opened(council_of(kenya), members[0], title="Water charter")
    for member in members:
        assert inbox(member) == [("opened", "Vote open: Water charter")]
    assert sorted(message.to[0] for message in mail.outbox) == sorted(m.email for m in members)
    assert mail.outbox[0].subject == "[Covenant] Vote open: Water charter"
    assert f"http://127.0.0.1:8000/proposals/{proposal.pk}/" in mail.outbox[0].body
    assert all(n.emailed_at for n in Notification.objects.all())
    # every job went through the outbox and was sent
    assert OutboxMessage.objects.filter(dispatched_at__isnull=True).count() == 0
    assert OutboxMessage.objects.filter(task="governance.email_notification").count() == 3


@pytest.mark.django_db
def test_a_muted_person_gets_nothing_and_an_email_muted_one_only_the_inbox(
    cast, kenya, django_capture_on_commit_callbacks
) -> None:
    members = [cast.user("KEN", "council_member"), *add_members(kenya, 2)]
    notification_settings_update(actor=Principal(user=members[1]), muted=True)
    notification_settings_update(actor=Principal(user=members[2]), email_muted=True)
    with django_capture_on_commit_callbacks(execute=True):
        opened(council_of(kenya), members[0])
    assert inbox(members[1]) == []
    assert len(inbox(members[2])) == 1
    assert [message.to[0] for message in mail.outbox] == [members[0].email]


@pytest.mark.django_db
def test_the_reminder_goes_to_those_who_have_not_voted_and_the_outcome_to_all(
    cast, kenya, django_capture_on_commit_callbacks
) -> None:
    members = [cast.user("KEN", "council_member"), *add_members(kenya, 2)]
    with django_capture_on_commit_callbacks(execute=True):
        proposal = opened(council_of(kenya), members[0], hours=72)
        ballot_cast(proposal=proposal, choice="yes", actor=Principal(user=members[1]))
    with django_capture_on_commit_callbacks(execute=True):
        assert proposals_tick(now=proposal.closes_at - dt.timedelta(hours=20))["reminded"] == 1
    reminded = Notification.objects.filter(kind="reminder")
    assert sorted(n.user_id for n in reminded) == sorted([members[0].pk, members[2].pk])
    assert "closes at" in reminded.first().text and "has not voted" in reminded.first().text
    with django_capture_on_commit_callbacks(execute=True):
        proposal_close(proposal=proposal, actor=Principal(user=members[0]))
    outcome = Notification.objects.filter(kind="outcome")
    assert outcome.count() == 3 and outcome.first().title.startswith("Vote closed (no quorum)")


@pytest.mark.django_db
def test_the_jobs_are_idempotent(cast, kenya, django_capture_on_commit_callbacks) -> None:
    member = cast.user("KEN", "council_member")
    with django_capture_on_commit_callbacks(execute=True):
        proposal = opened(council_of(kenya), member)
    assert len(mail.outbox) == 1
    assert notify(kenya.pk, proposal.pk, "opened") == 0  # delivered twice: nothing new
    notification = Notification.objects.get(user=member)
    assert notification_email_send(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1 and len(inbox(member)) == 1


@pytest.mark.django_db
def test_with_the_broker_down_the_vote_opens_and_the_notices_follow_later(
    cast, kenya, settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    from kombu.exceptions import OperationalError

    from covenant.celery import app

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to the broker. Connection refused.")

    member = cast.user("KEN", "council_member")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(app, "send_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        proposal = opened(council_of(kenya), member)
    assert proposal.status == "open"  # the vote opened; its notice waits in the outbox
    pending = OutboxMessage.objects.get(task="governance.notify")
    assert pending.dispatched_at is None and pending.attempts == 1
    assert "Connection refused" in pending.last_error
    assert inbox(member) == []
    monkeypatch.undo()
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the broker is back (eager: run in-process)
    with django_capture_on_commit_callbacks(execute=True):
        outbox_drain()
        outbox_drain()  # the notice queued the e-mail: a second drain sends it
    assert len(inbox(member)) == 1 and len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_failed_email_is_retried_by_the_drain(
    cast, kenya, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    member = cast.user("KEN", "council_member")
    import django.core.mail

    def broken(*args, **kwargs):
        raise ConnectionError("the mail server is down")

    monkeypatch.setattr(django.core.mail, "send_mail", broken)
    with django_capture_on_commit_callbacks(execute=True):
        opened(council_of(kenya), member)
    notification = Notification.objects.get(user=member)
    assert notification.emailed_at is None
    email_job = OutboxMessage.objects.get(task="governance.email_notification")
    assert email_job.dispatched_at is None and "mail server is down" in email_job.last_error
    monkeypatch.undo()
    outbox_drain()
    notification.refresh_from_db()
    assert notification.emailed_at is not None and len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_inbox_api(cast, kenya, brazil) -> None:
    member = cast.user("KEN", "council_member")
    proposal = opened(council_of(kenya), member)
    notifications_create(proposal=proposal, kind="opened")
    client = client_for(member)
    listed = client.get("/api/v1/notifications/").json()
    assert listed["count"] == 1 and listed["results"][0]["read"] is False
    assert client.get("/api/v1/notifications/unread/").json() == {"unread": 1}
    note = listed["results"][0]["id"]
    assert_error(
        client_for(cast.user("BRA", "council_member")).post(f"/api/v1/notifications/{note}/read/"),
        404,
    )
    assert client.post(f"/api/v1/notifications/{note}/read/").json()["read"] is True
    assert client.get("/api/v1/notifications/unread/").json() == {"unread": 0}
    assert client.post("/api/v1/notifications/read-all/").json() == {"unread": 0}
    assert client.get("/api/v1/notifications/settings/").json() == {
        "muted": False,
        "email_muted": False,
    }
    changed = client.patch("/api/v1/notifications/settings/", {"email_muted": True}, format="json")
    assert changed.json() == {"muted": False, "email_muted": True}
    assert NotificationSettings.objects.get(user=member).email_muted
    assert_error(
        client.patch("/api/v1/notifications/settings/", {"loud": True}, format="json"), 400
    )
    assert_error(client_for(None).get("/api/v1/notifications/"), 401)
