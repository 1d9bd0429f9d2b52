"""The header line says what each kind that could not be read hides."""

from __future__ import annotations

from kpath.tui.widgets.status_bar import status_text


def test_each_kind_not_visible_says_what_it_hides() -> None:
    text = status_text("ctx", True, None, False,
                       {"Node": "forbidden: long reason", "IngressClass": "forbidden: x"},
                       "", "", seen={"Pod", "Service"}).plain
    assert text.endswith("│ not visible: ingressclasses (Ingress controllers by class name "
                         "only), nodes (NodePort hops by node name only)")
    assert "long reason" not in text  # the reasons are in the findings, not the header


def test_nothing_is_said_when_everything_was_read() -> None:
    assert "not visible" not in status_text("ctx", True, None, False, {}, "", "").plain
