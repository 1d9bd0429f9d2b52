"""The header line says what each kind that could not be read hides."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpath.cluster.live import LiveOptions, load_live
from kpath.cluster.snapshot import build_snapshot
from kpath.lab.rbac import load_policy
from kpath.lab.runner import LabThread
from kpath.routing.analysis import analyse
from kpath.source import LoadedSource
from kpath.tui.app import KpathApp
from kpath.tui.widgets.status_bar import status_text
from tests.tui.helpers import clock, screen_text

RBAC_YAML = Path(__file__).resolve().parents[2] / "deploy" / "rbac.yaml"


def test_each_kind_not_visible_says_what_it_hides() -> None:
    text = status_text(
        "ctx",
        True,
        None,
        False,
        {"Node": "forbidden: long reason", "IngressClass": "forbidden: x"},
        "",
        "",
        seen={"Pod", "Service"},
    ).plain
    assert text.endswith(
        "│ not visible: ingressclasses (Ingress controllers by class name "
        "only), nodes (NodePort hops by node name only)"
    )
    assert "long reason" not in text  # the reasons are in the findings, not the header


def test_nothing_is_said_when_everything_was_read() -> None:
    assert "not visible" not in status_text("ctx", True, None, False, {}, "", "").plain


@pytest.mark.anyio
@pytest.mark.lab
async def test_the_live_ui_under_kpaths_namespaced_role_says_what_it_cannot_see(
    tmp_path: Path,
) -> None:
    with LabThread("shop", api={"rbac": load_policy(RBAC_YAML, "Role", namespace="shop")}) as lab:
        options = LiveOptions(
            kubeconfig=str(lab.write_kubeconfig(tmp_path / "kc")), namespace="shop"
        )
        app = KpathApp(
            LoadedSource(
                lambda: analyse(build_snapshot(load_live(options))), origin="lab", live=True
            ),
            clock=clock,
        )
        async with app.run_test(size=(200, 40)) as pilot:
            await app.wait_loaded(pilot.pause)
            assert app.main.table.rows  # the namespace's services are listed
            assert (
                "│ not visible: ingressclasses (Ingress controllers by class name only), "
                "nodes (NodePort hops by node name only)"
            ) in screen_text(app)
            await pilot.press("q")


def test_at_80_columns_the_origin_gives_way_and_the_read_time_stays() -> None:
    from datetime import datetime

    origin = "context kpath-lab @ http://127.0.0.1:34085"
    text = status_text(
        origin, True, datetime(2026, 1, 2, 3, 4, 5), False, {}, "", "", watch="watching", width=78
    ).plain
    assert text.endswith("│ live │ watching │ read 03:04:05")
    assert len(text) <= 78 and "…" in text
    assert text.startswith("kpath context kpath-")  # both ends of the origin kept
    wide = status_text(
        origin, True, datetime(2026, 1, 2, 3, 4, 5), False, {}, "", "", watch="watching", width=200
    ).plain
    assert origin in wide
