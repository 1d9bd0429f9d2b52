"""Lab-backed fixtures: a real API server (and data plane) on loopback, one per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kpath.lab.runner import LabThread


@pytest.fixture(scope="module")
def shop_lab() -> Iterator[LabThread]:
    with LabThread("shop") as lab:
        yield lab


@pytest.fixture(scope="module")
def shop_kubeconfig(shop_lab: LabThread, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(shop_lab.write_kubeconfig(tmp_path_factory.mktemp("kc") / "kubeconfig"))
