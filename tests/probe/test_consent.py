"""Probing a dump's addresses: refused by default (nothing is sent), probed when opted in.

Only loopback addresses are ever probed here: the dump names 127.0.0.1 for its node, its
pod and its ClusterIP, and the servers behind them count every connection they accept.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpath.cli import main
from kpath.probe.consent import OPT_IN_FLAG, WHY, probe_consent
from tests.builders import endpoint, endpointslice, node, pod, service
from tests.probe.servers import ThreadedHttp

LOOPBACK = "127.0.0.1"


def test_a_live_source_is_probed_without_a_word() -> None:
    consent = probe_consent(from_dump=False)
    assert consent.allowed and consent.refusal is None and consent.warning is None


def test_a_dump_is_refused_unless_opted_in_and_then_warned_about() -> None:
    refused = probe_consent(from_dump=True)
    assert not refused.allowed and refused.warning is None
    assert refused.refusal is not None and WHY in refused.refusal
    assert OPT_IN_FLAG in refused.refusal and "\n" not in refused.refusal
    opted = probe_consent(from_dump=True, opted_in=True)
    assert opted.allowed and opted.refusal is None
    assert opted.warning is not None and WHY in opted.warning


def test_the_ui_refuses_a_dump_in_the_same_words() -> None:
    ui = probe_consent(from_dump=True, opted_in=True, ui=True)  # the UI has no opt-in
    assert not ui.allowed and ui.refusal is not None and WHY in ui.refusal


@pytest.fixture
def servers() -> Iterator[tuple[ThreadedHttp, ThreadedHttp]]:
    with ThreadedHttp() as node_port, ThreadedHttp() as pod_port:
        yield node_port, pod_port


@pytest.fixture
def dump(tmp_path: Path, servers: tuple[ThreadedHttp, ThreadedHttp]) -> Path:
    """One NodePort service whose every address is a loopback socket of ``servers``."""
    node_port, pod_port = servers
    svc = service(
        "web",
        "NodePort",
        clusterIP=LOOPBACK,
        ports=[
            {
                "name": "http",
                "port": pod_port.port,
                "targetPort": pod_port.port,
                "protocol": "TCP",
                "nodePort": node_port.port,
            }
        ],
    )
    items = [
        node("n1", ip=LOOPBACK),
        pod("web-1", "n1", LOOPBACK),
        svc,
        endpointslice(
            "web", [endpoint(LOOPBACK, "n1", "web-1")], port=pod_port.port, port_name="http"
        ),
    ]
    for item in items:
        item.setdefault(
            "apiVersion", "discovery.k8s.io/v1" if item["kind"] == "EndpointSlice" else "v1"
        )
    path = tmp_path / "dump.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    return path


def addresses(doc: dict) -> set[str]:
    """Every host a probe of the JSON report went to."""
    hosts = set()
    for p in doc["paths"]:
        hops = [
            p["entry"],
            *p["groups"],
            *(e for c in ([p["direct"]] if p["direct"] else p["groups"]) for e in c["endpoints"]),
        ]
        for hop in hops:
            for probe in (hop.get("observed") or {}).get("probes", []):
                hosts.add(probe["url"].split("//")[1].rsplit(":", 1)[0])
    return hosts


@pytest.mark.parametrize(
    "argv", [["probe", "shop/web"], ["paths", "--probe"], ["snapshot", "--probe", "--svg", "SVG"]]
)
def test_probing_a_dump_is_refused_and_nothing_is_sent(
    argv: list[str],
    dump: Path,
    servers: tuple[ThreadedHttp, ThreadedHttp],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    argv = [str(tmp_path / "shot.svg") if a == "SVG" else a for a in argv]
    assert main([*argv, "--dump", str(dump), "--timeout", "1"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith("kpath: error: not probing: ") and WHY in err and OPT_IN_FLAG in err
    assert [s.connections for s in servers] == [0, 0]  # not one connection was attempted
    assert not (tmp_path / "shot.svg").exists()


@pytest.mark.parametrize("command", [["probe", "shop/web"], ["paths", "--probe"]])
def test_opting_in_warns_once_then_probes_the_dumps_addresses(
    command: list[str],
    dump: Path,
    servers: tuple[ThreadedHttp, ThreadedHttp],
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main([*command, "--dump", str(dump), OPT_IN_FLAG, "-o", "json", "--timeout", "1"])
    out, err = capsys.readouterr()
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("kpath: warning: ")]
    assert len(warnings) == 1 and WHY in warnings[0] and OPT_IN_FLAG in warnings[0]
    doc = json.loads(out)
    assert addresses(doc) == {LOOPBACK}
    node_port, pod_port = servers
    assert node_port.connections > 0 and pod_port.connections > 0
    # The servers answer as most apps do, naming no pod: never "confirmed".
    observed = [o for o in observations(doc) if o["probes"]]
    answered = [o for o in observed if any(p["outcome"] == "ok" for p in o["probes"])]
    assert answered and all(
        o["verdict"] == "unknown"
        and o["identified"] is False
        and "answered (unidentified)" in o["reason"]
        for o in answered
    )
    assert 0 < doc["probe"]["summary"]["unidentified"] <= len(answered)  # targets, not hops


def test_the_table_says_answered_unidentified_not_confirmed(
    dump: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["probe", "shop/web", "--dump", str(dump), OPT_IN_FLAG, "--timeout", "1"]) == 0
    out = capsys.readouterr().out
    assert "answered (unidentified)" in out and "confirmed" not in out


def observations(doc: dict) -> list[dict]:
    found = []
    for p in doc["paths"]:
        found += [p["entry"].get("observed"), *(g.get("observed") for g in p["groups"])]
        for c in [p["direct"]] if p["direct"] else p["groups"]:
            found += [e.get("observed") for e in c["endpoints"]]
    return [o for o in found if o]


def test_snapshot_of_a_dump_probes_when_opted_in(
    dump: Path,
    servers: tuple[ThreadedHttp, ThreadedHttp],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    shot = tmp_path / "shot.svg"
    assert (
        main(
            [
                "snapshot",
                "--probe",
                "--dump",
                str(dump),
                OPT_IN_FLAG,
                "--svg",
                str(shot),
                "--service",
                "shop/web",
                "--timeout",
                "1",
            ]
        )
        == 0
    )
    assert OPT_IN_FLAG in capsys.readouterr().err
    assert shot.exists() and sum(s.connections for s in servers) > 0
