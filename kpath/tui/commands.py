"""The command palette (Ctrl+P): every action of the actions table, by name."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from kpath.tui.actions import ACTIONS, key_label


class KpathCommands(Provider):
    """Offers each app action; running one is the same as pressing its key."""

    async def discover(self) -> Hits:
        for a in ACTIONS:
            yield DiscoveryHit(f"{a.description} ({key_label(a.key)})",
                               partial(self.app.run_action, a.action), help=a.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for a in ACTIONS:
            text = f"{a.description} ({key_label(a.key)})"
            score = max(matcher.match(text), matcher.match(a.help) * 0.8)
            if score > 0:
                yield Hit(score, matcher.highlight(text),
                          partial(self.app.run_action, a.action), text=text, help=a.help)
