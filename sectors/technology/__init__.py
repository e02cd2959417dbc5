"""The technology sector."""
