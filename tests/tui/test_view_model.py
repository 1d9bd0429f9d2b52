"""Pure parts of the UI: list rows, filtering, path states, probe judgement, drawing helpers."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from kpath.cluster.events import Change
from kpath.cluster.raw import RawCluster
from kpath.cluster.records import ObjectKey
from kpath.probe.plan import HopKind, HopRef
from kpath.routing.analysis import Analysis
from kpath.routing.findings import Severity
from kpath.routing.incremental import LiveAnalysis
from kpath.routing.paths import EntryKind
from kpath.tui import view_model as vm
from kpath.tui.boxes import box, column_widths, hstack
from kpath.tui.steady import steady
from kpath.tui.styles import HopState, ProbeState
from kpath.tui.widgets.service_list import layout, row_text
from tests.routing.test_incremental import build, histories
from tests.tui import data

SHOP = data.shop()
ROWS = vm.service_rows(SHOP)


def keys(indexes: list[int], rows: list[vm.ServiceRow] = ROWS) -> list[str]:
    return [str(rows[i].key) for i in indexes]


def test_rows_summarise_each_service() -> None:
    web = next(r for r in ROWS if r.key == ObjectKey("shop", "web"))
    assert (web.type, web.policy, web.ready, web.total) == ("LoadBalancer", "Local", 2, 2)
    assert web.ways == "LB NP CIP" and web.external
    assert web.state == HopState.DROP  # its NodePort black-holes on node-b and node-c
    api = next(r for r in ROWS if r.key == ObjectKey("shop", "api"))
    assert "Ing" in api.ways and api.state == HopState.CROSS


def two_port_service(*, ready_b: bool = True) -> vm.ServiceRow:
    """2 pods serving 2 ports (http, metrics): one slice, two slice ports."""
    from tests import builders as b

    ports = [
        {"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
        {"name": "metrics", "port": 9090, "targetPort": 9090, "protocol": "TCP"},
    ]
    slice_ports = [
        {"name": "http", "port": 8080, "protocol": "TCP"},
        {"name": "metrics", "port": 9090, "protocol": "TCP"},
    ]
    a = b.analysed(
        b.node("node-a"),
        b.pod("w-1", "node-a", "10.1.0.1", {"app": "w"}),
        b.pod("w-2", "node-a", "10.1.0.2", {"app": "w"}),
        b.service("w", selector={"app": "w"}, ports=ports),
        b.endpointslice(
            "w",
            [
                b.endpoint("10.1.0.1", "node-a", "w-1"),
                b.endpoint("10.1.0.2", "node-a", "w-2", ready=ready_b),
            ],
            ports=slice_ports,
        ),
    )
    (row,) = vm.service_rows(a)
    return row


def test_ready_counts_pods_not_pods_times_ports() -> None:
    row = two_port_service()
    assert (row.ready, row.total) == (2, 2)  # kubectl's count; 4/4 before
    row = two_port_service(ready_b=False)
    assert (row.ready, row.total) == (1, 2)


def test_pod_counts_of_redacted_endpoints_count_once_per_service() -> None:
    from kpath.cluster.records import ServicePort
    from kpath.routing.kubeproxy import Target
    from kpath.routing.paths import PortRoutes

    def port_routes(name: str, *ready: bool) -> PortRoutes:
        port = ServicePort(name, "TCP", 80, 80, None, None)
        return PortRoutes(
            port, tuple(Target(None, 80, None, None, None, r, r, False) for r in ready), None, ()
        )

    # No pod, no address: the ports' endpoints cannot be told apart; the larger port counts.
    assert vm.pod_counts([port_routes("a", True, False), port_routes("b", True)]) == (1, 2)
    assert vm.pod_counts([]) == (0, 0)


def test_filter_words_namespace_and_exposure() -> None:
    assert keys(vm.visible(ROWS)) == ["shop/api", "shop/broken", "shop/web"]
    assert keys(vm.visible(ROWS, internal=True))[0] == "backend/cache"
    assert keys(vm.visible(ROWS, text="LOADBALANCER")) == ["shop/web"]
    assert keys(vm.visible(ROWS, text="shop np")) == ["shop/api", "shop/broken", "shop/web"]
    assert keys(vm.visible(ROWS, text="ing np")) == ["shop/api"]
    assert keys(vm.visible(ROWS, namespace="backend")) == []
    assert keys(vm.visible(ROWS, namespace="backend", internal=True)) == ["backend/cache"]


def test_sort_by_worst_finding_first() -> None:
    rows = vm.sort_rows(ROWS, "worst")
    assert {str(r.key) for r in rows[:2]} == {"backend/cache", "shop/broken"}  # the errors
    assert str(rows[-1].key) == "shop/api"  # info only
    assert [str(r.key) for r in vm.sort_rows(rows, "name")] == [str(r.key) for r in ROWS]


def test_load_balancer_health_check_skips_the_black_hole() -> None:
    by_kind = {
        SHOP.paths[i].entry.kind: SHOP.paths[i]
        for i in vm.group_paths(SHOP)[ObjectKey("shop", "web")]
    }
    assert vm.path_state(by_kind[EntryKind.LOAD_BALANCER]) == HopState.FORWARD
    assert vm.path_state(by_kind[EntryKind.NODE_PORT]) == HopState.DROP


def test_diagram_of_a_cross_node_path() -> None:
    index = next(
        i
        for i in vm.group_paths(SHOP)[ObjectKey("shop", "api")]
        if SHOP.paths[i].entry.kind == EntryKind.NODE_PORT
    )
    d = vm.diagram(SHOP, index)
    assert d.entry.title == "NodePort" and d.entry.lines == ("any node :30081",)
    node_a = next(b for b in d.branches if b.via.title.startswith("node-a"))
    assert node_a.via.state == HopState.CROSS and "cross-node 100%" in node_a.via.lines
    assert {p.state for p in node_a.pods} == {HopState.CROSS}
    node_b = next(b for b in d.branches if b.via.title.startswith("node-b"))
    assert {p.title: p.state for p in node_b.pods} == {
        "api-1": HopState.FORWARD,
        "api-2": HopState.CROSS,
    }
    assert len({h.ref for h in d.hops()}) == len(d.hops())  # every hop addressable


def moved(old: Analysis, new: Analysis) -> frozenset[ObjectKey]:
    return vm.moved_services(old, vm.group_paths(old), new, vm.group_paths(new))


def test_moved_services_between_two_reads() -> None:
    assert moved(SHOP, data.shop()) == set()
    assert moved(SHOP, data.shop(web_on_b=True)) == {ObjectKey("shop", "web")}
    web, same = ObjectKey("shop", "web"), data.shop()
    after = vm.group_paths(same)
    assert vm.moved_services(SHOP, {}, same, after, [web]) == {web}  # new: moved
    assert vm.moved_services(SHOP, vm.group_paths(SHOP), same, {}, [web]) == set()  # gone


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_moved_services_are_those_whose_signature_changed(
    history: tuple[RawCluster, list[list[Change]]],
) -> None:
    """Followed events (node ones move every service's groups around the same choices):
    the services `moved_services` names are exactly those whose `path_signature` differs."""
    raw, batches = history
    live = LiveAnalysis(raw, build)
    old = live.analysis
    for batch in batches:
        live.apply(batch)
        new = live.analysis
        before, after = vm.group_paths(old), vm.group_paths(new)
        signed = {
            k
            for k, idx in after.items()
            if k not in before or vm.path_signature(old, before[k]) != vm.path_signature(new, idx)
        }
        assert vm.moved_services(old, before, new, after) == signed
        old = new


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.sampled_from(["name", "type", "worst"]))
def test_rows_followed_in_place_read_as_rows_made_afresh(
    history: tuple[RawCluster, list[list[Change]]], by: str
) -> None:
    """Rows updated in place batch by batch, as the screen does (the rows of services whose
    node groups alone moved keep their words; the paths by service are kept when those are
    all that changed), read at every step as the rows made from scratch."""
    raw, batches = history
    live = LiveAnalysis(raw, build)
    analysis = steady(live.analysis)
    paths = vm.group_paths(analysis)
    rows = vm.sort_rows(vm.service_rows(analysis, None, paths), by)
    list(rows)  # every row built: an update must not leave one as it was
    for batch in batches:
        changed = live.apply(batch)
        new = steady(live.analysis)
        fresh = vm.sort_rows(vm.service_rows(new), by)
        if changed.services and changed.services == changed.regrouped:
            assert vm.group_paths(new) == paths  # every path where it was
        else:
            paths = vm.group_paths(new)
        findings = vm.group_findings(new.findings)
        keys, alone = changed.services, changed.regrouped
        built = {r.key: r for r in rows}
        updated = (
            None if changed.everything else rows.update(new, paths, findings, keys, None, alone)
        )
        if updated is None or not rows.in_order(keys, by):
            rows = vm.sort_rows(vm.service_rows(new, None, paths), by)
        # A changed service's row is made again from the new analysis, not kept as built.
        assert not any(r is built.get(r.key) for r in rows if r.key in keys)
        assert list(rows) == list(fresh)


def test_a_regrouped_rows_finding_is_the_one_of_its_new_groups() -> None:
    """web (Local policy) has its only pod on n1: n2 drops its traffic (KP101, an error).
    n2 goes: web's groups alone move, and its row's FINDING is gone with the error."""
    from tests import builders as b

    raw = RawCluster(origin="test")
    for kind in b.SLICE_KINDS:
        raw.saw(kind)
    for obj in (
        b.node("n1"),
        b.node("n2"),
        b.pod("web-1", "n1", "10.1.0.1"),
        b.service("web", "NodePort", etp="Local"),
        b.endpointslice("web", [b.endpoint("10.1.0.1", "n1", "web-1")]),
    ):
        raw.add(obj["kind"], obj)
    live = LiveAnalysis(raw, build)
    analysis = steady(live.analysis)
    rows = vm.service_rows(analysis)
    assert [r.worst for r in rows] == [Severity.ERROR]
    changed = live.apply([Change("Node", "DELETED", b.node("n2"))])
    assert changed.regrouped == changed.services == {ObjectKey("shop", "web")}
    new = steady(live.analysis)
    paths, findings = vm.group_paths(analysis), vm.group_findings(new.findings)
    assert rows.update(new, paths, findings, changed.services, None, changed.regrouped) is False
    assert [r.worst for r in rows] == [None] == [r.worst for r in vm.service_rows(new)]


def test_list_line_keeps_words_without_colour() -> None:
    web = next(r for r in ROWS if r.key == ObjectKey("shop", "web"))
    plain = row_text(web, 100, ProbeState.UNPROBED, False).plain
    assert "✗ drop" in plain and "! warning" in plain and "○ unprobed" in plain
    assert len(plain) == sum(w + 1 for _, w in layout(100))
    narrow = [c.title for c, _ in layout(60)]
    assert "SERVICE" in narrow and "PATH" in narrow and "PROBE" not in narrow


def test_boxes_fit_their_width() -> None:
    console = Console(width=80)
    lines = box([Text("a" * 50)], 20, "green", console)
    assert {line.cell_len for line in lines} == {20}
    # 50 cells with no separator: one line that keeps both ends, never folded mid-word.
    assert len(lines) == 2 + 1 and "…" in lines[1].plain
    parts = box([Text("ingress-nginx-controller-7d9f 10.0.0.1:8443")], 20, "green", console)
    assert [line.plain.strip("│ ") for line in parts[1:-1]] == [
        "ingress-nginx-",
        "controller-7d9f",
        "10.0.0.1:8443",
    ]  # broken at separators
    stacked = hstack([lines, [Text("x")]], [20, 5])
    assert len(stacked) == len(lines) and {s.cell_len for s in stacked} == {25}
    assert sum(column_widths(80)) == 80 and sum(column_widths(160)) == 160


def test_carry_probes_moves_results_of_unchanged_services_only() -> None:
    a, b, c = ObjectKey("ns", "a"), ObjectKey("ns", "b"), ObjectKey("ns", "c")
    before = {a: [0, 1], b: [2], c: [3]}
    after = {c: [0], a: [1, 2], b: [3, 4]}  # a new service sorted first; b gained a path
    pod = HopRef(1, HopKind.POD, 0, "10.0.0.1:80")
    probes = {
        HopRef(0, HopKind.ENTRY): "a0",
        pod: "a1",
        HopRef(2, HopKind.ENTRY): "b",
        HopRef(3, HopKind.NODE, 0): "c",
    }
    moved = vm.carry_probes(before, after, probes, changed={c})
    assert moved == {HopRef(1, HopKind.ENTRY): "a0", pod._replace(path=2): "a1"}
    assert vm.carry_probes({}, after, probes, changed=set()) == {}


def test_a_reload_marks_the_changed_services_results_stale() -> None:
    old, new = data.shop(), data.shop(web_on_b=True)  # only web's paths change
    changed = moved(old, new)
    web = ObjectKey("shop", "web")
    assert changed == {web}
    mark = vm.ProbeMark(ProbeState.CONFIRMED, "predicted an answer: saw an answer")
    marks = {HopRef(i, HopKind.ENTRY): mark for i in range(len(old.paths))}
    carried = vm.carry_marks(old, new, marks, changed)
    for ref, m in carried.items():
        # Unchanged services keep theirs as they were; web's stay on its ways in, stale.
        assert m == mark._replace(stale=new.paths[ref.path].service == web)
        assert ref.hop == HopKind.ENTRY
    webs = [i for i, p in enumerate(new.paths) if p.service == web]
    assert webs and all(carried[HopRef(i, HopKind.ENTRY)].stale for i in webs)
    assert len(carried) == len(new.paths)


def test_the_list_mark_ranks_verdicts_as_a_hop_merges_its_targets() -> None:
    from kpath.probe.evidence import Proof
    from kpath.probe.hops import WORST_FIRST
    from kpath.tui.styles import PROBE_RANK

    ranked = sorted(
        (ProbeState(p.value) for p in WORST_FIRST), key=PROBE_RANK.__getitem__, reverse=True
    )
    assert [s.value for s in ranked] == [p.value for p in WORST_FIRST]
    assert Proof.CONTRADICTED in WORST_FIRST


def test_the_filter_in_the_core_matches_the_list_rows_words() -> None:
    """`e` exports with the view scope's filter: it must hold exactly the rows the list
    shows for the same words (type, policy and ways in included)."""
    from kpath.routing.scope import ViewScope, search_text

    analysis = data.shop()
    rows = vm.service_rows(analysis)
    for row in rows:
        assert search_text(analysis, row.key) == row.search
    for words in ("local", "lb", "ing shop", "np cluster", "nothing-matches"):
        shown = {rows[i].key for i in vm.visible(rows, text=words, internal=True)}
        scope = ViewScope(internal=True, text=words)
        assert {k for k in analysis.snapshot.services if scope.service(analysis, k)} == shown


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=" ab-./:@?,=→✗", max_size=60), st.integers(1, 20))
def test_ascii_breaks_are_the_general_ones(plain: str, width: int) -> None:
    """The string-search breaks for one-cell text agree with the per-character scan on
    every decision `wrap` makes with them (the last space, the last separator, the first
    character that does not fit)."""
    from kpath.tui.boxes import _breaks, _breaks_narrow

    for start in range(len(plain)):
        if plain[start] == " " or len(plain) - start <= width:
            continue  # wrap skips spaces first, and takes a fitting rest whole
        space, sep, over = _breaks(plain, start, width)
        a_space, a_sep, a_over = _breaks_narrow(plain, start, width)
        assert (a_space, a_over) == (space, over)
        # A separator followed by a space may be reported where the scan sees the space:
        # wrap then prefers the space, as with the scan's own answer.
        cut = space or sep
        assert (space or a_sep) == cut
        if space is not None and sep is not None:
            assert (a_sep > space) == (sep > space)


def test_the_words_of_every_service_at_once_are_each_service_s() -> None:
    from kpath.routing.scope import search_text, search_texts

    analysis = data.shop()
    assert search_texts(analysis) == {
        k: search_text(analysis, k) for k in analysis.snapshot.services
    }


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([*"abcehilnopst -/", "⌫"]), max_size=30),
    st.booleans(),
    st.sampled_from([None, "shop", "backend"]),
)
def test_remembered_filters_show_what_a_fresh_scan_shows(
    keys_typed: list[str], internal: bool, namespace: str | None
) -> None:
    """Typing and erasing through `FilterMemo` (results reused, narrower texts scanning a
    remembered result) shows at every step exactly what scanning every row shows."""
    memo = vm.FilterMemo(ROWS, namespace, internal)
    text = ""
    for key in keys_typed:
        text = text[:-1] if key == "⌫" else text + key
        fresh = vm.visible(ROWS, text=text, namespace=namespace, internal=internal)
        assert memo.shown(text) == fresh


def test_filtering_and_sorting_by_name_or_type_build_no_row() -> None:
    rows = vm.service_rows(data.shop())
    assert vm.visible(rows, text="shop np", internal=True) and rows.built == 0
    by_type = vm.sort_rows(rows, "type")
    assert [r.type for r in by_type] == sorted(r.type for r in rows)
    assert vm.visible(vm.service_rows(data.shop()), text="lb") == [
        i for i, r in enumerate(rows) if "lb" in r.search and r.external
    ]
    worst = vm.sort_rows(vm.service_rows(data.shop()), "worst")  # needs every row's states
    assert worst.built == len(worst)


def test_followed_changes_remake_only_their_rows_in_the_lazy_rows() -> None:
    from kpath.cluster.events import Change, apply_events
    from tests.tui.following import API, WEB, build, raw_cluster, unready

    rows = vm.service_rows(build(raw_cluster()))
    before = {r.key: r for r in rows}  # every row built
    raw = raw_cluster()
    apply_events(raw, unready("web", 0))
    after = build(raw)
    paths, findings = vm.group_paths(after), vm.group_findings(after.findings)
    assert rows.update(after, paths, findings, {WEB}) is False  # the same words: no refilter
    assert rows.built == len(rows) - 1  # web's row alone is made again, when next read
    assert list(rows) == list(vm.service_rows(after))
    assert rows[rows.index_of(API) or 0] is before[API]  # the others as they were built
    assert rows.in_order({WEB}, "name") and rows.in_order({WEB}, "type")
    web = next(o for o in raw.objects["Service"] if o["metadata"]["name"] == "web")
    apply_events(raw, [Change("Service", "DELETED", web)])
    gone = build(raw)
    assert rows.update(gone, vm.group_paths(gone), {}, {WEB, API}) is None  # rows go: remake
    assert list(rows) == list(vm.service_rows(after))  # and nothing was changed in place
