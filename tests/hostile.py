"""The one table of hostile strings, and a small cluster built around each of them.

Every string is something a person who may create objects (or who wrote the dump) can put in
a name: terminal sequences, line breaks, bidi and zero-width characters, markup, XML and DOT
syntax, and things that are merely unusual (very long, emoji, combining marks) and must stay
as they are. tests/test_hostile_outputs.py runs every output kpath writes over each one.
"""

from __future__ import annotations

from typing import Any

from tests import builders as b

#: (id, text). Hostile parts come first, so a cut-off cell still shows them.
HOSTILE: tuple[tuple[str, str], ...] = (
    ("osc52-clipboard", "\x1b]52;c;aGVsbG8=\x07"),
    ("osc52-st", "\x1b]52;c;aGk=\x1b\\"),
    ("csi-colour", "\x1b[31mred\x1b[0m"),
    ("csi-clear-screen", "\x1b[2J\x1b[Hclear"),
    ("bare-esc", "\x1besc"),
    ("bel", "\x07bell"),
    ("cr", "\rFAKE-over"),
    ("lf-fake-error", "x\nkpath: error: fake"),
    ("tab", "\ttab"),
    ("nul", "\x00nul"),
    ("del", "\x7fdel"),
    ("c1-csi", "\x9b31mc1"),
    ("c1-osc", "\x9d0;title\x9c"),
    ("bidi-override", "svc\u202egnp.exe\u202c"),
    ("bidi-embedding", "\u202aa\u202bb\u202c"),
    ("bidi-isolates", "\u2066iso\u2069\u2067r\u2069\u2068f\u2069"),
    ("bidi-marks", "\u200el\u200fr\u061ca"),
    ("zero-width-space", "zero\u200bwidth\u200c"),
    ("zero-width-joiner", "a\u200db"),
    ("word-joiner", "w\u2060j"),
    ("bom", "\ufeffbom"),
    ("line-separators", "line\u2028para\u2029"),
    ("tag-characters", "tag\U000e0041\U000e007f"),
    ("soft-hyphen", "soft\u00adhyphen"),
    ("hangul-filler", "a\u3164b"),
    ("lone-surrogate", "sur\ud800"),
    ("noncharacter", "non\uffff"),
    ("rich-markup", "[bold red]x[/]"),
    ("rich-link", "[link=https://evil.example]click[/link]"),
    ("xml-specials", "x<>&\"'y"),
    ("dot-specials", 'q"uo\\te{}[];->'),
    ("escape-lookalike", "a\\x1b"),
    ("backslash-plain", "C:\\dir\\d+"),
    ("very-long", "l" * 300),
    ("emoji-non-bmp", "\U0001f40dsnake\U0001f680"),
    ("combining-marks", "e\u0301\u0301zalgo\u0336"),
    ("rtl-letters", "\u05e9\u05dc\u05d5\u05dd-svc"),
)

NAMESPACE = "evil"
NODE_IP = "127.0.0.1"  # loopback only: the probe text test sends its probes here
NODE_PORT = 30999


def node_name(text: str) -> str:
    return f"node-{text}"


def pod_name(text: str) -> str:
    return f"pod-{text}"


def cluster(text: str, index: int = 0) -> list[dict[str, Any]]:
    """One node, pod, NodePort service, EndpointSlice and Ingress, all named after ``text``.

    The Ingress names a missing IngressClass (also ``text``), so a finding quotes it too.
    ``index`` keeps the Ingress's own name apart when several clusters share one dump.
    """
    node, pod = node_name(text), pod_name(text)
    return [
        b.node(node, zone=text, ip=NODE_IP),
        b.pod(pod, node, NODE_IP, {"app": "web"}, ns=NAMESPACE),
        b.service(
            text,
            "NodePort",
            ns=NAMESPACE,
            selector={"app": "web"},
            ports=[
                {
                    "name": "http",
                    "port": 80,
                    "targetPort": 9,
                    "protocol": "TCP",
                    "nodePort": NODE_PORT,
                }
            ],
            clusterIP=NODE_IP,
        ),
        b.endpointslice(
            text,
            [b.endpoint(NODE_IP, node, pod, ns=NAMESPACE, zone=text)],
            ns=NAMESPACE,
            port=9,
            port_name="http",
        ),
        b.ingress(
            f"ing-{index}",
            [b.rule(f"{text}.example", (f"/{text}", "Prefix", b.backend(text, 80)))],
            ns=NAMESPACE,
            class_name=text,
        ),
    ]


def dump_document(*texts: str) -> dict[str, Any]:
    """The clusters of ``texts`` together, as `kubectl get -o json` prints a List."""
    items = []
    for obj in (o for i, text in enumerate(texts) for o in cluster(text, i)):
        api = {"EndpointSlice": "discovery.k8s.io/v1", "Ingress": "networking.k8s.io/v1"}.get(
            obj["kind"], "v1"
        )
        items.append({"apiVersion": api, **obj})
    return {"apiVersion": "v1", "kind": "List", "items": items}
