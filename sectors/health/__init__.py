"""The health sector."""
