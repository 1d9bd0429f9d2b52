"""Every output kpath writes, over every string of the hostile table (tests/hostile.py).

37 hostile strings × 18 outputs = 666 cases (17 outputs run once per string, the UI's
namespace picker once over all of them). For each: no raw control, bidi, zero-width or
other invisible character reaches the output (only the format's own newlines), the string's
visible escape (`kpath.safetext.clean`) is there instead, XML is well-formed for a strict
parser, DOT quoting holds, and JSON gives back the original strings exactly.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import pytest
import yaml
from rich.cells import cell_len
from rich.console import Console
from textual.widgets import OptionList

from kpath.cli import main
from kpath.cluster.dump import load_dump
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import build_snapshot
from kpath.errors import InputError
from kpath.export.probejson import report_json
from kpath.export.probetext import print_report
from kpath.probe.plan import PlanOptions, plan_probes
from kpath.probe.run import ProbeReport, ProbeSettings, run_plan, service_paths
from kpath.routing.analysis import Analysis, analyse
from kpath.safetext import clean, clean_message, is_clean
from kpath.tui.screens.picker import Picker
from tests import builders as b
from tests.hostile import HOSTILE, NAMESPACE, NODE_IP, dump_document, node_name, pod_name
from tests.tui.helpers import make_app, screen_text

WIDE = "2000"  # one table row per line: no folding cuts an escape in two


def write_dump(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cluster.json"
    # ensure_ascii: the file itself is plain ASCII JSON, whatever the names hold.
    path.write_text(json.dumps(dump_document(text)), encoding="utf-8")
    return path


def analysis_of(dump: Path) -> Analysis:
    return analyse(build_snapshot(load_dump([str(dump)])))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_clean(out: str) -> None:
    """Nothing escapable in the output except the newlines that separate its lines."""
    for number, line in enumerate(out.split("\n")):
        bad = sorted({hex(ord(c)) for c in line if not is_clean(c)})
        assert not bad, f"line {number}: raw {bad} in {line[:200]!r}"


def assert_visible(out: str, *values: str) -> None:
    for value in values:
        shown = clean(value)
        assert shown in out, f"{shown[:120]!r} not in output"


# --------------------------------------------------------------------------- the outputs
def table(text: str, dump: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "paths", "--dump", str(dump))
    assert code == 0, err
    assert_clean(out)
    assert_visible(out, f"{NAMESPACE}/{text}", node_name(text))  # pods: a count here


def table_wide(text: str, dump: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "paths", "--dump", str(dump), "-o", "wide")
    assert code == 0, err
    assert_clean(out)
    assert_visible(out, f"{NAMESPACE}/{text}", node_name(text), pod_name(text))


def paths_yaml(text: str, dump: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "paths", "--dump", str(dump), "-o", "yaml")
    assert code == 0, err
    assert out.isascii()  # as the JSON: escapes, the originals inside
    doc = yaml.safe_load(out)
    assert {p["service"] for p in doc["paths"]} == {f"{NAMESPACE}/{text}"}  # the original
    _, js, _ = run(capsys, "paths", "--dump", str(dump), "-o", "json")
    assert doc == json.loads(js)


def paths_name(text: str, dump: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "paths", "--dump", str(dump), "-o", "name")
    assert code == 0, err
    assert_clean(out)
    assert out == f"service/{clean(f'{NAMESPACE}/{text}')}\n"


def paths_json(text: str, dump: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "paths", "--dump", str(dump), "-o", "json")
    assert code == 0, err
    assert out.isascii()  # docs/json.md: \u-escaped, the originals inside
    doc = json.loads(out)
    assert {p["service"] for p in doc["paths"]} == {f"{NAMESPACE}/{text}"}  # the original
    groups = [g for p in doc["paths"] for g in p["groups"]]
    assert {n for g in groups for n in g["nodes"]} == {node_name(text)}
    assert {e["pod"] for g in groups for e in g["endpoints"]} == {f"{NAMESPACE}/{pod_name(text)}"}
    hosts = {p["entry"]["ingress"]["host"] for p in doc["paths"] if p["entry"]["ingress"]}
    assert hosts == {f"{text}.example"}


def graphml(text: str, dump: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "paths", "--dump", str(dump), "-o", "graphml")
    assert code == 0, err
    assert_clean(out)
    root = ET.fromstring(out.encode("utf-8"))  # expat: a strict, non-validating XML parser
    values = {v for el in root.iter() for v in (*el.attrib.values(), el.text or "")}
    assert clean(f"{NAMESPACE}/{pod_name(text)}") in values
    graph = nx.parse_graphml(out)
    assert any(clean(f"{NAMESPACE}/{text}") in str(v) for v in graph.nodes)


_QUOTED = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
_DOT_BARE = re.compile(r"^[A-Za-z0-9_\-=,;>\[\]{} ]*$")  # what is left outside quotes


def dot(text: str, dump: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "paths", "--dump", str(dump), "-o", "dot")
    assert code == 0, err
    assert_clean(out)
    strings = []
    for line in out.splitlines():
        assert _DOT_BARE.match(_QUOTED.sub("", line)), f"quoting broken: {line[:200]!r}"
        strings += [re.sub(r"\\(.)", r"\1", s) for s in _QUOTED.findall(line)]
    assert clean(f"{NAMESPACE}/{pod_name(text)}") in strings


def route_text(text: str, dump: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "route", f"{NAMESPACE}/{text}", "--node", node_name(text), "--dump", str(dump)
    )
    assert code == 0, err
    assert_clean(out)
    assert_visible(out, node_name(text), f"{NAMESPACE}/{pod_name(text)}")


def route_json(text: str, dump: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "route",
        f"{NAMESPACE}/{text}",
        "--node",
        node_name(text),
        "--dump",
        str(dump),
        "-o",
        "json",
    )
    assert code == 0, err
    assert out.isascii()
    doc = json.loads(out)
    assert (doc["service"], doc["node"]) == (f"{NAMESPACE}/{text}", node_name(text))


def one_error_line(code: int, out: str, err: str) -> str:
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("kpath: error: "), err
    assert_clean(err)
    return err


def route_unknown_node(text: str, dump: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = one_error_line(
        *run(capsys, "route", f"{NAMESPACE}/{text}", "--node", "nosuch", "--dump", str(dump))
    )
    assert f"(nodes: {clean(node_name(text))})" in err


def route_unknown_service(text: str, dump: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = one_error_line(
        *run(capsys, "route", f"{NAMESPACE}/nosuch", "--node", "x", "--dump", str(dump))
    )
    assert f"(services in {NAMESPACE}: {clean(text)})" in err


def probe_unknown_service(text: str, dump: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The lookup `kpath probe` makes before any probe is planned (no address is touched).
    with pytest.raises(InputError) as caught:
        service_paths(analysis_of(dump), f"{NAMESPACE}/nosuch")
    message = str(caught.value)
    assert_clean(message)
    assert clean(f"{NAMESPACE}/{text}") in message


def probed(text: str, dump: Path) -> tuple[Analysis, ProbeReport]:
    # Every address in this dump is 127.0.0.1 (tests/hostile.py): the probes stay on loopback.
    analysis = analysis_of(dump)
    # Chosen directly: `kpath probe NS/NAME` cannot name a service whose name holds "/".
    paths = [p for p in analysis.paths if p.service == ObjectKey(NAMESPACE, text)]
    assert paths
    options = ProbeSettings(timeout=0.5, samples=1)
    plan = plan_probes(analysis.snapshot, paths, PlanOptions(samples=options.samples))
    addresses = {t.host for t in plan.targets}
    assert addresses == {NODE_IP}, addresses  # checked before anything is sent
    return analysis, run_plan(plan, options)


def probe_json(text: str, dump: Path, capsys: pytest.CaptureFixture[str]) -> None:
    analysis, report = probed(text, dump)
    out = json.dumps(report_json(analysis, report), indent=2)  # as the CLI writes it
    assert out.isascii()
    doc = json.loads(out)
    groups = [g for p in doc["paths"] for g in p["groups"]]
    assert {n for g in groups for n in g["nodes"]} == {node_name(text)}
    probes = [pr for g in groups if g["observed"] for pr in g["observed"]["probes"]]
    assert probes and {pr["node"] for pr in probes} == {node_name(text)}


def probe_text(text: str, dump: Path, capsys: pytest.CaptureFixture[str]) -> None:
    analysis, report = probed(text, dump)
    buf = io.StringIO()
    print_report(Console(file=buf, width=int(WIDE), color_system=None), analysis, report)
    out = buf.getvalue()
    assert_clean(out)
    assert_visible(out, node_name(text), pod_name(text))


# The UI outputs start an app, which costs a second: each is run once over one dump holding
# every hostile cluster (cached per test process), and checked string by string.
_ONCE: dict[str, object] = {}
SIZE = (300, 60)  # tall enough for all 37 services; wide enough that no pod name must break


def _once(name: str, make: Callable[[Path], object], tmp_path: Path) -> object:
    if name not in _ONCE:
        dump = tmp_path / "all.json"
        dump.write_text(json.dumps(dump_document(*(t for _, t in HOSTILE))), encoding="utf-8")
        _ONCE[name] = make(dump)
    return _ONCE[name]


def _snapshot(dump: Path) -> tuple[int, str, str]:
    svg_path = dump.parent / "shot.svg"
    code = main(
        ["snapshot", "--dump", str(dump), "--svg", str(svg_path), "--size", f"{SIZE[0]}x{SIZE[1]}"]
    )
    return code, svg_path.read_text(encoding="utf-8") if code == 0 else "", ""


def snapshot_svg(text: str, dump: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, svg, _ = _once("svg", _snapshot, dump.parent)  # type: ignore[misc]
    capsys.readouterr()
    assert code == 0
    assert_clean(svg)
    root = ET.fromstring(svg.encode("utf-8"))  # well-formed for a strict parser
    drawn = "".join(el.text or "" for el in root.iter()).replace("\xa0", " ")
    assert clean(f"{NAMESPACE}/{text}")[:20] in drawn  # its row in the service list


def _screens(dump: Path) -> dict[str, tuple[str, str]]:
    """Per hostile string: the screen with its service selected, then with a hop selected."""
    analysis = analysis_of(dump)

    async def look() -> dict[str, tuple[str, str]]:
        screens = {}
        app = make_app(analysis)
        async with app.run_test(size=SIZE) as pilot:
            await app.wait_loaded(pilot.pause)
            for _, text in HOSTILE:
                await app.main.jump_to(ObjectKey(NAMESPACE, text))
                await pilot.pause()
                selected = screen_text(app)
                await pilot.press("down")  # the next hop: the details panel changes too
                await pilot.pause()
                screens[text] = (selected, screen_text(app))
        return screens

    return asyncio.run(look())


def tui_screen(text: str, dump: Path, capsys: pytest.CaptureFixture[str]) -> None:
    screens: dict[str, tuple[str, str]] = _once("screens", _screens, dump.parent)  # type: ignore[assignment]
    for shown in screens[text]:
        assert_clean(shown)
        lines = shown.splitlines()
        assert len(lines) == SIZE[1] and all(cell_len(line) <= SIZE[0] for line in lines)
        assert clean(f"{NAMESPACE}/{text}")[:20] in shown  # its row in the list
        pod = clean(pod_name(text))
        if len(pod) <= 50:  # its pod, in the path view, whole
            assert pod[:20] in shown
        else:  # wider than its box: broken after `pod-`, its middle elided, both ends kept
            assert f"{pod[4:14]}…" in shown and pod[-10:] in shown


def _errors(dump: Path) -> dict[str, tuple[str, str]]:
    """A load that fails with each hostile string in turn (`r` reads again): the status
    line and the screen each failure leaves (a failed first load takes the place of the
    view, so there is no toast to read)."""
    texts = [t for _, t in HOSTILE]
    current = [-1]

    def load() -> Analysis:
        # The UI also retries on its own after a pause: clamp, never run out.
        current[0] = min(current[0] + 1, len(texts) - 1)
        raise InputError(f"{dump.name}: Service {texts[current[0]]}: cannot read")

    async def look() -> dict[str, tuple[str, str]]:
        seen: dict[str, tuple[str, str]] = {}
        app = make_app(load)
        async with app.run_test(size=SIZE) as pilot:
            while len(seen) < len(texts):
                if seen:
                    await pilot.press("r")
                for _ in range(200):
                    await pilot.pause(0.01)
                    text = texts[current[0]]
                    wanted = clean_message(f"{dump.name}: Service {text}: cannot read")
                    if text not in seen and app.main.status.error == wanted:
                        break
                else:
                    raise AssertionError(f"no failure shown for {texts[current[0]]!r}")
                screen = screen_text(app)
                seen[text] = (screen.splitlines()[0], screen)
        return seen

    return asyncio.run(look())


def tui_error(text: str, dump: Path, capsys: pytest.CaptureFixture[str]) -> None:
    errors: dict[str, tuple[str, str]] = _once("errors", _errors, dump.parent)  # type: ignore[assignment]
    status, screen = errors[text]
    assert_clean(status)
    assert_clean(screen)
    assert clean_message(text)[:20] in status
    assert "cannot read the cluster" in screen
    assert clean_message(f"Service {text}")[:20] in screen


OUTPUTS: dict[str, Callable[[str, Path, pytest.CaptureFixture[str]], None]] = {
    "table": table,
    "table-wide": table_wide,
    "paths-json": paths_json,
    "paths-yaml": paths_yaml,
    "paths-name": paths_name,
    "graphml": graphml,
    "dot": dot,
    "route-text": route_text,
    "route-json": route_json,
    "route-unknown-node": route_unknown_node,
    "route-unknown-service": route_unknown_service,
    "probe-unknown-service": probe_unknown_service,
    "probe-text": probe_text,
    "probe-json": probe_json,
    "snapshot-svg": snapshot_svg,
    "tui-screen": tui_screen,
    "tui-error": tui_error,
}
ONCE_OVER_ALL = ("namespace-picker",)  # test_the_namespace_picker_shows_every_name_escaped
TRIED = len(HOSTILE) * (len(OUTPUTS) + len(ONCE_OVER_ALL))


def test_the_docstring_counts_what_is_tried() -> None:
    outputs = len(OUTPUTS) + len(ONCE_OVER_ALL)
    claim = f"{len(HOSTILE)} hostile strings × {outputs} outputs = {TRIED} cases"
    assert " ".join((__doc__ or "").split()).count(claim) == 1, claim


def test_the_namespace_picker_shows_every_name_escaped() -> None:
    objects = [b.node("node-a", ip=NODE_IP)]
    for _, text in HOSTILE:
        objects += [
            b.pod("web-1", "node-a", NODE_IP, ns=text),
            b.service("web", "NodePort", ns=text),
        ]
    analysis = b.analysed(*objects)

    async def look() -> tuple[list[str], str]:
        app = make_app(analysis)
        async with app.run_test(size=(200, 60)) as pilot:
            await app.wait_loaded(pilot.pause)
            await pilot.press("n")
            await pilot.pause()
            assert isinstance(app.screen, Picker)
            options = app.screen.query_one(OptionList)
            prompts = [
                str(options.get_option_at_index(i).prompt) for i in range(options.option_count)
            ]
            return prompts, screen_text(app)

    prompts, shown = asyncio.run(look())
    assert_clean(shown)
    assert sorted(prompts) == sorted(["all namespaces", *(clean(t) for _, t in HOSTILE)])


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize(("text"), [t for _, t in HOSTILE], ids=[i for i, _ in HOSTILE])
def test_every_output_shows_hostile_text_as_text(
    text: str,
    output: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", WIDE)
    OUTPUTS[output](text, write_dump(tmp_path, text), capsys)


def test_a_hostile_namespace_asked_for_is_named_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`-n` names a namespace the dump lacks: the one-line error quotes it escaped."""
    dump = write_dump(tmp_path, "x")
    code = main(["paths", "--dump", str(dump), "-n", "evil\x1b[2J"])
    out, err = capsys.readouterr()
    assert code == 2 and "\x1b" not in out + err and "\\x1b[2J" in err
