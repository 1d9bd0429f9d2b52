"""The lab gateway controller's listeners: each Gateway's own and its ListenerSets' merged in
precedence order and judged (protocol, route kinds, certificate refs, conflicts on a port),
and the status written for Gateways, their listeners and ListenerSets."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from kpath.lab.gateway.state import (
    GROUP,
    PROTOCOL_KINDS,
    ControllerState,
    Key,
    Listener,
    condition,
    granted,
    key_of,
    namespace_allowed,
    spec_of,
)

ListenerKey = tuple[tuple[str, str, str], str]  # (owner, listener name)

# Listeners on one port must agree on the transport and how they read it: HTTPS and TLS share a
# port (both are told apart by SNI); HTTP, TCP and UDP each own theirs (UDP next to TCP is fine).
_PORT_FAMILY = {"HTTP": "http", "HTTPS": "tls", "TLS": "tls", "TCP": "tcp", "UDP": "udp"}


def listeners_of(
    state: ControllerState,
    gw: Mapping[str, Any],
    listener_sets: Sequence[Mapping[str, Any]],
    ns_labels: Mapping[str, Mapping[str, str]],
    out_status: dict[tuple[tuple[str, str, str], str], dict[str, Any]],
) -> list[Listener]:
    """The Gateway's listeners then its ListenerSets' (oldest first), each judged: protocol,
    route kinds, certificate refs, and conflicts with an earlier listener on the same port."""
    gw_key = key_of(gw)
    sources: list[tuple[tuple[str, str, str], Mapping[str, Any], Mapping[str, Any]]] = [
        (("Gateway", *gw_key), gw, raw) for raw in spec_of(gw).get("listeners") or []
    ]
    for ls in listener_sets:
        if listener_set_allowed(gw, ls, ns_labels):
            sources += [
                (("ListenerSet", *key_of(ls)), ls, raw)
                for raw in spec_of(ls).get("listeners") or []
            ]
    result: list[Listener] = []
    taken: dict[int, str] = {}  # port -> the family of the first listener on it
    seen: set[tuple[int, str, str | None]] = set()
    for owner, obj, raw in sources:
        protocol = str(raw.get("protocol") or "")
        port = int(raw.get("port") or 0)
        hostname = raw.get("hostname") or None
        tls = raw.get("tls") or {}
        mode = str(tls.get("mode") or "Terminate") if protocol in ("HTTPS", "TLS") else None
        conds: list[dict[str, Any]] = []
        supported = PROTOCOL_KINDS.get(protocol)
        accepted = supported is not None
        if protocol == "TLS" and mode == "Passthrough":
            supported = ("TLSRoute",)
        asked = [k for k in (raw.get("allowedRoutes") or {}).get("kinds") or []]
        kinds = tuple(supported or ())
        kinds_ok = True
        if asked:
            wanted = [str(k.get("kind")) for k in asked if (k.get("group") or GROUP) == GROUP]
            kinds_ok = len(wanted) == len(asked) and all(k in kinds for k in wanted)
            kinds = tuple(k for k in kinds if k in wanted)
        certs = certificate_refs(state, obj, tls) if mode == "Terminate" else "ResolvedRefs"
        refs_reason = "InvalidRouteKinds" if not kinds_ok else certs
        family = _PORT_FAMILY.get(protocol, "?")
        conflict = ""
        if accepted:
            if taken.get(port, family) != family:
                conflict = "ProtocolConflict"
            elif (port, protocol, hostname) in seen:
                conflict = "HostnameConflict"
            else:
                taken.setdefault(port, family)
                seen.add((port, protocol, hostname))
        # An unknown kind next to known ones leaves the known ones served (ResolvedRefs says
        # InvalidRouteKinds); a certificate that cannot be used leaves nothing to serve with.
        serving = accepted and not conflict and certs == "ResolvedRefs" and bool(kinds)
        # A conflicted listener is not accepted and says why on all three conditions, as the
        # conformance suite expects (listenerset-protocol-conflict).
        accepted_reason = conflict or ("Accepted" if accepted else "UnsupportedProtocol")
        conds.append(condition(obj, "Accepted", accepted and not conflict, accepted_reason))
        conds.append(condition(obj, "Conflicted", bool(conflict), conflict or "NoConflicts"))
        conds.append(condition(obj, "ResolvedRefs", refs_reason == "ResolvedRefs", refs_reason))
        conds.append(
            condition(
                obj, "Programmed", serving, "Programmed" if serving else conflict or "Invalid"
            )
        )
        name = str(raw.get("name") or "")
        out_status[(owner, name)] = {
            "name": name,
            "supportedKinds": [{"group": GROUP, "kind": k} for k in kinds],
            "conditions": conds,
        }
        result.append(
            Listener(
                gw_key,
                owner,
                name,
                port,
                protocol,
                str(hostname).lower() if hostname else None,
                mode,
                kinds,
                raw.get("allowedRoutes") or {},
                serving,
            )
        )
    return result


def certificate_refs(state: ControllerState, obj: Mapping[str, Any], tls: Mapping[str, Any]) -> str:
    refs = tls.get("certificateRefs") or []
    if not refs:
        return "InvalidCertificateRef"
    own_ns = key_of(obj)[0]
    kind = str(obj.get("kind") or "Gateway")
    for ref in refs:
        if (ref.get("group") or "") != "" or (ref.get("kind") or "Secret") != "Secret":
            return "InvalidCertificateRef"
        ns = str(ref.get("namespace") or own_ns)
        if ns != own_ns and not granted(
            state.grants,
            from_kind=kind,
            from_ns=own_ns,
            to_group="",
            to_kind="Secret",
            to_ns=ns,
            to_name=str(ref.get("name") or ""),
        ):
            return "RefNotPermitted"
    return "ResolvedRefs"


def gateway_status(
    state: ControllerState,
    gw: Mapping[str, Any],
    addrs: Sequence[str],
    listener_status: Mapping[tuple[tuple[str, str, str], str], dict[str, Any]],
    counts: Mapping[tuple[tuple[str, str, str], str], int],
) -> dict[str, Any]:
    gw_owner = ("Gateway", *key_of(gw))
    listeners = [
        dict(s, attachedRoutes=counts.get((owner, name), 0))
        for (owner, name), s in listener_status.items()
        if owner == gw_owner
    ]
    own = [li for li in state.listeners.get(key_of(gw), []) if li.owner == gw_owner]
    # Accepted while any listener is valid; the reason still says when some are not
    # (conformance: gateway-invalid-listeners-unsupported-protocol).
    valid = any(li.serving for li in own) or not own
    all_valid = all(li.serving for li in own)
    conds = [condition(gw, "Accepted", valid, "Accepted" if all_valid else "ListenersNotValid")]
    if not addrs:
        conds.append(condition(gw, "Programmed", False, "AddressNotAssigned"))
    else:
        conds.append(condition(gw, "Programmed", valid, "Programmed" if valid else "Invalid"))
    sets = {
        li.owner
        for li in state.listeners.get(key_of(gw), [])
        if li.owner[0] == "ListenerSet" and li.serving
    }
    return {
        "addresses": [{"type": address_type(a), "value": a} for a in addrs],
        "conditions": conds,
        "listeners": listeners,
        "attachedListenerSets": len(sets),
    }


def address_type(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return "Hostname"
    return "IPAddress"


def listener_set_parent(ls: Mapping[str, Any]) -> Key | None:
    """The Gateway a ListenerSet names as its parent (None: its parentRef is not a Gateway)."""
    parent = spec_of(ls).get("parentRef") or {}
    if (parent.get("kind") or "Gateway") != "Gateway" or (parent.get("group") or GROUP) != GROUP:
        return None
    return str(parent.get("namespace") or key_of(ls)[0]), str(parent.get("name") or "")


def listener_set_status(
    state: ControllerState,
    ls: Mapping[str, Any],
    gateways: Mapping[Key, Mapping[str, Any]],
    ns_labels: Mapping[str, Mapping[str, str]],
    listener_status: Mapping[tuple[tuple[str, str, str], str], dict[str, Any]],
    counts: Mapping[tuple[tuple[str, str, str], str], int],
) -> None:
    """Written for a ListenerSet whose parent is one of this controller's Gateways."""
    ls_ns, ls_name = key_of(ls)
    gw_key = listener_set_parent(ls)
    gw = gateways.get(gw_key) if gw_key else None
    if gw is None:
        return
    owner = ("ListenerSet", ls_ns, ls_name)
    if not listener_set_allowed(gw, ls, ns_labels):
        state.statuses[owner] = {
            "conditions": [
                condition(ls, "Accepted", False, "NotAllowed"),
                condition(ls, "Programmed", False, "NotAllowed"),
            ]
        }
        return
    entries = [
        dict(st, attachedRoutes=counts.get((o, n), 0))
        for (o, n), st in listener_status.items()
        if o == owner
    ]
    valid = any(li.serving for li in state.listeners.get(key_of(gw), []) if li.owner == owner)
    state.statuses[owner] = {
        "conditions": [
            condition(ls, "Accepted", valid, "Accepted" if valid else "ListenersNotValid"),
            condition(ls, "Programmed", valid, "Programmed" if valid else "ListenersNotValid"),
        ],
        "listeners": entries,
    }


def listener_set_allowed(
    gw: Mapping[str, Any], ls: Mapping[str, Any], ns_labels: Mapping[str, Mapping[str, str]]
) -> bool:
    gw_ns = key_of(gw)[0]
    ls_ns = key_of(ls)[0]
    if listener_set_parent(ls) != key_of(gw):
        return False
    allowed = (spec_of(gw).get("allowedListeners") or {}).get("namespaces") or {}
    return namespace_allowed(allowed, gw_ns, ls_ns, ns_labels, default="None")
