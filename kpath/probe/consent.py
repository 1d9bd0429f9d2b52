"""Whether kpath may probe the addresses a source names. Pure; the CLI and the UI ask here.

A live context (the user's own kubeconfig, or kpath's lab) names addresses of the network
the user reaches it from. A dump names addresses of the network it was *taken* from:
RFC 1918 addresses of someone else's cluster, which from here may be another organisation's
machines. So probing a dump is refused unless the user says they are on that network
(``--probe-dump-addresses``), and even then a warning says what is about to happen.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The flag that lets `kpath paths --probe`, `kpath probe` and `kpath snapshot --probe`
#: send probes to a dump's addresses.
OPT_IN_FLAG = "--probe-dump-addresses"
#: Why, in the words every refusal uses (the command line and the UI's status line).
WHY = "a dump's addresses belong to the network it was taken from"
#: The UI's status line for a dump; `p` there says `probe_consent(..., ui=True).refusal`.
UI_NOTE = "offline dump: no probes, no watch"


@dataclass(frozen=True)
class Consent:
    """The decision: probe or not, and the one line to say about it."""

    allowed: bool
    refusal: str | None = None  # when not allowed: the error line
    warning: str | None = None  # when allowed from a dump: the warning line


def probe_consent(from_dump: bool, opted_in: bool = False, *, ui: bool = False) -> Consent:
    """May kpath probe the addresses of a source? ``from_dump``: the source is dump files;
    ``opted_in``: the user passed ``--probe-dump-addresses``; ``ui``: asked by the UI, which
    has no such flag (the refusal then names the command that has)."""
    if not from_dump:
        return Consent(True)
    if ui:
        return Consent(
            False,
            refusal=f"not probing: {WHY}, not necessarily to yours; "
            f"`kpath probe NS/NAME --dump … {OPT_IN_FLAG}` probes "
            "them if you are on that network",
        )
    if not opted_in:
        return Consent(
            False,
            refusal=f"not probing: {WHY}, not necessarily to yours; "
            f"pass {OPT_IN_FLAG} if you are on that network",
        )
    return Consent(
        True,
        warning=f"probing addresses read from a dump ({OPT_IN_FLAG}): "
        f"{WHY}; every probe goes there from this machine",
    )
