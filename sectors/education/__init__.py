"""The education sector."""
