"""The path graph as GraphML (networkx's writer) and Graphviz DOT (written here: no pydot)."""

from __future__ import annotations

import io
import json

import networkx as nx

_SHAPES = {"client": "oval", "nodegroup": "box3d", "pod": "component"}


def graphml(graph: nx.MultiDiGraph) -> str:
    """GraphML text. Attribute values are kept as str/int/float/bool (GraphML has no null)."""
    buf = io.BytesIO()
    nx.write_graphml(graph, buf, encoding="utf-8")
    return buf.getvalue().decode("utf-8")


def _quote(value: object) -> str:
    # A JSON string is a valid DOT quoted string for everything except a bare backslash
    # sequence DOT reads differently; json escapes quotes, backslashes and control characters.
    return json.dumps(str(value), ensure_ascii=False)


def dot(graph: nx.MultiDiGraph) -> str:
    lines = ["digraph kpath {", "  rankdir=LR;", '  node [fontname="monospace"];']
    for vid, attrs in graph.nodes(data=True):
        shape = _SHAPES.get(attrs.get("kind", ""), "box")
        lines.append(f"  {_quote(vid)} [label={_quote(attrs.get('label', vid))}, shape={shape}];")
    for a, b, attrs in graph.edges(data=True):
        verdict = attrs.get("verdict", "")
        style = ["dashed"] if attrs.get("cross_node") else []
        color = {"drop": "red", "reject": "red"}.get(verdict, "black")
        label = verdict + (" cross-node" if attrs.get("cross_node") else "")
        lines.append(f"  {_quote(a)} -> {_quote(b)} [label={_quote(label)}, color={color}"
                     + (f", style={style[0]}" if style else "") + "];")
    lines.append("}")
    return "\n".join(lines) + "\n"
