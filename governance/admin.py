"""Councils, seats, proposals and vote logs in the Django admin, read-only (every write is a
service). Ballots are not shown: a secret ballot's choice stays out of every screen."""

from django.contrib import admin

from covenant.admin_readonly import ReadOnlyAdmin

from .models import Council, Proposal, Seat, VoteLogEntry


@admin.register(Council)
class CouncilAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "kind", "nation"]
    list_filter = ["kind"]
    search_fields = ["name", "nation__iso3"]
    list_select_related = ["nation"]


@admin.register(Seat)
class SeatAdmin(ReadOnlyAdmin):
    list_display = ["id", "council", "code", "member_nation", "is_chair", "filled_at", "vacated_at"]
    list_filter = ["is_chair"]
    search_fields = ["code"]
    list_select_related = ["council", "member_nation"]
    exclude = ["holder"]


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    list_display = ["id", "title", "council", "kind", "status", "outcome", "closes_at"]
    list_filter = ["status", "kind", "outcome"]
    search_fields = ["title"]
    list_select_related = ["council"]


@admin.register(VoteLogEntry)
class VoteLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "proposal", "sequence", "event", "seat_code", "recorded_at"]
    list_filter = ["event"]
    exclude = ["choice", "salt"]
