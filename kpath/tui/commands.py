"""The command palette (Ctrl+P): every action of the actions table by name, and the probe
settings (timeout, concurrency, all nodes, insecure), each shown with its value."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from kpath.tui.actions import ACTIONS, key_label
from kpath.tui.probe_options import PROBE_OPTIONS, ProbeOption, entry


class KpathCommands(Provider):
    """Offers each app action; running one is the same as pressing its key."""

    def _entries(self) -> list[tuple[str, str, Callable[[], object]]]:
        out: list[tuple[str, str, Callable[[], object]]] = [
            (f"{a.title} ({key_label(a.key)})", a.help, partial(self.app.run_action, a.action))
            for a in ACTIONS
        ]
        if getattr(self.app, "can_probe", False):  # only where `p` probes
            settings = self.app.probe_settings  # type: ignore[attr-defined]
            out += [(entry(o, settings), o.help, partial(self._step, o)) for o in PROBE_OPTIONS]
        return out

    def _step(self, option: ProbeOption) -> None:
        self.app.step_probe_option(option)  # type: ignore[attr-defined]

    async def discover(self) -> Hits:
        for text, help_text, run in self._entries():
            yield DiscoveryHit(text, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, run in self._entries():
            score = max(matcher.match(text), matcher.match(help_text) * 0.8)
            if score > 0:
                yield Hit(score, matcher.highlight(text), run, text=text, help=help_text)
