"""The energy sector."""
