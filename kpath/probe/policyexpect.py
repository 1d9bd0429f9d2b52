"""What NetworkPolicy changes in a probe's prediction. Pure.

A network plugin drops what a policy denies: the SYN goes unanswered and the client times
out. So a hop whose every endpoint is denied from its source predicts silence (an answer
contradicts it), a hop denied only at some endpoints or nodes may show either, and an
allowed hop keeps kube-proxy's prediction (a timeout there contradicts it, as before).

Where the probe's source differs from the path's: a pod hop is probed straight at the pod
IP from this machine, so it is judged from the outside client (`--client`; set it to this
machine's address for the prediction to hold: probes through the API server's proxy come
from the API server instead). Entry hops behind a proxy (an Ingress controller, a Gateway)
may also see the proxy's own error for a backend it cannot reach.
"""

from __future__ import annotations

from collections.abc import Iterable

from kpath.cluster.snapshot import Snapshot
from kpath.probe.expect import Expect
from kpath.routing.kubeproxy import Target
from kpath.routing.paths import Path
from kpath.routing.policy.onpaths import HopPolicy, denying
from kpath.routing.policy.verdict import Source

_ANSWERS = frozenset({Expect.ANSWER, Expect.CLOSED})


def hop_expect(expect: frozenset[Expect], hp: HopPolicy | None) -> tuple[frozenset[Expect], str]:
    """A node (or direct) hop's prediction under its policy verdict, and why in words."""
    if hp is None or hp.allowed or Expect.UNKNOWN in expect or not hp.targets:
        return expect, ""
    if hp.all_blocked:
        return frozenset({Expect.SILENT}), hp.summary()
    return expect | {Expect.SILENT}, hp.summary()


def entry_expect(
    expect: frozenset[Expect], path: Path, proxied: bool
) -> tuple[frozenset[Expect], str]:
    """The entry address: silence when every hop behind it is blocked, either when some are.
    ``proxied``: a proxy (Ingress controller, Gateway) sits in front and may answer an
    HTTP error itself for a backend it cannot reach."""
    pp = path.netpol
    if pp is None or Expect.UNKNOWN in expect or not _answers(expect):
        return expect, ""
    hops = [h for h in pp.hops() if h.targets]
    blocked = [h for h in hops if not h.allowed]
    if not blocked:
        return expect, ""
    extra = {Expect.SILENT} | ({Expect.BACKEND_ERROR} if proxied else set())
    note = blocked[0].summary()
    if all(h.all_blocked for h in hops):
        return frozenset(extra), note
    return expect | extra, note


def _answers(expect: Iterable[Expect]) -> bool:
    return any(e in _ANSWERS for e in expect)


def pod_expect(snapshot: Snapshot, path: Path, t: Target) -> tuple[frozenset[Expect], str]:
    """A pod hop probed from this machine: judged from the outside client."""
    answer = frozenset({Expect.ANSWER})
    pp = path.netpol
    if pp is None or t.pod is None or t.port is None:
        return answer, ""
    pod = snapshot.pod(t.pod)
    if pod is None:
        return answer, ""
    from kpath.routing.policy.evaluate import reach

    protocol = path.port.protocol if path.port else "TCP"
    try:
        r = reach(snapshot, Source("ip", pp.client.address), pod, t.port, protocol)
    except ValueError:
        return answer, ""
    if r.allowed:
        return answer, ""
    names = ", ".join(str(k) for k in denying(r))
    return (
        frozenset({Expect.SILENT}),
        f"blocked by policy {names} from the client {pp.client.address}",
    )
