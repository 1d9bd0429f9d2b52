"""The probe settings the command palette shows and changes. Pure.

Each option steps through a few sensible values (a palette entry is picked, not typed
into); the palette shows the value now and the one choosing the entry sets.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from kpath.probe.run import ProbeSettings


class ProbeOption(NamedTuple):
    field: str  # the `ProbeSettings` field
    title: str
    help: str
    values: tuple[object, ...]  # stepped through in this order


PROBE_OPTIONS: tuple[ProbeOption, ...] = (
    ProbeOption(
        "timeout",
        "Probe timeout",
        "Seconds a probe waits for an answer before it counts as silent (as kpath probe --timeout)",
        (1.0, 2.0, 5.0, 10.0, 30.0),
    ),
    ProbeOption(
        "concurrency",
        "Probe concurrency",
        "Probes in flight at once (as kpath probe --concurrency)",
        (8, 16, 64, 256),
    ),
    ProbeOption(
        "all_nodes",
        "Probe all nodes",
        "Probe every node of each node group, not one sample node (as kpath probe --all-nodes)",
        (False, True),
    ),
    ProbeOption(
        "insecure",
        "Probe TLS insecurely",
        "Probe TLS even when the certificate "
        "does not verify, and report why (as kpath probe --insecure)",
        (False, True),
    ),
)


def shown(option: ProbeOption, value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if option.field == "timeout" and isinstance(value, float):
        return f"{value:g} s"
    return str(value)


def next_value(option: ProbeOption, value: object) -> object:
    """The value after ``value`` (the first one when ``value`` is not among them)."""
    values = option.values
    at = values.index(value) if value in values else -1
    return values[(at + 1) % len(values)]


def entry(option: ProbeOption, settings: ProbeSettings) -> str:
    """A palette line: ``Probe timeout: 2 s (choose: 5 s)``."""
    now = getattr(settings, option.field)
    after = shown(option, next_value(option, now))
    return f"{option.title}: {shown(option, now)} (choose: {after})"


def stepped(option: ProbeOption, settings: ProbeSettings) -> ProbeSettings:
    value = next_value(option, getattr(settings, option.field))
    # The field is named at run time; its value comes from the option's own values.
    changes: dict[str, Any] = {option.field: value}
    return dataclasses.replace(settings, **changes)
