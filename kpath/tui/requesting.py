"""The request dialog's question, bound to one analysis: parse the URL, answer it, shape it.

Runs in the dialog's thread worker. The parsing and the routing are `kpath request`'s own
(`kpath.routing.urls`, `kpath.routing.answers`), so the dialog and the command agree.
"""

from __future__ import annotations

from collections.abc import Sequence

from kpath.routing.analysis import Analysis
from kpath.routing.requests import Request
from kpath.tui.request_view import AnswerView, answer_views, ready_pods


def ask(analysis: Analysis, url: str, method: str) -> tuple[Request, Sequence[AnswerView]]:
    """``url`` asked with ``method`` ("" for the scheme's default) through every way in.
    Raises `InputError` for a URL or method kpath cannot read."""
    from kpath.routing.answers import answers  # the orchestrator behind `kpath request`
    from kpath.routing.urls import parse_url

    request = parse_url(url, method or None)
    snapshot = analysis.snapshot
    found = answers(snapshot, request, None)
    pods = ready_pods({b.name: analysis.routes.get(b.name, []) for a in found for b in a.backends})
    return request, answer_views(found, request, snapshot.gateways, snapshot.ingresses, pods)
