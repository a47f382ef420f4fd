"""Helpers shared by several test modules (imported, not collected)."""
