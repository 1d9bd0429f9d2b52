"""`kpath request URL`: exit codes, the ``kpath.request/v1`` document, the text, hostile names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kpath.cli import main
from kpath.safetext import clean, is_clean
from tests import builders as b
from tests.hostile import HOSTILE

ROOT = Path(__file__).resolve().parents[1]
SHOP = ROOT / "kpath" / "lab" / "scenarios" / "shop.yaml"
WIDTH = 80


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def request_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, "request", *argv, "-o", "json")
    assert code == 0, err
    return json.loads(out)


def test_json_document_shape(capsys):
    doc = request_json(
        capsys, "http://shop.example.com/api/items?page=2", "-H", "X-Env: a", "--dump", str(SHOP)
    )
    assert set(doc) == {"schema", "request", "answers", "findings"}
    assert doc["schema"] == "kpath.request/v1"
    assert doc["request"] == {
        "url": "http://shop.example.com/api/items?page=2",
        "scheme": "http",
        "host": "shop.example.com",
        "port": 80,
        "tls": False,
        "method": "GET",
        "path": "/api/items",
        "query": [{"name": "page", "value": "2"}],
        "headers": [{"name": "X-Env", "value": "a"}],
    }
    (answer,) = doc["answers"]
    assert set(answer) == {
        "entry",
        "route",
        "outcome",
        "httpStatus",
        "redirect",
        "rewrite",
        "backends",
        "findings",
    }
    assert answer["entry"] == {
        "kind": "ingress",
        "name": "ingress-nginx/ingress-nginx-controller",
        "listener": None,
        "address": None,
        "port": 80,
        "class": "nginx",
    }
    assert answer["route"] == {
        "kind": "Ingress",
        "name": "shop/shop",
        "rule": 0,
        "host": "shop.example.com",
        "path": "/api",
        "pathType": "Prefix",
    }
    assert (answer["outcome"], answer["httpStatus"], answer["redirect"], answer["rewrite"]) == (
        "forward",
        None,
        None,
        None,
    )
    (backend,) = answer["backends"]
    # The shop manifests carry no Pods or EndpointSlices: the endpoints are unknown.
    assert backend == {
        "name": "shop/catalog",
        "port": 80,
        "weight": 1,
        "share": 1.0,
        "verdict": "unknown",
        "endpoints": 0,
    }


def test_exact_path_and_404_outcomes(capsys):
    exact = request_json(capsys, "http://shop.example.com/reviews", "--dump", str(SHOP))
    assert exact["answers"][0]["route"]["pathType"] == "Exact"
    assert exact["answers"][0]["backends"][0]["name"] == "shop/reviews"
    # /reviews/1 is not the Exact path: the "/" prefix takes it
    deeper = request_json(capsys, "http://shop.example.com/reviews/1", "--dump", str(SHOP))
    assert deeper["answers"][0]["backends"][0]["name"] == "shop/storefront"
    via = request_json(
        capsys,
        "http://nobody.example.com/",
        "--dump",
        str(SHOP),
        "--via",
        "ingress-nginx/ingress-nginx-controller",
    )
    (answer,) = via["answers"]
    assert (answer["outcome"], answer["httpStatus"], answer["route"]) == ("not-found", 404, None)
    assert [f["code"] for f in answer["findings"]] == ["KP455"]
    assert answer["findings"][0]["name"] == "ingress-no-rule-matches"


def test_a_host_nothing_takes_is_answered_with_a_finding_and_exit_0(capsys):
    doc = request_json(capsys, "http://nobody.example.com/", "--dump", str(SHOP))
    assert doc["answers"] == []
    assert [f["code"] for f in doc["findings"]] == ["KP450"]
    code, out, _ = run(capsys, "request", "http://nobody.example.com/", "--dump", str(SHOP))
    assert code == 0 and "KP450" in out


def test_text_is_one_line_per_hop_within_80_columns(capsys):
    code, out, err = run(
        capsys, "request", "http://admin.example.com/users", "-X", "DELETE", "--dump", str(SHOP)
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "DELETE http://admin.example.com/users"
    assert lines[1] == "ingress ingress-nginx/ingress-nginx-controller: forward"
    assert lines[2] == "  entry    port 80, class nginx"  # a manifest: no address yet
    assert lines[3].split() == [
        "rule",
        "Ingress",
        "shop/shop",
        "rule",
        "1:",
        "host",
        "admin.example.com,",
        "Prefix",
        "/",
    ]
    assert lines[4].split()[:2] == ["backend", "shop/admin:8080"]
    assert all(len(line) <= WIDTH for line in lines)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["ftp://x/"], "scheme 'ftp'"),
        (["http://x/", "-H", "bad header"], "'Name: value'"),
        (["http://x/", "-X", "G ET"], "not an HTTP method"),
        (["tls://x"], "needs its port"),
        (["http://x/", "--via", "nope"], "--via default/nope"),
        (["http://x/", "--via", "nope", "-n", "ingress-nginx"], "--via ingress-nginx/nope"),
        (["http://x/", "--via", "shop/storefront"], "no Ingress kpath sees"),
        (["http://x/", "--via", "a/b"], "ingress-nginx/ingress-nginx-controller"),
    ],
)
def test_usage_errors_exit_2_with_one_line(capsys, argv, words):
    code, out, err = run(capsys, "request", *argv, "--dump", str(SHOP))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and words in err


def test_an_unknown_output_format_is_argparse_s_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["request", "http://x/", "-o", "yaml", "--dump", str(SHOP)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1 and "invalid choice" in err


def test_a_real_process_prints_no_traceback(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    for argv in (
        ["http://[::1/"],
        ["http://x/", "--dump", str(bad)],
        ["http://x/", "--dump", str(tmp_path / "missing.json")],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "kpath", "request", *argv],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert done.stdout == "" and done.stderr.count("\n") == 1
        assert "Traceback" not in done.stderr


# --- hostile names: every cluster string in the text goes through safetext --------------

NS = "evil"


def hostile_dump(tmp_path: Path, text: str) -> Path:
    objects = [
        b.node("node-a", ip="127.0.0.1"),
        # The controller's Service: found by its class name as a well-known label value.
        b.service(
            f"ctl-{text}",
            "LoadBalancer",
            ns=NS,
            selector={"app": text},
            labels={"app": text},
            lb_ip="127.0.0.9",
            ports=[{"name": "http", "port": 80, "targetPort": 80, "nodePort": 30080}],
        ),
        b.service(
            text,
            ns=NS,
            selector={"app": "web"},
            ports=[{"name": "http", "port": 80, "targetPort": 8080}],
        ),
        b.endpointslice(
            text, [b.endpoint("127.0.0.2", "node-a", f"pod-{text}", ns=NS)], ns=NS, port_name="http"
        ),
        b.ingress(
            f"ing-{text}",
            [
                b.rule(
                    None,
                    (f"/{text}", "Prefix", b.backend(text, 80)),
                    ("/", "Prefix", b.backend(f"gone-{text}", 80)),
                )
            ],
            ns=NS,
            class_name=text,
        ),
    ]
    gw = "gateway.networking.k8s.io/v1"
    objects += [  # the same host through a Gateway whose class, listener and route are hostile
        {"kind": "GatewayClass", "metadata": {"name": text}, "spec": {"controllerName": "x/y"}},
        {
            "kind": "Gateway",
            "metadata": {"name": f"gw-{text}", "namespace": NS},
            "spec": {
                "gatewayClassName": text,
                "listeners": [{"name": text, "port": 80, "protocol": "HTTP"}],
            },
        },
        {
            "kind": "HTTPRoute",
            "metadata": {"name": f"r-{text}", "namespace": NS},
            "spec": {
                "parentRefs": [{"name": f"gw-{text}"}],
                "rules": [{"backendRefs": [{"name": text, "port": 80}]}],
            },
        },
    ]
    api = {
        "EndpointSlice": "discovery.k8s.io/v1",
        "Ingress": "networking.k8s.io/v1",
        "GatewayClass": gw,
        "Gateway": gw,
        "HTTPRoute": gw,
    }
    items = [{"apiVersion": api.get(o["kind"], "v1"), **o} for o in objects]
    path = tmp_path / "cluster.json"
    path.write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": items}), encoding="utf-8"
    )
    return path


@pytest.mark.parametrize("text", [t for _, t in HOSTILE], ids=[i for i, _ in HOSTILE])
def test_hostile_names_are_shown_as_text_and_kept_in_json(tmp_path, capsys, text):
    dump = str(hostile_dump(tmp_path, text))
    code, out, err = run(capsys, "request", "http://shop.example/", "--dump", dump)
    assert code == 0, err
    for line in out.split("\n"):
        assert all(is_clean(c) for c in line), repr(line[:200])
    # the Gateway, its listener and route; the controller, its class, the Ingress and the
    # missing backend: each escaped, on the line that shows it
    lines = out.split("\n")
    for value in (
        f"{NS}/gw-{text}",
        f"{NS}/r-{text}",
        f"{NS}/ctl-{text}",
        f"{NS}/ing-{text}",
        f"{NS}/gone-{text}",
    ):
        assert any(clean(value) in line for line in lines), clean(value)[:80]
    # the listener's and both classes' names stand alone (a fold may put them on their own line)
    alone = [line for line in lines if clean(text) in line.replace(clean(f"{NS}/"), " ")]
    assert len(alone) >= 3
    doc = request_json(capsys, "http://shop.example/", "--dump", dump)
    gateway, ingress = doc["answers"]
    assert (gateway["entry"]["name"], gateway["entry"]["listener"]) == (f"{NS}/gw-{text}", text)
    assert gateway["route"]["name"] == f"{NS}/r-{text}" and gateway["entry"]["class"] == text
    assert ingress["entry"]["name"] == f"{NS}/ctl-{text}" and ingress["entry"]["class"] == text
    assert ingress["route"]["name"] == f"{NS}/ing-{text}"
    assert ingress["backends"][0]["name"] == f"{NS}/gone-{text}"


def test_a_request_on_a_json_dump_imports_no_heavy_library(tmp_path):
    # Scripts run `kpath request` thousands of times: each process must not pay for the UI,
    # the graph, the API client, the prober, Rich or PyYAML when it reads a JSON dump.
    dump = hostile_dump(tmp_path, "plain")
    code = (
        "import sys, io, contextlib\n"
        "from kpath.cli import main\n"
        "for output in ('json', 'text'):\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        f"        assert main(['request', 'http://shop.example/', '--dump', {str(dump)!r}, "
        "'-o', output]) == 0\n"
        "heavy = ('textual', 'networkx', 'kubernetes', 'httpx', 'rich', 'yaml', 'aiohttp')\n"
        "loaded = sorted(m for m in heavy if m in sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
