"""Widgets of the terminal UI; each one job, no cluster I/O."""
