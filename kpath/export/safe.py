"""Kept for imports written before the sanitiser moved: the one module is `kpath.safetext`."""

from __future__ import annotations

from kpath.safetext import clean, clean_message, literal, literal_message

__all__ = ["clean", "clean_message", "literal", "literal_message"]
