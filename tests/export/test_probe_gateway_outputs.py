"""The probe outputs on Gateway ways in: the text table's hop, prediction and observation,
and the JSON's ``observed`` with what was sent and the gateway's own status and Location."""

from __future__ import annotations

from rich.console import Console

from kpath.export.probejson import report_json
from kpath.export.probetext import probe_view
from kpath.probe.evidence import judge
from kpath.probe.plan import HopKind
from kpath.probe.prober import Outcome, ProbeResult
from kpath.probe.run import ProbeReport, ProbeSettings
from kpath.routing.analysis import analyse
from tests.probe.test_gateway_plan import GW, NS, backend_service, planned, snap
from tests.routing.gateway import builders as g

#: Listener hostnames come from the cluster: markup and escapes must show literally.
HOSTILE = "[red]x[/red]\x1b[2J.example"


def _report() -> tuple[ProbeReport, object]:
    route = g.route(
        "shop",
        g.rule(g.backend("cart"), matches=[g.match("/cart")]),
        g.rule(matches=[g.match("/old")], filters=[g.redirect(scheme="https", status=301)]),
        hostnames=["shop.example"],
    )
    s = snap([GW], [route], *backend_service("cart"))
    plan, _ = planned(s)
    results = []
    for i, t in enumerate(plan.targets):
        if t.hop != HopKind.ENTRY:
            results.append(
                ProbeResult(
                    i, 0, Outcome.OK, 200, 2.0, str(t.pod), None, "direct", "HTTP 200", None, True
                )
            )
        elif t.location:  # the redirect: to somewhere else than predicted
            results.append(
                ProbeResult(
                    i,
                    0,
                    Outcome.OK,
                    301,
                    2.0,
                    None,
                    None,
                    "direct",
                    "HTTP 301",
                    None,
                    True,
                    f"https://{HOSTILE}/old",
                )
            )
        elif t.statuses == {404}:
            results.append(
                ProbeResult(
                    i,
                    0,
                    Outcome.HTTP_STATUS,
                    404,
                    2.0,
                    None,
                    None,
                    "direct",
                    "HTTP 404",
                    None,
                    True,
                )
            )
        else:
            for a in range(t.repeat):
                results.append(
                    ProbeResult(
                        i,
                        a,
                        Outcome.OK,
                        200,
                        2.0,
                        f"{NS}/cart-{a % 2}",
                        None,
                        "direct",
                        "HTTP 200",
                        None,
                        True,
                    )
                )
    settings = ProbeSettings()
    report = ProbeReport(plan, tuple(results), judge(plan, results, settings.slow_ms), settings)
    return report, analyse(s)


def test_the_text_table_shows_each_rule_its_prediction_and_what_came() -> None:
    report, _ = _report()
    console = Console(width=500, record=True, color_system=None)
    console.print(probe_view(report))
    text = console.export_text()
    # Each probed hop is one row naming its service, its entry (the route's rule) and hop.
    (row,) = [line for line in text.splitlines() if "/kpath-probe-no-route" in line]
    assert row.startswith("gateway-conformance-infra/cart ")
    assert "HTTPRoute gateway-conformance-infra/shop rule 0   entry   " in row
    assert "http://192.0.2.10:80/cart (Host: shop.example)" in text
    assert "redirect 301 → https://shop.example/old" in text
    assert "not-found 404" in text
    assert "✗ CONTRADICTED" in text  # the redirect went elsewhere
    assert HOSTILE not in text and "[red]x[/red]" in text  # shown literally, no escape
    assert "\x1b" not in text
    assert "1 contradiction" in text


def test_the_json_says_what_was_sent_and_what_the_gateway_answered() -> None:
    report, analysis = _report()
    doc = report_json(analysis, report)
    gateway = [pj for pj in doc["paths"] if pj["entry"]["kind"] == "gateway"]
    by_rule = {pj["entry"]["gateway"]["route"]["rule"]: pj["entry"]["observed"] for pj in gateway}
    forward, redirect = by_rule[0], by_rule[1]
    assert forward["verdict"] == "confirmed"
    sent = [p for p in forward["probes"] if p["url"].endswith("/cart")]
    assert sent and all(
        p["gateway"]["method"] == "GET" and p["gateway"]["predictedStatus"] == [] for p in sent
    )
    assert redirect["verdict"] == "contradicted"
    probe = next(p for p in redirect["probes"] if p["url"].endswith("/old"))
    assert probe["gateway"]["predictedStatus"] == [301]
    assert probe["gateway"]["predictedLocation"] == "https://shop.example/old"
    assert probe["gateway"]["location"] == f"https://{HOSTILE}/old"  # JSON keeps it as sent
    no_route = [
        p
        for pj in gateway
        for p in (pj["entry"]["observed"] or {}).get("probes", [])
        if p["url"].endswith("/kpath-probe-no-route")
    ]
    assert no_route and no_route[0]["gateway"]["predictedStatus"] == [404]
