"""Compliance: data-subject requests, exports, erasure, retention (not built yet)."""
