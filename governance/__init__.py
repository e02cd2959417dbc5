"""Governance: councils, proposals, votes, tallies (not built yet)."""
