"""kpath.routing.scope: the namespaces a view shows, one rule for the CLI and the UI."""

from __future__ import annotations

from kpath.routing.scope import shown_namespaces

A, B = frozenset({"a"}), frozenset({"b"})


def test_shown_namespaces_are_those_asked_for_that_were_read() -> None:
    assert shown_namespaces(None, None) is None
    assert shown_namespaces(None, A) == A  # "all" of a source that read one: that one
    assert shown_namespaces(A, None) == A  # -n a of a dump (it reads every namespace)
    assert shown_namespaces(A | B, A) == A
    assert shown_namespaces(B, A) == frozenset()
