"""Every app-level action once: its key, its words, whether the footer shows it.

One table drives the key bindings, the footer, the help screen and the command palette, so
they cannot drift apart.
"""

from __future__ import annotations

from typing import NamedTuple

from textual.binding import Binding


class Action(NamedTuple):
    key: str
    action: str
    description: str
    help: str
    show: bool = True
    command: str = ""  # its name in the command palette, when not the description

    @property
    def title(self) -> str:
        return self.command or self.description


ACTIONS: tuple[Action, ...] = (
    Action(
        "slash",
        "filter",
        "Filter",
        "Type to filter the services list (Enter keeps it, Escape clears it)",
    ),
    Action("n", "namespace", "Namespace", "Show one namespace, or all of them"),
    Action("c", "context", "Context", "Switch to another kubeconfig context", show=False),
    Action(
        "a",
        "toggle_internal",
        "ClusterIP",
        "Show or hide services with no external way in",
        show=False,
    ),
    Action("o", "sort", "Sort", "Sort the list by name, worst finding, or type", show=False),
    Action(
        "u",
        "request",
        "URL",
        "Ask where a URL goes: the Gateway listener or "
        "Ingress that takes it, the matching route rule, the outcome and the backends",
        command="Request a URL…",
    ),
    Action("p", "probe", "Probe", "Probe the selected service's hops live"),
    Action("P", "probe_all", "Probe all", "Probe every visible service", show=False),
    Action("r", "refresh", "Refresh", "Read the cluster again", show=False),
    Action("s", "save_svg", "Save SVG", "Save the screen as an SVG file"),
    Action("e", "export_json", "Export", "Save the visible paths and findings as JSON", show=False),
    Action(
        "z", "zoom", "Zoom", "Fill the screen with the focused pane; again to restore", show=False
    ),
    Action(
        "d", "show_tab('details')", "Details", "Show the details of the selected hop", show=False
    ),
    Action(
        "f",
        "show_tab('findings')",
        "Findings",
        "Show the findings (service, then cluster)",
        show=False,
    ),
    Action("t", "toggle_theme", "Theme", "Switch between the dark and the light theme", show=False),
    Action("question_mark", "help", "Help", "Show every key"),
    Action("q", "quit", "Quit", "Quit kpath"),
)

#: Keys handled by a widget when it has focus, for the help screen.
WIDGET_KEYS: tuple[tuple[str, str], ...] = (
    ("↑ ↓ j k", "services list: move the cursor"),
    ("PgUp PgDn Home End", "services list: a page up or down, the first or last service"),
    ("Tab / Shift+Tab", "move focus: services list, path view, details/findings"),
    ("↑ ↓ ← → h j k l", "path view: step through the hops of the selected service"),
    ("[ ]", "path view: previous / next path"),
    ("Enter", "findings: jump to the finding's service"),
    ("Ctrl+P", "command palette: every action by name"),
    ("mouse", "off unless started with --mouse, so the terminal selects and copies text"),
)

KEY_NAMES = {"slash": "/", "question_mark": "?"}


def key_label(key: str) -> str:
    return KEY_NAMES.get(key, key)


def bindings() -> list[Binding]:
    return [
        Binding(
            a.key,
            a.action,
            a.description,
            show=a.show,
            tooltip=a.help,
            key_display=KEY_NAMES.get(a.key),
        )
        for a in ACTIONS
    ]
