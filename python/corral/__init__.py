"""Corral Python SDK (standard library only)."""
