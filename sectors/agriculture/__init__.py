"""The agriculture sector."""
