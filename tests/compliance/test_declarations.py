"""Personal-data declarations: discovered from every app's personal_data.py; the system check
fails on a model holding personal data without one (saying what to write) and on an unsound
declaration; the portal's own models are all declared."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import checks
from django.db import models
from django.test.utils import isolate_apps

from compliance.checks import declaration_errors, undeclared_errors
from covenant.personal_data import (
    PersonalData,
    Strategy,
    Subject,
    declaration_for,
    declarations,
    personal,
)


def test_the_portal_passes_its_own_personal_data_check() -> None:
    assert [e for e in checks.run_checks() if e.id.startswith("compliance.")] == []


def test_the_core_and_the_sectors_declare_their_models() -> None:
    declared = {d.model: d.strategy for d in declarations()}
    assert declared["accounts.User"] == Strategy.ANONYMISE
    assert declared["access.RoleAssignment"] == Strategy.ANONYMISE  # the history stays
    assert declared["access.PersonalAccessToken"] == Strategy.DELETE
    assert declared["account.EmailAddress"] == Strategy.DELETE
    assert declared["sessions.Session"] == Strategy.DELETE
    assert declared["audit.AuditEntry"] == Strategy.RETAIN
    assert declared["ledger.LedgerEntry"] == Strategy.RETAIN
    assert declared["outbox.OutboxMessage"] == Strategy.RETAIN
    assert declared["sector_minerals.ProfitDistribution"] == Strategy.RETAIN
    assert declared["compliance.PrivacyRequest"] == Strategy.ANONYMISE
    assert all(d.legal_basis for d in declarations() if d.strategy == Strategy.RETAIN)
    # the account is erased last: every other declaration still finds the old pseudonym
    assert declarations()[-1].model == "accounts.User"
    # allauth's MFA and single sign-on, the API keys and per-project grants (identity)
    assert declared["mfa.Authenticator"] == Strategy.DELETE
    assert declared["socialaccount.SocialAccount"] == Strategy.DELETE
    assert declared["usersessions.UserSession"] == Strategy.DELETE
    assert declared["access.ApiKey"] == Strategy.ANONYMISE  # the nation's record; live keys revoked
    assert declared["sectors_core.ProjectUserObjectPermission"] == Strategy.DELETE


@isolate_apps("compliance")
def test_an_undeclared_model_with_personal_data_fails_and_the_hint_says_what_to_write() -> None:
    class Notification(models.Model):
        user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
        text = models.TextField()

        class Meta:
            app_label = "compliance"

    class Contact(models.Model):
        email = models.EmailField()
        full_name = models.CharField(max_length=80)

        class Meta:
            app_label = "compliance"

    class Note(models.Model):
        body = personal(models.TextField())

        class Meta:
            app_label = "compliance"

    class Plain(models.Model):
        name = models.CharField(max_length=80)  # a project's or a nation's name: not a person's

        class Meta:
            app_label = "compliance"

    errors = undeclared_errors([Notification, Contact, Note, Plain])
    assert [(e.id, e.obj) for e in errors] == [
        ("compliance.E001", Notification),
        ("compliance.E001", Contact),
        ("compliance.E001", Note),
    ]
    notification, contact, note = errors
    assert "user (a link to a person's account)" in notification.msg
    assert "compliance/personal_data.py" in notification.hint
    assert 'declare(\n    "compliance.Notification",' in notification.hint
    assert "subject_fields=('user',)" in notification.hint
    assert (
        "email_fields=('email',)" in contact.hint and "full_name (a person's name)" in contact.msg
    )
    assert "body (marked personal)" in note.msg


def test_unsound_declarations_are_errors() -> None:
    broken = [
        PersonalData(
            model="accounts.User",
            category="x",
            purpose="y",
            strategy=Strategy.DELETE,
            subject_fields=("nonexistent",),
        ),
        PersonalData(model="accounts.User", category="x", purpose="y", strategy=Strategy.DELETE),
        PersonalData(model="nowhere.Model", category="x", purpose="y", strategy=Strategy.DELETE),
        PersonalData(
            model="accounts.User",
            category="x",
            purpose="y",
            strategy=Strategy.ANONYMISE,
            subject_fields=("pk",),
            anonymise={"shoe_size": 0},
        ),
    ]
    messages = [error.msg for error in declaration_errors(broken)]
    assert any("'nonexistent'" in m for m in messages)
    assert any("not how to find a person's rows" in m for m in messages)
    assert any("no such installed app" in m for m in messages)
    assert any("'shoe_size' is not a field" in m for m in messages)


def test_retain_without_a_legal_basis_is_refused() -> None:
    from covenant.personal_data import declare

    with pytest.raises(ValueError):
        declare("accounts.Nothing", category="x", purpose="y", strategy=Strategy.RETAIN)


@pytest.mark.django_db
def test_a_declaration_finds_a_person_by_account_pseudonym_or_address(cast) -> None:
    person = cast.user("KEN", "citizen")
    subject = Subject.of(person)
    roles = declaration_for("access.RoleAssignment")
    assert roles is not None
    from covenant.nations.tenancy import all_nations

    with all_nations(reason="test"):
        assert roles.rows_of(subject).count() == 1
    addresses = declaration_for("account.EmailAddress")
    assert addresses is not None
    by_email = Subject(user_id=None, pseudonym=None, email=person.email.upper())
    assert addresses.rows_of(by_email).count() == 1
    nobody = Subject(user_id=None, pseudonym=None, email=None)
    assert addresses.rows_of(nobody).count() == 0
