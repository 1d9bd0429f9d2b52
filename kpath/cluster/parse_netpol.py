"""NetworkPolicy dicts (networking.k8s.io/v1) → the records of `netpol.py`; and the policy
kinds kpath lists without evaluating them.

The conventions are `parse.py`'s: ``null`` is absence, a value of the wrong type is a
`BadField` naming the field path, fields kpath does not read are not looked at. Defaults
and refusals are the API server's (pkg/apis/networking/v1/defaults.go and
pkg/apis/networking/validation), so a hand-written manifest and a live object read alike:

- a port's ``protocol`` is TCP; ``port`` is a number (1-65535) or a port name; ``endPort``
  needs a numeric ``port`` no larger than itself;
- ``policyTypes``, when unset or empty, is ``[Ingress]``, plus ``Egress`` when the policy
  has egress rules;
- a peer is ``podSelector`` and/or ``namespaceSelector``, or ``ipBlock`` alone;
- an ``ipBlock``'s CIDRs are kept as stored: API servers long accepted host bits
  (``10.1.2.3/8``; only the newer strict IP/CIDR validation refuses them for new objects),
  objects stored then keep them, and network plugins mask them, so they are not refused
  here; a CIDR that is no CIDR at all is.

Not-evaluated kinds (AdminNetworkPolicy, Cilium's, Calico's, …) keep only their kind,
apiVersion, namespace and name. Their RawCluster kinds are `OTHER_POLICY_RAW`'s keys:
Calico's namespaced NetworkPolicy is filed as ``CalicoNetworkPolicy``, so it never meets
networking.k8s.io's NetworkPolicy.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from kpath.cluster.fields import (
    BadField,
    Where,
    _intern,
    _map,
    _maps,
    _meta,
    _selector,
    _str,
    _strs,
    field_path,
)
from kpath.cluster.netpol import (
    IPBlock,
    NetworkPolicy,
    OtherPolicy,
    PolicyPeer,
    PolicyPort,
    PolicyRule,
)
from kpath.cluster.policykinds import OTHER_POLICY_RAW
from kpath.cluster.records import LabelSelector

if TYPE_CHECKING:
    from kpath.cluster.parse import Interner

_EVERYTHING = LabelSelector((), ())


def _bad(where: Where, text: str) -> BadField:
    """A BadField with a message of its own (the value is text, shown quoted)."""
    exc = BadField(where, None, "")
    exc.args = (f"{field_path(where)} {text}",)
    return exc


# ---------------------------------------------------------------- pieces


def _cidr(value: Any, *where: str | int) -> str:
    text = _str(value, *where)
    if not text:
        raise BadField(where, text, "a CIDR")
    if not _is_cidr(text):
        raise _bad(where, f"is {text[:80]!r}, not a CIDR")
    return text


@functools.lru_cache(maxsize=4096)
def _is_cidr(text: str) -> bool:
    """Policies repeat their CIDRs (an office, a load balancer's range): each text is
    parsed once."""
    if "/" not in text:  # Go's ParseCIDR wants the prefix length; ip_network does not
        return False
    try:
        ipaddress.ip_network(text, strict=False)  # host bits kept, as older servers stored
    except ValueError:
        return False
    return True


def _peer(raw: Mapping[str, Any], *where: str | int) -> PolicyPeer:
    pods = _selector(raw.get("podSelector"), *where, "podSelector")
    namespaces = _selector(raw.get("namespaceSelector"), *where, "namespaceSelector")
    block_raw = raw.get("ipBlock")
    block: IPBlock | None = None
    if block_raw is not None:
        if pods is not None or namespaces is not None:
            raise _bad((*where, "ipBlock"), "may not be set with podSelector or namespaceSelector")
        b = _map(block_raw, *where, "ipBlock")
        at = (*where, "ipBlock")
        cidr = _cidr(b.get("cidr"), *at, "cidr")
        excepts = tuple(
            _cidr(x, *at, "except", i) for i, x in enumerate(_strs(b.get("except"), *at, "except"))
        )
        block = IPBlock(cidr, excepts)
    elif pods is None and namespaces is None:
        raise _bad(where, "names no peer (podSelector, namespaceSelector or ipBlock)")
    return PolicyPeer(pods, namespaces, block)


def _policy_port(raw: Mapping[str, Any], *where: str | int) -> PolicyPort:
    protocol = _str(raw.get("protocol"), *where, "protocol") or "TCP"
    value = raw.get("port")
    port: int | str | None
    if value is None:
        port = None
    elif type(value) is int:
        if not 1 <= value <= 65535:
            raise BadField((*where, "port"), value, "a port number (1-65535) or name")
        port = value
    elif type(value) is str and value and not value.isdigit():
        port = _intern(value)  # a named container port, resolved on the destination pod
    else:
        raise BadField((*where, "port"), value, "a port number (1-65535) or name")
    end = raw.get("endPort")
    if end is not None:
        if type(end) is not int or not 1 <= end <= 65535:
            raise BadField((*where, "endPort"), end, "a port number (1-65535)")
        if type(port) is not int:
            raise _bad((*where, "endPort"), "needs a numeric port")
        if end < port:
            raise _bad((*where, "endPort"), f"is {end}, less than port {port}")
    return PolicyPort(_intern(protocol), port, end)


def _rules(spec: Mapping[str, Any], key: str, peers_key: str) -> tuple[PolicyRule, ...]:
    out = []
    for i, rule in enumerate(_maps(spec.get(key), "spec", key)):
        at = ("spec", key, i)
        peers = tuple(
            _peer(p, *at, peers_key, n)
            for n, p in enumerate(_maps(rule.get(peers_key), *at, peers_key))
        )
        ports = tuple(
            _policy_port(p, *at, "ports", n)
            for n, p in enumerate(_maps(rule.get("ports"), *at, "ports"))
        )
        out.append(PolicyRule(peers, ports))
    return tuple(out)


def default_policy_types(types: tuple[str, ...], has_egress: bool) -> tuple[str, ...]:
    """``policyTypes`` after the API server's defaulting."""
    if types:
        return types
    return ("Ingress", "Egress") if has_egress else ("Ingress",)


# ---------------------------------------------------------------- the kinds


def parse_networkpolicy(obj: Mapping[str, Any], intern: Interner) -> NetworkPolicy:
    _, namespace, name = _meta(obj)
    spec = _map(obj.get("spec"), "spec")
    egress = _rules(spec, "egress", "to")
    types = tuple(_intern(t) for t in _strs(spec.get("policyTypes"), "spec", "policyTypes"))
    return NetworkPolicy(
        namespace,
        name,
        _selector(spec.get("podSelector"), "spec", "podSelector") or _EVERYTHING,
        default_policy_types(types, bool(egress)),
        _rules(spec, "ingress", "from"),
        egress,
    )


def _other_parser(raw_kind: str) -> Callable[[Mapping[str, Any], Interner], OtherPolicy]:
    other = OTHER_POLICY_RAW[raw_kind]

    def parse_other(obj: Mapping[str, Any], intern: Interner) -> OtherPolicy:
        _, namespace, name = _meta(obj, namespaced=other.namespaced)
        version = _str(obj.get("apiVersion"), "apiVersion") or other.api_version
        return OtherPolicy(other.kind, version, namespace if other.namespaced else None, name)

    parse_other.__name__ = f"parse_{raw_kind.lower()}"
    return parse_other


NETPOL_PARSERS: dict[str, Callable[[Mapping[str, Any], Interner], Any]] = {
    "NetworkPolicy": parse_networkpolicy,
    **{kind: _other_parser(kind) for kind in OTHER_POLICY_RAW},
}
