"""The six sector apps on a shared base."""
