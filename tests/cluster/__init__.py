"""Tests for kpath.cluster: sources, parsing and snapshots."""
