"""`kpath reach SOURCE DEST --port PORT`: exit codes, the ``kpath.reach/v1`` document, the
text, the notes, the dump cache, hostile names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kpath.cli import main
from kpath.safetext import clean, is_clean
from tests import builders as b
from tests.hostile import HOSTILE

PORTS = [
    {"name": "http", "containerPort": 8080, "protocol": "TCP"},
    {"name": "dns", "containerPort": 53, "protocol": "UDP"},
]


def netpol(name: str, ns: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


def namespace(name: str, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name, **labels}},
    }


def cluster(
    policies: list[dict[str, Any]] | None = None,
    ns: str = "shop",
    web: str = "web",
    policy_kind: bool = True,
) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = [
        {"apiVersion": "v1", **b.node("n1", ip="192.168.0.1")},
        {"apiVersion": "v1", **b.node("n2", ip="192.168.0.2")},
        namespace(ns),
        namespace("tools", team="ops"),
        {"apiVersion": "v1", **b.pod(web, "n1", "10.244.1.5", {"app": "web"}, ns=ns, ports=PORTS)},
        {"apiVersion": "v1", **b.pod("client", "n2", "10.244.2.7", {"app": "client"}, ns="tools")},
        {"apiVersion": "v1", **b.pod("other", "n2", "10.244.2.8", {"app": "other"}, ns="tools")},
    ]
    if policy_kind and policies is None:
        policies = [
            netpol(
                "only-ops",
                ns,
                {
                    "podSelector": {"matchLabels": {"app": "web"}},
                    "ingress": [
                        {
                            "from": [
                                {
                                    "namespaceSelector": {"matchLabels": {"team": "ops"}},
                                    "podSelector": {"matchLabels": {"app": "client"}},
                                }
                            ],
                            "ports": [{"port": "http"}],
                        },
                        {
                            "from": [
                                {
                                    "ipBlock": {
                                        "cidr": "203.0.113.9/24",
                                        "except": ["203.0.113.128/25"],
                                    }
                                }
                            ]
                        },
                    ],
                },
            )
        ]
    return objects + (policies or [])


def write(tmp_path: Path, objects: list[dict[str, Any]], name: str = "dump.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    return str(path)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("KPATH_CACHE_DIR", str(cache))
    return cache


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["reach", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def reach_json(capsys, dump: str, *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, *argv, "--dump", dump, "-o", "json")
    assert code == 0, err
    return json.loads(out)


def test_json_document(capsys, tmp_path):
    dump = write(tmp_path, cluster())
    doc = reach_json(capsys, dump, "tools/client", "shop/web", "--port", "8080")
    assert doc["schema"] == "kpath.reach/v1"
    assert doc["allowed"] is True
    assert doc["egress"]["allowed"] is True and doc["egress"]["policies"] == []
    assert doc["ingress"]["allowed"] is True and doc["ingress"]["policies"] == ["shop/only-ops"]
    assert doc["ingress"]["allowedBy"] == [
        {
            "policy": "shop/only-ops",
            "direction": "ingress",
            "rule": 0,
            "ref": "shop/only-ops spec.ingress[0]",
        }
    ]
    assert doc["source"] == {
        "kind": "pod",
        "address": "10.244.2.7",
        "pod": "tools/client",
        "node": "n2",
    }
    assert (doc["destination"], doc["port"], doc["protocol"]) == ("shop/web", 8080, "TCP")
    denied = reach_json(capsys, dump, "tools/other", "shop/web", "--port", "http")
    assert denied["allowed"] is False and denied["ingress"]["allowed"] is False
    assert denied["egress"]["allowed"] is True and denied["port"] == 8080
    assert denied["ingress"]["allowedBy"] == []


@pytest.mark.parametrize(
    ("source", "port", "allowed", "line"),
    [
        ("tools/client", "http", True, "ingress: allowed by shop/only-ops spec.ingress[0]"),
        (
            "tools/client",
            "9090",
            False,
            "ingress: denied by shop/only-ops (it selects shop/web "
            "for ingress; no rule allows tools/client on 9090/TCP)",
        ),
        ("203.0.113.20", "9090", True, "ingress: allowed by shop/only-ops spec.ingress[1]"),
        ("203.0.113.200", "80", False, "no rule allows 203.0.113.200 on 80/TCP"),
        ("node/n1", "80", True, "ingress: allowed, from shop/web's own node (always allowed)"),
        ("node/n2", "80", False, "no rule allows node/n2 on 80/TCP"),
        ("192.168.0.1", "80", True, "own node"),
    ],
)
def test_text_verdicts(capsys, tmp_path, source, port, allowed, line):
    code, out, err = run(
        capsys, source, "shop/web", "--port", port, "--dump", write(tmp_path, cluster())
    )
    assert (code, err) == (0, "")
    head, *rest = out.splitlines()
    assert head.endswith("allowed" if allowed else "DENIED") or "(from " in head
    assert ("DENIED" in head) is not allowed
    assert any(line in r for r in rest), out
    assert len(rest) <= 3


def test_node_source_uses_its_internal_ip(capsys, tmp_path):
    doc = reach_json(capsys, write(tmp_path, cluster()), "node/n2", "shop/web", "--port", "80")
    assert doc["source"] == {"kind": "node", "address": "192.168.0.2", "pod": None, "node": "n2"}


def test_protocol_and_udp_named_port(capsys, tmp_path):
    dump = write(tmp_path, cluster())
    doc = reach_json(capsys, dump, "tools/client", "shop/web", "--port", "dns", "--protocol", "udp")
    assert (doc["port"], doc["protocol"], doc["allowed"]) == (53, "UDP", False)
    code, _, err = run(capsys, "tools/client", "shop/web", "--port", "dns", "--dump", dump)
    assert code == 2 and "has no TCP container port" in err and "dns (53/UDP)" in err


def test_egress_policy_of_the_source(capsys, tmp_path):
    out_policy = netpol("no-egress", "tools", {"podSelector": {}, "policyTypes": ["Egress"]})
    doc = reach_json(
        capsys, write(tmp_path, cluster([out_policy])), "tools/client", "shop/web", "--port", "8080"
    )
    assert doc["allowed"] is False
    assert doc["egress"] == {
        "allowed": False,
        "policies": ["tools/no-egress"],
        "allowedBy": [],
        "reason": doc["egress"]["reason"],
    }
    assert doc["ingress"]["allowed"] is True and doc["ingress"]["policies"] == []


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["tools/clien", "shop/web", "--port", "80"], ["no such pod", "tools/client"]),
        (["tools/client", "shop/wbe", "--port", "80"], ["destination", "shop/web"]),
        (["node/n3", "shop/web", "--port", "80"], ["no such node", "n1"]),
        # A bare POD is in -n's namespace, else (a dump has no context) in default.
        (["client", "shop/web", "--port", "80"], ["source default/client", "tools/client"]),
        (["tools/client", "web", "--port", "80"], ["destination default/web", "shop/web"]),
        (["client", "web", "-n", "shop", "--port", "80"], ["source shop/client"]),
        (["tools/client", "shop/web", "--port", "htp"], ["did you mean http", "http (8080/TCP)"]),
        (["tools/client", "shop/web", "--port", "70000"], ["1 to 65535"]),
        (["tools/client", "shop/web", "--port", "80", "--protocol", "icmp"], ["--protocol"]),
        (["tools/client", "shop/web"], ["--port"]),
    ],
)
def test_input_errors_exit_2_in_one_line(capsys, tmp_path, argv, words):
    try:
        code = main(["reach", *argv, "--dump", write(tmp_path, cluster())])
    except SystemExit as exc:  # argparse's own refusals (a missing flag, a bad choice)
        code = exc.code
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("kpath: error: ")
    for w in words:
        assert w in err


def test_notes_when_policies_or_namespaces_were_not_read(capsys, tmp_path):
    bare = [o for o in cluster(policy_kind=False) if o["kind"] != "Namespace"]
    doc = reach_json(capsys, write(tmp_path, bare), "tools/client", "shop/web", "--port", "80")
    assert doc["allowed"] is True
    assert any("no NetworkPolicies were read" in n for n in doc["notes"])
    code, out, _ = run(
        capsys,
        "10.244.2.7",
        "shop/web",
        "--port",
        "80",
        "--dump",
        write(tmp_path, cluster(), "b.json"),
    )
    assert code == 0 and "note: 10.244.2.7 is the address of pod tools/client" in out
    no_ns = [o for o in cluster() if o["kind"] != "Namespace"]
    doc = reach_json(
        capsys, write(tmp_path, no_ns, "c.json"), "tools/client", "shop/web", "--port", "80"
    )
    assert any("Namespace objects were not read" in n for n in doc["notes"])
    # without team=ops on tools, the namespaceSelector cannot match
    assert doc["ingress"]["allowed"] is False


def test_second_run_is_answered_from_the_cache(capsys, tmp_path, _private_cache):
    dump = write(tmp_path, cluster())
    first = run(capsys, "tools/client", "shop/web", "--port", "http", "--dump", dump)
    assert list(_private_cache.glob("reach-*.pickle"))
    assert run(capsys, "tools/client", "shop/web", "--port", "http", "--dump", dump) == first


@pytest.mark.parametrize(("ident", "text"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_names(capsys, tmp_path, ident, text):
    # A name cannot hold "/" (nor could one be named on the command line): in the pod's and
    # namespace's names it stands as "_"; the policy's name keeps the whole string.
    part = text.replace("/", "_")
    policy = netpol(
        f"deny-{text}",
        f"ns-{part}",
        {
            "podSelector": {},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "client"}}}]}],
        },
    )
    objects = cluster([policy], ns=f"ns-{part}", web=f"web-{part}")
    dump = write(tmp_path, objects)
    dest = f"ns-{part}/web-{part}"
    code, out, err = run(capsys, "tools/client", dest, "--port", "80", "--dump", dump)
    assert (code, err) == (0, "")
    assert is_clean(out.replace("\n", "")), repr(out)
    assert clean(f"deny-{text}") in out and clean(dest) in out
    doc = reach_json(capsys, dump, "tools/client", dest, "--port", "80")
    assert doc["ingress"]["policies"] == [f"ns-{part}/deny-{text}"]
    assert doc["destination"] == dest
    code, out, err = run(capsys, "tools/client", dest + "x", "--port", "80", "--dump", dump)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert is_clean(err.rstrip("\n"))


def test_reach_on_a_json_dump_imports_no_heavy_library(tmp_path):
    # One verdict per process, as scripts ask: no UI, graph, API client, prober, Rich or
    # PyYAML for a JSON dump.
    import subprocess
    import sys

    dump = write(tmp_path, cluster())
    code = (
        "import sys, io, contextlib\n"
        "from kpath.cli import main\n"
        "for output in ('json', 'text'):\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        f"        assert main(['reach', 'tools/client', 'shop/web', '--port', 'http', "
        f"'--dump', {dump!r}, '-o', output]) == 0\n"
        "heavy = ('textual', 'networkx', 'kubernetes', 'httpx', 'rich', 'yaml', 'aiohttp')\n"
        "loaded = sorted(m for m in heavy if m in sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        cwd=Path(__file__).resolve().parents[1],
        env={"PATH": "/usr/bin:/bin", "KPATH_CACHE_DIR": ""},
    )


def _many_namespaces() -> list[dict[str, Any]]:
    """`cluster()` plus policies in every namespace (egress too), a pod in a namespace
    called ``node``, and a policy selecting namespaces by label."""
    objects = cluster()
    objects += [
        namespace("node"),
        {"apiVersion": "v1", **b.pod("n1", "n1", "10.244.1.9", {"app": "odd"}, ns="node")},
        netpol(
            "tools-egress",
            "tools",
            {
                "podSelector": {"matchLabels": {"app": "other"}},
                "policyTypes": ["Egress"],
                "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"team": "ops"}}}]}],
            },
        ),
        netpol("node-deny", "node", {"podSelector": {}}),
        netpol(
            "db-only",
            "shop",
            {
                "podSelector": {"matchLabels": {"app": "db"}},
                "ingress": [{"from": [{"podSelector": {}}]}],
            },
        ),
        netpol(
            "client-out",
            "tools",
            {
                "podSelector": {"matchLabels": {"app": "client"}},
                "egress": [{"ports": [{"port": 8080}]}],
            },
        ),
    ]
    return objects


QUESTIONS = [
    ("tools/client", "shop/web", "http"),
    ("tools/other", "shop/web", "8080"),
    ("tools/other", "tools/client", "80"),
    ("shop/web", "tools/other", "80"),
    ("node/n1", "shop/web", "http"),
    ("node/n2", "node/n1", "80"),
    ("node/nope", "shop/web", "80"),
    ("10.244.2.7", "shop/web", "8080"),
    ("203.0.113.9", "shop/web", "8080"),
    ("tools/nope", "shop/web", "80"),
    ("tools/client", "shop/nope", "80"),
    ("tools/client", "shop/web", "nope"),
    ("nonsense", "shop/web", "80"),
    ("tools/client", "nonsense", "80"),
]


@pytest.mark.parametrize(("source", "dest", "port"), QUESTIONS)
@pytest.mark.parametrize("with_namespaces", [True, False])
def test_one_question_reads_less_and_answers_the_same(
    capsys, tmp_path, monkeypatch, source, dest, port, with_namespaces
):
    """Without a snapshot cache, `kpath reach` builds only the two pods and their
    namespaces' policies (`prune_for_question`): every answer, note and error is the one
    the whole reach snapshot gives."""
    objects = [o for o in _many_namespaces() if with_namespaces or o["kind"] != "Namespace"]
    dump = write(tmp_path, objects)
    answers = []
    for cache in (str(tmp_path / "cache"), ""):  # the whole reach snapshot, then one question
        monkeypatch.setenv("KPATH_CACHE_DIR", cache)
        for out in ("json", "text"):
            answers.append(run(capsys, source, dest, "--port", port, "--dump", dump, "-o", out))
    assert answers[:2] == answers[2:]
