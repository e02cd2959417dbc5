"""The minerals sector."""
