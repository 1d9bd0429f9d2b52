"""What a short command imports: printing to a pipe never loads Rich's console or text
(the table is written plain); a terminal still gets Rich. A dump without Gateway API
objects never loads the Gateway API's records."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import builders as b

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "data" / "dumps" / "small.json"
GATEWAY_SHOP = ROOT / "kpath" / "lab" / "scenarios" / "gateway-shop.yaml"
#: The Gateway API's records (27 NamedTuple classes) and their parsers.
GATEWAY_API = {"kpath.cluster.gatewayapi", "kpath.cluster.parse_gateway"}


def _loaded(*argv: str, cache: str | None = None) -> tuple[set[str], str]:
    """The modules loaded after kpath ran ``argv`` with stdout a pipe, and its stdout;
    ``cache``: the snapshot cache directory ("" for none)."""
    code = (
        "import sys\n"
        "from kpath.cli import main\n"
        f"code = main({list(argv)!r})\n"
        "sys.stdout.flush()\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    env = dict(os.environ) if cache is None else {**os.environ, "KPATH_CACHE_DIR": cache}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, env=env
    )
    return set(done.stderr.split()), done.stdout


def test_paths_to_a_pipe_prints_its_table_without_rich_s_console() -> None:
    modules, out = _loaded("paths", "--dump", str(SMALL))
    assert "SERVICE" in out and "→ forward" in out  # the table was printed
    assert not {"rich.console", "rich.text", "rich.style"} & modules


def test_route_to_a_pipe_prints_without_rich_s_console() -> None:
    modules, out = _loaded(
        "route",
        "ingress-nginx/ingress-nginx-controller",
        "--node",
        "ip-10-0-0-10.region-1.compute.internal",
        "--port",
        "http",
        "--dump",
        str(SMALL),
    )
    assert out.startswith("Traffic for ingress-nginx/ingress-nginx-controller")
    assert "rich.console" not in modules


def test_a_small_dump_is_read_without_msgspec() -> None:
    modules, out = _loaded("paths", "--dump", str(SMALL), "-o", "wide")
    assert "NETWORKPOLICY" in out
    assert "msgspec" not in modules and "kpath.cluster.typed" not in modules
    modules, out = _loaded("paths", "--dump", str(SMALL), "-o", "json")  # json lays it out
    assert json.loads(out)["schema"] == "kpath.paths/v1" and "msgspec" not in modules


def test_a_small_dump_reads_the_same_without_typed_decoding(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kpath import cli

    outputs = []
    for limit in (cli.TYPED_BYTES, 0):  # json.loads, then typed (every dump worth it)
        monkeypatch.setattr(cli, "TYPED_BYTES", limit)
        for argv in (["-o", "json"], ["-o", "wide", "--all"]):
            assert cli.main(["paths", "--dump", str(SMALL), *argv]) == 0
            outputs.append(capsys.readouterr().out)
    assert outputs[:2] == outputs[2:] and outputs[0]


def test_which_dumps_are_worth_typed_decoding(tmp_path: Path) -> None:
    from kpath.cli import TYPED_BYTES, _worth_typed

    small, big = tmp_path / "small.json", tmp_path / "big.json"
    small.write_bytes(b"{}")
    with big.open("wb") as f:
        f.truncate(TYPED_BYTES)
    assert not _worth_typed([str(small)])
    assert _worth_typed([str(big)])
    assert _worth_typed([str(small)] * (TYPED_BYTES // 2 + 1))  # small ones add up
    assert _worth_typed([str(tmp_path)])  # a directory: a bundle of any size
    assert _worth_typed(["-"])  # standard input: unknown
    assert _worth_typed([str(tmp_path / "missing.json")])  # the reader says what is wrong


def test_paths_loads_the_gateway_api_records_only_for_a_dump_with_gateways() -> None:
    modules, out = _loaded("paths", "--dump", str(SMALL))
    assert "SERVICE" in out and not GATEWAY_API & modules
    modules, out = _loaded("paths", "--dump", str(GATEWAY_SHOP), "-A")
    assert "HTTPRoute shop/shop rule" in out and modules >= GATEWAY_API


@pytest.mark.parametrize("pods", [2, 2500], ids=["json.loads", "typed"])
def test_reach_loads_no_gateway_api_records(tmp_path: Path, pods: int) -> None:
    from kpath.cli import TYPED_BYTES

    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "from-ops", "namespace": "shop"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "web"}},
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "ops"}}}]}],
        },
    }
    items = [
        {"apiVersion": "v1", **b.node("n1")},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
        policy,
        *(
            {"apiVersion": "v1", **b.pod(f"web-{i}", "n1", f"10.244.{i // 250}.{i % 250 + 1}")}
            for i in range(pods)
        ),
    ]
    dump = tmp_path / "dump.json"
    dump.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    assert (dump.stat().st_size >= TYPED_BYTES) == (pods > 2)
    argv = ("reach", "shop/web-1", "shop/web-0", "--port", "80", "--dump", str(dump), "-o", "json")
    kept = str(tmp_path / "cache")
    # Nothing kept; the snapshot built and kept; then loaded from there (the dump not read).
    for cache, reads in (("", True), (kept, True), (kept, False)):
        modules, out = _loaded(*argv, cache=cache)
        assert json.loads(out)["ingress"]["policies"] == ["shop/from-ops"]
        assert not GATEWAY_API & modules
        assert ("kpath.cluster.typed" in modules) == (reads and pods > 2)
    assert any(Path(kept).iterdir())
