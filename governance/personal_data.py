"""What governance holds about a person, and what an erasure does with it.

The verifiable record — frozen rosters, ballots, vote logs, proposals — names people by their
pseudonym only, and stays: votes cast in office are part of the public record, and a bundle must
recount to the same outcome after any erasure. The erasure rotates the person's pseudonym, so
these rows then lead to nobody. Seats are held through role grants (vacated when the erasure
ends the person's roles). The inbox and the notification settings are the person's own: deleted."""

from __future__ import annotations

from covenant.personal_data import Strategy, declare

IN_OFFICE = (
    "the covenant's public record of council votes cast in office (the covenant's charter and "
    "the public-task basis of GDPR Art. 6(1)(e) and Art. 17(3)(b)): kept so that every tally "
    "stays verifiable; it names a pseudonym only, whose link to the person an erasure destroys"
)

declare(
    "governance.Ballot",
    category="Council votes",
    purpose="Each ballot a seat you held cast, and its changes until the vote closed.",
    pseudonym_fields=("cast_by",),
    strategy=Strategy.RETAIN,
    legal_basis=IN_OFFICE,
)
declare(
    "governance.RosterEntry",
    category="Council votes",
    purpose="The frozen roster of each vote opened while you held a seat (seat, weight).",
    pseudonym_fields=("holder",),
    strategy=Strategy.RETAIN,
    legal_basis=IN_OFFICE,
)
declare(
    "governance.Proposal",
    category="Council votes",
    purpose="The proposals you put to a council.",
    pseudonym_fields=("proposer",),
    strategy=Strategy.RETAIN,
    legal_basis=IN_OFFICE,
)
declare(
    "governance.Notification",
    category="Notifications",
    purpose="Your inbox: votes opening, reminders to vote, outcomes.",
    subject_fields=("user",),
    strategy=Strategy.DELETE,
)
declare(
    "governance.NotificationSettings",
    category="Notifications",
    purpose="Whether you muted the council notifications.",
    subject_fields=("user",),
    strategy=Strategy.DELETE,
)
declare(
    "governance.ProposalUserObjectPermission",
    category="Object permissions",
    purpose="Single votes whose log a nation shared with you.",
    subject_fields=("user",),
    strategy=Strategy.DELETE,
)
