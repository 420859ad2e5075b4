"""Linkage's domain: framework-free services (no aiogram imports)."""
