"""The path graph as GraphML (networkx's writer) and Graphviz DOT (written here: no pydot).

Vertex ids and every string attribute are cluster text, shown through `kpath.safetext.clean`
before either format sees them: XML 1.0 cannot hold most C0 controls even as character
references, so a visible escape is the only way to keep GraphML well-formed for any input,
and a DOT file printed to a terminal must not carry escapes or bidi controls either.
`clean` never maps two strings to one, so vertex ids stay distinct.
"""

from __future__ import annotations

import io

import networkx as nx

from kpath.safetext import clean

_SHAPES = {
    "client": "oval",
    "nodegroup": "box3d",
    "pod": "component",
    "gateway": "hexagon",
    "route": "note",
}


def _cleaned(graph: nx.MultiDiGraph[str]) -> nx.MultiDiGraph[str]:
    """A copy with every vertex id and string attribute made visible text."""

    def attrs(data: dict[str, object]) -> dict[str, object]:
        return {k: clean(v) if isinstance(v, str) else v for k, v in data.items()}

    out: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    out.graph.update(attrs(graph.graph))
    for vid, data in graph.nodes(data=True):
        out.add_node(clean(vid), **attrs(data))
    for a, b, key, data in graph.edges(keys=True, data=True):
        out.add_edge(clean(a), clean(b), key=key, **attrs(data))
    return out


def graphml(graph: nx.MultiDiGraph[str]) -> str:
    """GraphML text. Attribute values are kept as str/int/float/bool (GraphML has no null)."""
    buf = io.BytesIO()
    nx.write_graphml(_cleaned(graph), buf, encoding="utf-8")
    return buf.getvalue().decode("utf-8")


def _quote(value: object) -> str:
    """A DOT quoted string: only ``\\"`` is special to the parser, and Graphviz reads a
    backslash in a label as the start of an escape (``\\n``, ``\\N``), so each is doubled."""
    text = clean(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def dot(graph: nx.MultiDiGraph[str]) -> str:
    lines = ["digraph kpath {", "  rankdir=LR;", '  node [fontname="monospace"];']
    for vid, attrs in graph.nodes(data=True):
        shape = _SHAPES.get(attrs.get("kind", ""), "box")
        lines.append(f"  {_quote(vid)} [label={_quote(attrs.get('label', vid))}, shape={shape}];")
    for a, b, attrs in graph.edges(data=True):
        verdict = attrs.get("verdict", "")
        style = ["dashed"] if attrs.get("cross_node") else []
        color = {"drop": "red", "reject": "red", "redirect": "blue"}.get(verdict, "black")
        label = verdict + (" cross-node" if attrs.get("cross_node") else "")
        policy = attrs.get("policy", "")
        if policy in ("blocked", "partial"):
            # A NetworkPolicy verdict of its own: the label names the policies.
            label += f" {policy} by policy {attrs.get('policy_by', '')}".rstrip()
            color = "red" if policy == "blocked" else "orange"
            style = style or ["bold"]
        lines.append(
            f"  {_quote(a)} -> {_quote(b)} [label={_quote(label)}, color={color}"
            + (f", style={style[0]}" if style else "")
            + "];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
