"""`seed`: what the seeded events would e-mail (a request received, an export ready) is counted
and kept back, not printed over the demo accounts by `make run`'s console backend."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.mail import send_mail
from django.core.management import call_command

from covenant.nations.management.commands import seed
from covenant.seeding import SeedOptions


def _a_step_that_mails(options: SeedOptions) -> None:
    send_mail("Your request was received", "body", None, ["someone@example.org"])
    options.write("mailing step: done")


@pytest.mark.django_db
def test_seeded_events_do_not_mail(settings, capsys, monkeypatch) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"  # as `make run`
    monkeypatch.setattr(seed, "seed_steps", lambda: [("mailing", _a_step_that_mails)])
    out = StringIO()
    call_command("seed", stdout=out)
    assert "Subject:" not in capsys.readouterr().out
    text = out.getvalue()
    assert "mailing step: done" in text
    assert "e-mails of the seeded events kept back (not sent): 1" in text

    # outside the seed, the console backend prints as configured (the test can see a leak)
    send_mail("After seeding", "body", None, ["someone@example.org"])
    assert "Subject: After seeding" in capsys.readouterr().out
