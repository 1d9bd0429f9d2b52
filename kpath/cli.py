"""kpath's commands and flags. No logic here: parse, call, print, exit.

Exit codes: 0 ok, 1 findings at or above ``--fail-on`` (or a probe contradicted the
prediction), 2 usage or input error.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path as FsPath
from typing import Any, NoReturn

from kpath import __version__
from kpath.errors import InputError, KpathError
from kpath.export.jsontext import write_json
from kpath.safetext import clean_message

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def _columns() -> int:
    """The terminal's width as `shutil.get_terminal_size` gives it (COLUMNS, else stdout's
    terminal, else 80), without importing shutil (and its bz2, lzma, fnmatch): argparse
    asks for it whenever a parser is built, help or not."""
    import os

    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class _Formatter(argparse.HelpFormatter):
    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        # argparse's own default: the terminal's width less 2.
        width = _columns() - 2 if width is None else width
        super().__init__(prog, indent_increment, max_help_position, width)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kw: Any) -> None:
        kw.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kw)

    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse's default prints usage then exits 2; keep the exit code, one clear line.
        self.exit(
            EXIT_USAGE,
            f"kpath: error: {clean_message(message)} (see kpath {self.prog.split()[-1]} -h)\n",
        )


def _source_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("cluster (as kubectl reads it)")
    g.add_argument(
        "--dump",
        nargs="+",
        metavar="FILE",
        help="read `kubectl get -o json|yaml` "
        "output, support bundles or must-gather trees instead of a live cluster",
    )
    g.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
    g.add_argument("--context", help="kubeconfig context to use")
    g.add_argument(
        "-n",
        "--namespace",
        help="only this namespace; a bare NAME argument is "
        "looked up in it (default: the context's namespace, else default)",
    )
    g.add_argument("-A", "--all-namespaces", action="store_true", help="every namespace")
    g.add_argument(
        "-l",
        "--selector",
        help="only services with these labels, in kubectl's "
        "grammar (a=b, a!=b, 'a in (x,y)', 'a notin (x)', a, '!a'; comma-joined)",
    )


def _no_headers_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-headers",
        action="store_true",
        help="with -o table or wide: the tables' rows only, no header lines",
    )


def _client_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--client",
        metavar="IP",
        help="the outside client's address NetworkPolicy "
        "verdicts are judged from (default: one outside every ipBlock the "
        "policies name; the output says which)",
    )


def _probe_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("live probes")
    g.add_argument(
        "--concurrency", type=int, default=64, metavar="N", help="probes at once (default 64)"
    )
    g.add_argument(
        "--timeout", type=float, default=2.0, metavar="S", help="seconds per probe (default 2)"
    )
    g.add_argument(
        "--slow",
        type=float,
        default=500.0,
        metavar="MS",
        help="flag hops slower than this (default 500 ms)",
    )
    g.add_argument(
        "--all-nodes", action="store_true", help="probe every node of each group, not one sample"
    )
    g.add_argument(
        "--insecure",
        action="store_true",
        help="probe TLS even when the certificate does not verify, and report why",
    )
    g.add_argument("--http", action="store_true", help="treat every TCP port as HTTP")
    g.add_argument(
        "--probe-dump-addresses",
        action="store_true",
        help="with --dump: probe the dump's addresses anyway (only when this "
        "machine is on the network the dump was taken from)",
    )


def _paths_command(p: argparse.ArgumentParser) -> None:
    _source_flags(p)
    _client_flag(p)
    p.add_argument(
        "-o",
        "--output",
        default="table",
        choices=("table", "wide", "json", "yaml", "name", "graphml", "dot"),
        help="table (default); wide: also pods, zones, traffic policy and "
        "NetworkPolicy per row; json or yaml (one document); name: "
        "service/NAMESPACE/NAME per service in view; graphml, dot",
    )
    _no_headers_flag(p)
    p.add_argument(
        "--all",
        action="store_true",
        dest="internal",
        help="include internal paths (ClusterIP, headless, ExternalName)",
    )
    p.add_argument(
        "--fail-on",
        choices=("info", "warning", "error"),
        help="exit 1 when a finding at or above this severity exists",
    )
    p.add_argument(
        "--probe",
        action="store_true",
        help="probe every hop live and set what it saw beside the prediction "
        "(exit 1 when a probe contradicts it)",
    )
    _probe_flags(p)


def _probe_command(p: argparse.ArgumentParser) -> None:
    p.add_argument("service", metavar="NAME", help="NAME (with -n) or NAMESPACE/NAME")
    p.add_argument(
        "-o",
        "--output",
        choices=("table", "wide", "json"),
        default="table",
        help="table (default); wide: also each hop's full place, the pods "
        "that answered and the slowest answer; json",
    )
    _no_headers_flag(p)
    p.add_argument(
        "--fail-on",
        choices=("info", "warning", "error"),
        help="exit 1 when a finding at or above this severity exists (a "
        "contradicted prediction always exits 1)",
    )
    _probe_flags(p)
    _source_flags(p)
    _client_flag(p)


def _route_command(p: argparse.ArgumentParser) -> None:
    p.add_argument("service", metavar="NAME", help="NAME (with -n) or NAMESPACE/NAME")
    p.add_argument("--node", required=True, help="the node where traffic enters")
    p.add_argument("--port", help="service port: number, name or number/PROTOCOL")
    p.add_argument("-o", "--output", choices=("text", "json"), default="text")
    _source_flags(p)


def _request_command(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "url",
        metavar="URL",
        help="http://HOST[:PORT]/PATH[?QUERY], https://…, "
        "grpc://HOST[:PORT]/pkg.Service/Method or tls://HOST:PORT",
    )
    p.add_argument("-X", "--method", metavar="METHOD", help="HTTP method (default GET)")
    p.add_argument(
        "-H",
        "--header",
        dest="headers",
        action="append",
        default=[],
        metavar="'Name: value'",
        help="a request header (repeatable)",
    )
    p.add_argument(
        "--via",
        metavar="NAME",
        help="only this Gateway, or the Ingress "
        "controller behind this Service: NAME (with -n) or NAMESPACE/NAME",
    )
    p.add_argument("-o", "--output", choices=("text", "json"), default="text")
    _source_flags(p)


def _reach_command(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "source",
        metavar="SOURCE",
        help="POD (with -n), NAMESPACE/POD, "
        "node/NAME (that node's InternalIP: hostNetwork pods, SNATed traffic) "
        "or an IP address",
    )
    p.add_argument("destination", metavar="DEST", help="POD (with -n) or NAMESPACE/POD")
    p.add_argument(
        "--port", required=True, help="a number, or a named container port of the destination"
    )
    p.add_argument(
        "--protocol",
        type=str.upper,
        choices=("TCP", "UDP", "SCTP"),
        default="TCP",
        help="default TCP",
    )
    p.add_argument("-o", "--output", choices=("text", "json"), default="text")
    _source_flags(p)


def _snapshot_command(p: argparse.ArgumentParser) -> None:
    p.add_argument("--svg", required=True, metavar="FILE")
    p.add_argument("--size", default="120x40", help="terminal size COLSxROWS, 40x10 to 500x200")
    p.add_argument("--demo", action="store_true", help="render the built-in demo lab")
    p.add_argument(
        "--scenario",
        default="shop",
        metavar="NAME",
        help="with --demo: the lab scenario to start (default shop)",
    )
    p.add_argument(
        "--all",
        action="store_true",
        dest="internal",
        help="also list services with no external way in",
    )
    p.add_argument(
        "--service",
        metavar="NAME",
        help="select this service first: NAME (with -n) or NAMESPACE/NAME",
    )
    p.add_argument(
        "--probe",
        action="store_true",
        help="probe before the shot, so results show on the path (live only)",
    )
    p.add_argument(
        "--request",
        metavar="URL",
        help="show the request dialog (u) answering "
        "this URL: its Gateway or Ingress, route rule, outcome and backends",
    )
    p.add_argument(
        "-X",
        "--method",
        default="",
        metavar="METHOD",
        help="with --request: the HTTP method (default GET; POST for grpc://)",
    )
    _probe_flags(p)
    _source_flags(p)
    _client_flag(p)


def _tui_command(p: argparse.ArgumentParser) -> None:
    _source_flags(p)
    _client_flag(p)
    p.add_argument(
        "--all",
        action="store_true",
        dest="internal",
        help="also list services with no external way in (ClusterIP, headless)",
    )
    _mouse_flag(p)


def _lab_command(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scenario", default=None, help="built-in name or a scenario file (default shop)"
    )
    p.add_argument(
        "--dump",
        nargs="+",
        metavar="FILE",
        help="serve the objects of these "
        "dump files over the lab's API (no data plane: any size, 150k pods fit)",
    )
    p.add_argument(
        "--churn",
        nargs="?",
        type=float,
        const=5.0,
        metavar="SECONDS",
        help="with --dump: a rollout, a killed pod and a node flap every SECONDS (default 5)",
    )
    p.add_argument("--kubeconfig-out", metavar="FILE", help="write the lab's kubeconfig here")
    p.add_argument("--tls", action="store_true", help="serve the API over TLS with a token")
    p.add_argument(
        "--rbac",
        metavar="FILE",
        help="enforce the ClusterRole in this file (e.g. deploy/rbac.yaml) on the lab's API server",
    )
    p.add_argument(
        "--rbac-namespace",
        metavar="NS",
        help="with --rbac: enforce the file's Role instead, bound in this namespace",
    )


def _demo_command(p: argparse.ArgumentParser) -> None:
    _mouse_flag(p)


_SUBCOMMANDS: tuple[tuple[str, str, Callable[[argparse.ArgumentParser], None]], ...] = (
    ("paths", "every exposed path with verdicts and findings", _paths_command),
    ("probe", "probe every entry and hop of one service, live", _probe_command),
    ("route", "where traffic for a service goes from one node", _route_command),
    (
        "request",
        "where one request goes through every Gateway and "
        "Ingress controller that takes its host and port",
        _request_command,
    ),
    (
        "reach",
        "whether NetworkPolicies let one connection into a "
        "pod: the source's egress and the destination's ingress",
        _reach_command,
    ),
    ("snapshot", "render kpath's view to an SVG file", _snapshot_command),
    ("tui", "the terminal UI (what `kpath` runs without a command)", _tui_command),
    ("lab", "run kpath's built-in lab cluster on loopback", _lab_command),
    ("demo", "start the lab and show kpath on it", _demo_command),
)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """kpath's parser; with ``command``, only that subcommand's flags are built.

    Building every subcommand's flags is a tenth of a short run's start-up; the others
    keep their names and help, so `kpath --help` and a mistyped command read the same.
    """
    parser = _Parser(
        prog="kpath",
        description="Every way into your Kubernetes Services, predicted as kube-proxy routes it.",
    )
    parser.add_argument("--version", action="version", version=f"kpath {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    for name, text, flags in _SUBCOMMANDS:
        p = sub.add_parser(name, help=text)
        if command is None or command == name:
            flags(p)
    return parser


def _mouse_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--mouse",
        action="store_true",
        help="let the UI take the mouse (click, "
        "scroll); off by default, so the terminal selects and copies text as usual",
    )


def _load(args: argparse.Namespace, probing: bool = False) -> Any:
    """Read the cluster (dump or live) and analyse it. ``probing``: NetworkPolicy verdicts
    are judged from this machine's address (the probes' source) unless ``--client`` says."""
    import gc

    from kpath.gcpause import paused_gc
    from kpath.quickexit import keep
    from kpath.routing.analysis import analyse

    client: Any = getattr(args, "client", None)
    if client is not None:
        import ipaddress

        try:
            client = str(ipaddress.ip_address(client))
        except ValueError:
            raise InputError(f"--client {client!r}: not an IP address") from None
    # One pause from reading to routing, frozen before the collector is back: each stage's
    # own pause ended in a young-generation pass over all it had made (every record, then
    # every path) that found nothing to free: 8% of a `kpath paths` at 15,000 pods.
    with paused_gc():
        snapshot = _snapshot(args)
        if client is None and probing and snapshot.network_policies:
            from kpath.probe.source import local_source
            from kpath.routing.policy.sources import Client

            here = local_source(snapshot)
            if here is not None:
                client = Client(
                    here,
                    "this machine's address toward the nodes "
                    "(the probes' source; --client to choose)",
                )
        analysis = analyse(snapshot, client)
        # What is loaded lives until the command ends: out of the collector's sight, so that
        # building the output does not walk it again and again (gen-2 passes over every
        # record).
        gc.freeze()
    keep(analysis)  # freed by the process's end, not record by record (`quickexit`)
    return analysis


def _snapshot(
    args: argparse.Namespace, prune: Any = None, kinds: frozenset[str] | None = None
) -> Any:
    """Read the cluster (dump or live) into a snapshot, without routing every path;
    ``prune(raw)`` may drop what the command will not read before the snapshot is built.
    ``kinds``: a dump's only kinds the command reads (the others are not decoded)."""
    from kpath.cluster.namespaces import dump_namespaces, list_namespaces
    from kpath.cluster.snapshot import build_snapshot

    if getattr(args, "selector", None):
        from kpath.routing.select import parse_selector

        parse_selector(args.selector)  # a selector kubectl would refuse: before any request
    named = _named_namespaces(args)
    if args.dump:
        from kpath.cluster.dump import load_dump

        raw = load_dump(args.dump, slim=_worth_typed(args.dump), kinds=kinds)
        _known_namespaces(named, dump_namespaces(raw.held) if named else None)
    else:
        from kpath.cluster.live import load_live, load_live_snapshot

        # One LIST of namespaces before reading: `-n nope` is an error naming those that
        # exist, not an empty table. Refused (403): no check, the load goes on.
        _known_namespaces(named, list_namespaces(_live_options(args)) if named else None)
        if prune is None:  # parsed as it is read: the raw objects are never all held
            return load_live_snapshot(_live_options(args))
        raw = load_live(_live_options(args))
    if prune is not None:
        prune(raw)
    return build_snapshot(raw)


#: Dumps of fewer bytes than this in all are decoded by ``json.loads`` (objects whole, read
#: by the dict parsers: the same snapshot): for them, importing msgspec and building its
#: typed decoders (about 30 ms of CPU, a third of a short `kpath paths`) costs more than
#: typed decoding saves. A 5 MB dump is read in half the instructions typed.
TYPED_BYTES = 512 * 1024


def _worth_typed(paths: Sequence[str]) -> bool:
    """Whether to decode a dump typed (`load_dump`'s ``slim``): unless its files are
    regular files of fewer than `TYPED_BYTES` in all (standard input and directories may
    hold anything: typed)."""
    import os
    import stat

    total = 0
    for path in paths:
        try:
            info = os.stat(path) if path != "-" else None
        except (OSError, ValueError):
            return True  # the reader says what is wrong with it
        if info is None or not stat.S_ISREG(info.st_mode):
            return True
        total += info.st_size
    return total >= TYPED_BYTES


def _live_options(args: argparse.Namespace) -> Any:
    """What a live load reads, from the flags; the UI's watch follows the same scope."""
    from kpath.cluster.live import LiveOptions

    return LiveOptions(
        kubeconfig=args.kubeconfig,
        context=args.context,
        namespace=args.namespace,
        all_namespaces=args.all_namespaces,
        selector=args.selector,
    )


def _namespace(args: argparse.Namespace) -> str | None:
    return None if args.all_namespaces else args.namespace


def _named_namespaces(args: argparse.Namespace) -> list[str]:
    """The namespaces the user named (``-n``, ``NS/NAME`` arguments): each must exist."""
    named = list(getattr(args, "named_namespaces", ()))
    if args.namespace and not args.all_namespaces:
        named.insert(0, args.namespace)
    return list(dict.fromkeys(named))


def _known_namespaces(named: list[str], existing: list[str] | None) -> None:
    from kpath.cluster.namespaces import unknown_namespace

    for ns in named:
        problem = unknown_namespace(ns, existing)
        if problem is not None:
            raise InputError(problem)


def _view_namespaces(args: argparse.Namespace, snapshot: Any) -> frozenset[str] | None:
    """What a view holds: ``-A`` every namespace, ``-n`` that one, else what was read (the
    context's namespace on a live cluster, everything a dump holds), by the rule the UI
    uses (`shown_namespaces`)."""
    from kpath.routing.scope import shown_namespaces

    ns = _namespace(args)
    return shown_namespaces(None if ns is None else frozenset({ns}), snapshot.namespaces_read)


def _context_namespace(args: argparse.Namespace) -> str:
    """Where a bare NAME lives without ``-n``: the context's namespace (kubectl's rule),
    ``default`` when it names none or when reading a dump."""
    if args.dump:
        return "default"
    from kpath.cluster.kubeconfig import resolve_target

    return resolve_target(args.kubeconfig, args.context).namespace


def _qualified(args: argparse.Namespace, ref: str, what: str, strict: bool = True) -> str:
    """``NS/NAME`` for a NAME argument; a namespace given (``-n`` or ``NS/``) must exist.
    ``strict``: ``NS/`` and ``-n`` must agree (``reach`` has two ends, and may not)."""
    from kpath.cluster.namespaces import qualify

    explicit = "/" in ref or bool(args.namespace)
    full = qualify(ref, args.namespace, "" if explicit else _context_namespace(args), what, strict)
    if explicit:
        args.named_namespaces = [*getattr(args, "named_namespaces", ()), full.split("/")[0]]
    return full


def _console(**kw: Any) -> Any:
    from kpath.export.table import plain_console

    # A terminal: lines cut with … at its width. A pipe or a file: plain, every line whole
    # (COLUMNS is a terminal's business; `grep` wants whole rows).
    return plain_console(**kw)


def _show(blocks: list[Any]) -> None:
    """Tables and lines to stdout: on a terminal through Rich (cut at its width, coloured);
    to a pipe or a file as plain lines, the same a Rich console prints there, without
    importing Rich's console (a third of a short run)."""
    from kpath.export.table import isatty, write_plain

    if isatty(sys.stdout):
        from kpath.export.text import group

        _console().print(group(blocks))
    else:
        write_plain(blocks, sys.stdout)


def cmd_paths(args: argparse.Namespace) -> int:
    from kpath.routing.scope import ViewScope

    if args.no_headers and args.output not in ("table", "wide", "name"):  # name has none
        raise InputError("--no-headers works with -o table, -o wide or -o name")
    if args.probe:
        if args.output not in ("table", "wide", "json"):
            raise InputError("--probe works with -o table, -o wide or -o json")
        _consent(args)  # before reading: a refusal costs nothing
    analysis = _load(args, probing=args.probe)
    scope = ViewScope(_view_namespaces(args, analysis.snapshot), args.selector or "", args.internal)
    paths = scope.paths(analysis)
    findings = scope.findings(analysis)
    if args.probe:
        return _probed(args, analysis, paths, findings, scope.namespaces)
    if args.output in ("json", "yaml"):
        from kpath.export.jsonout import paths_json  # the table does not need it
    if args.output == "json":
        write_json(paths_json(analysis, paths, findings, scope.namespaces), sys.stdout)
    elif args.output == "yaml":
        import yaml

        # The same document as -o json. safe_dump: plain YAML, no Python tags; ASCII, as the
        # JSON is: PyYAML would write a bidi override or a zero-width space raw otherwise.
        sys.stdout.write(
            yaml.safe_dump(
                paths_json(analysis, paths, findings, scope.namespaces),
                sort_keys=False,
                allow_unicode=False,
            )
        )
    elif args.output == "name":
        from kpath.safetext import clean

        # As `kubectl get -o name`, with the namespace: one line per service in view.
        sys.stdout.writelines(f"service/{clean(k)}\n" for k in scope.services(analysis))
    elif args.output in ("graphml", "dot"):
        from kpath.export import graphfmt
        from kpath.routing.graph import build_graph

        graph = build_graph(paths)
        sys.stdout.write(
            graphfmt.graphml(graph) if args.output == "graphml" else graphfmt.dot(graph)
        )
    else:
        from dataclasses import replace

        from kpath.export.text import analysis_blocks
        from kpath.gcpause import paused_gc

        # The table's cells are many small acyclic objects: at 10,000 services the collector
        # walked them in five full passes that freed nothing (0.7-1 s of a 6-8 s run).
        with paused_gc():
            _show(
                analysis_blocks(
                    replace(analysis, findings=tuple(findings)),
                    paths,
                    wide=args.output == "wide",
                    headers=not args.no_headers,
                    namespaces=scope.namespaces,
                )
            )
        if not paths:  # as kubectl's "No resources found in default namespace.", on stderr
            from kpath.safetext import clean_message

            # Namespace names and the selector come from the input and the flags: escaped.
            print(
                f"kpath: {clean_message(_nothing_found(args, scope.namespaces))}", file=sys.stderr
            )
    from kpath.quickexit import keep

    keep((analysis, paths, findings))  # as `_load` kept the analysis: the paths too
    return _exit_code(args.fail_on, findings)


def _nothing_found(args: argparse.Namespace, namespaces: frozenset[str] | None) -> str:
    """Why a table is empty, and the flags that would show more."""
    from kpath.routing.scope import namespaces_label

    what = "services" if args.internal else "services with a way in from outside"
    more = [
        hint
        for hint, missing in (
            ("-A for every namespace", namespaces is not None),
            ("--all for ClusterIP-only ones", not args.internal),
        )
        if missing
    ]
    return (
        f"no {what} in {namespaces_label(namespaces)}"
        + (f" (-l {args.selector})" if args.selector else "")
        + (f"; {', '.join(more)}" if more else "")
    )


def _exit_code(fail_on: str | None, findings: list[Any]) -> int:
    """1 when a finding (route or probe) reaches ``--fail-on``, else 0."""
    from kpath.routing.findings import Severity

    if fail_on and any(f.severity.rank >= Severity(fail_on).rank for f in findings):
        return EXIT_FINDINGS
    return EXIT_OK


def _run_options(args: argparse.Namespace) -> Any:
    from kpath.cluster.access import api_access
    from kpath.probe.run import ProbeSettings

    api = None if args.dump else api_access(args.kubeconfig, args.context)
    return ProbeSettings(
        concurrency=args.concurrency,
        timeout=args.timeout,
        slow_ms=args.slow,
        all_nodes=args.all_nodes,
        insecure=args.insecure,
        http=args.http,
        api=api,
    )


def _consent(args: argparse.Namespace) -> None:
    """Refuse to probe a dump's addresses unless opted in; warn when opted in."""
    from kpath.probe.consent import probe_consent

    consent = probe_consent(bool(args.dump), args.probe_dump_addresses)
    if not consent.allowed:
        raise InputError(consent.refusal or "not probing")
    if consent.warning:
        print(f"kpath: warning: {consent.warning}", file=sys.stderr)


def _probed(
    args: argparse.Namespace,
    analysis: Any,
    paths: list[Any],
    findings: list[Any],
    namespaces: frozenset[str] | None,
) -> int:
    from kpath.export.probejson import report_json
    from kpath.export.probetext import ProbeProgress, print_report
    from kpath.probe.run import plan_paths, run_plan

    settings = _run_options(args)
    plan = plan_paths(analysis, paths, settings)
    with ProbeProgress(plan.probe_count) as progress:
        report = run_plan(plan, settings, progress.update)
    if args.output == "json":
        write_json(report_json(analysis, report, findings, namespaces), sys.stdout)
    else:
        print_report(
            _console(),
            analysis,
            report,
            findings,
            wide=args.output == "wide",
            headers=not args.no_headers,
        )
    code = _exit_code(args.fail_on, [*findings, *report.evidence.findings])
    # A contradiction is what probing is for: the cluster does not behave as its objects
    # say. It fails the run whatever --fail-on says.
    return EXIT_FINDINGS if report.contradicted else code


def cmd_probe(args: argparse.Namespace) -> int:
    from kpath.probe.run import service_paths

    if args.no_headers and args.output == "json":
        raise InputError("--no-headers works with -o table or -o wide")
    _consent(args)
    args.service = _qualified(args, args.service, "service")
    # Ingress controllers and Gateways live in other namespaces: read them all, probe one
    # service (the JSON says every namespace was read).
    args.all_namespaces = True
    analysis = _load(args, probing=True)
    paths = service_paths(analysis, args.service)
    findings = [f for f in analysis.findings if str(f.service) == args.service]
    return _probed(args, analysis, paths, findings, None)


def cmd_route(args: argparse.Namespace) -> int:
    from kpath.routing.route import route, route_json

    args.service = _qualified(args, args.service, "service")
    if not args.dump and not args.namespace and not args.all_namespaces:
        args.namespace = args.service.partition("/")[0] or None  # read only what is asked
    analysis = _load(args)
    r = route(analysis.snapshot, args.service, args.node, args.port)
    if args.output == "json":
        write_json(route_json(r), sys.stdout)
    else:
        from kpath.export.text import route_blocks

        _show(route_blocks(r))
    return EXIT_OK


def cmd_request(args: argparse.Namespace) -> int:
    from kpath.gcpause import paused_gc

    # One answer, then the process ends: scripts run this thousands of times, and the cyclic
    # collector would spend a sixth of each run walking the decoded dump for nothing (its
    # trees hold no cycles; reference counting frees what is dropped).
    with paused_gc():
        return _request(args)


def _request(args: argparse.Namespace) -> int:
    from kpath.routing.answers import answers, prune_for_request, request_findings
    from kpath.routing.urls import parse_url

    request = parse_url(args.url, args.method, args.headers)  # before reading: cheap to refuse
    if args.via is not None:
        args.via = _qualified(args, args.via, "--via")
    if not args.dump and (not args.namespace or args.via is not None):
        # Gateways, routes and controllers live in any namespace (with --via, -n names the
        # namespace of the Gateway or Service, not the one to read).
        args.all_namespaces = True
    if args.dump:
        from kpath.cluster.snapcache import cached_snapshot

        # Scripts ask one dump thousands of URLs: the second call on an unchanged dump
        # skips decoding and parsing it.
        snapshot = cached_snapshot(args.dump, "request", lambda: _snapshot(args, prune_for_request))
    else:
        snapshot = _snapshot(args, prune_for_request)
    found = answers(snapshot, request, args.via)
    extra = list(request_findings(snapshot, request, found))
    if args.output == "json":
        from kpath.export.requestjson import request_json

        write_json(request_json(request, found, extra), sys.stdout)
    else:
        from kpath.export.requesttext import request_text

        sys.stdout.write(request_text(request, found, extra))
    return EXIT_OK


def cmd_reach(args: argparse.Namespace) -> int:
    from kpath.gcpause import paused_gc

    # One verdict, then the process ends (as `kpath request`): no cyclic collection.
    with paused_gc():
        return _reach(args)


def _reach(args: argparse.Namespace) -> int:
    from kpath.cluster.reachprune import REACH_KINDS, prune_for_question, prune_for_reach
    from kpath.routing.policy.evaluate import reach
    from kpath.routing.policy.reachinput import notes, question

    if not _is_address(args.source) and not args.source.startswith("node/"):
        args.source = _qualified(args, args.source, "source", strict=False)
    args.destination = _qualified(args, args.destination, "destination", strict=False)
    if not args.dump and not args.all_namespaces:
        # Read only what is asked: one namespace when every pod end is in it.
        ends = (
            (args.destination,)
            if args.source.startswith("node/")
            else (args.source, args.destination)
        )
        spaces = {w.partition("/")[0] for w in ends if "/" in w}
        if len(spaces) == 1 and not args.source.startswith("node/"):
            args.namespace = spaces.pop()
        else:
            args.namespace, args.all_namespaces = None, True
    if args.dump:
        from kpath.cluster.snapcache import cache_dir, cached_snapshot, identity

        if cache_dir() is not None and identity(args.dump) is not None:
            # Scripts ask one dump many questions: later calls skip decoding and parsing it.
            snapshot = cached_snapshot(
                args.dump, "reach", lambda: _snapshot(args, prune_for_reach, REACH_KINDS)
            )
        else:  # nothing kept for later questions: build only what this one reads
            snapshot = _snapshot(
                args,
                lambda raw: prune_for_question(raw, args.source, args.destination),
                REACH_KINDS,
            )
    else:
        snapshot = _snapshot(args, prune_for_reach)
    q = question(snapshot, args.source, args.destination, args.port, args.protocol)
    verdict = reach(snapshot, q.source, q.destination, q.port, q.protocol)
    said = notes(snapshot, q)
    if args.output == "json":
        from kpath.export.reachjson import reach_json

        write_json(reach_json(verdict, said), sys.stdout)
    else:
        from kpath.export.reachtext import reach_text

        sys.stdout.write(reach_text(verdict, said))
    return EXIT_OK


#: `kpath snapshot --size` bounds: the smallest the UI lays out, the largest a terminal gets
#: (a 100000x100000 screen is gigabytes of cells before anything is drawn).
MIN_SIZE, MAX_SIZE = (40, 10), (500, 200)


def _is_address(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _size(text: str) -> tuple[int, int]:
    cols, _, rows = text.lower().partition("x")
    bounds = f"{MIN_SIZE[0]}x{MIN_SIZE[1]} to {MAX_SIZE[0]}x{MAX_SIZE[1]}"
    # isdecimal, not isdigit: "²" is a digit int() refuses; six digits bound int()'s work.
    if not (cols.isdecimal() and rows.isdecimal()) or len(cols) > 6 or len(rows) > 6:
        raise InputError(f"--size {text!r}: give it as COLSxROWS, {bounds}")
    size = int(cols), int(rows)
    if not (MIN_SIZE[0] <= size[0] <= MAX_SIZE[0] and MIN_SIZE[1] <= size[1] <= MAX_SIZE[1]):
        raise InputError(f"--size {text!r}: out of bounds, {bounds}")
    return size


def cmd_snapshot(args: argparse.Namespace) -> int:
    from kpath.tui.probing import tui_prober
    from kpath.tui.snapshot import render_svg

    cols, rows = _size(args.size)
    if args.scenario != "shop" and not args.demo:
        raise InputError("--scenario needs --demo (a dump or a cluster is read as it is)")
    if args.method and not args.request:
        raise InputError("-X/--method needs --request URL")
    if args.probe:
        _consent(args)
    with contextlib.ExitStack() as stack:
        if args.demo:
            import tempfile

            from kpath.lab.runner import start_demo_lab

            lab = stack.enter_context(start_demo_lab(args.scenario))
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="kpath-"))
            args.kubeconfig = str(lab.write_kubeconfig(FsPath(tmp) / "kubeconfig"))
            args.context, args.all_namespaces = None, True
        if args.service is not None:
            args.service = _qualified(args, args.service, "--service")
        # Probed, its NetworkPolicy verdicts are judged from here, as `paths --probe` does.
        analysis = _load(args, probing=args.probe)
        settings = _run_options(args) if args.probe else None
        prober = tui_prober(settings) if settings is not None else None
        svg = render_svg(
            analysis,
            service=args.service,
            namespace=_namespace(args),
            selector=args.selector,
            internal=args.internal,
            size=(cols, rows),
            live=not args.dump,
            prober=prober,
            probe_settings=settings,
            request=args.request,
            method=args.method,
        )
    try:
        FsPath(args.svg).write_text(svg, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--svg {args.svg}: cannot write it: {exc.strerror or exc}") from None
    print(f"wrote {clean_message(args.svg)}")
    return EXIT_OK


def cmd_lab(args: argparse.Namespace) -> int:
    from kpath.lab.runner import run_lab

    out = FsPath(args.kubeconfig_out) if args.kubeconfig_out else None
    rbac = None
    if args.rbac_namespace and not args.rbac:
        raise InputError("--rbac-namespace needs --rbac FILE")
    if args.rbac:
        from kpath.lab.rbac import load_policy

        rbac = (
            load_policy(args.rbac, "Role", namespace=args.rbac_namespace)
            if args.rbac_namespace
            else load_policy(args.rbac)
        )
    if args.dump and args.scenario:
        raise InputError("kpath lab: use --dump or --scenario, not both")
    if args.churn is not None and not args.dump:
        raise InputError("--churn needs --dump FILE")
    if args.churn is not None and args.churn <= 0:
        raise InputError("--churn needs a period above 0 seconds")
    try:
        if args.dump:
            from kpath.lab.dumplab import run_dump_lab

            return run_dump_lab(args.dump, out, tls=args.tls, rbac=rbac, churn=args.churn)
        return run_lab(args.scenario or "shop", out, tls=args.tls, rbac=rbac)
    except OSError as exc:
        if out is None or exc.filename != str(out):
            raise
        raise InputError(f"--kubeconfig-out {out}: cannot write it: {exc.strerror}") from None


def _cluster_source(args: argparse.Namespace, label: str | None = None) -> Any:
    """The UI's `kpath.source.ClusterSource` from the flags: dump files or a kubeconfig
    context (the lab's, for the demo), read as `kpath paths` reads them."""
    from kpath.source import DumpSource, KubeSource, parse_client

    client = parse_client(getattr(args, "client", None))
    if args.dump:
        return DumpSource(tuple(args.dump), client)
    return KubeSource(_live_options(args), client, label)


def _view_scope(args: argparse.Namespace) -> Any:
    from kpath.routing.scope import ViewScope

    return ViewScope.of(_namespace(args), args.selector, getattr(args, "internal", False))


def cmd_tui(args: argparse.Namespace) -> int:
    from kpath.tui.launch import run

    return run(_cluster_source(args), _view_scope(args), mouse=args.mouse)


def cmd_demo(args: argparse.Namespace) -> int:
    import tempfile

    from kpath.lab.runner import start_demo_lab
    from kpath.tui.launch import run

    # The lab lives exactly as long as the UI: quitting the UI leaves the with-block.
    with start_demo_lab() as lab, tempfile.TemporaryDirectory(prefix="kpath-") as tmp:
        kubeconfig = lab.write_kubeconfig(FsPath(tmp) / "kubeconfig")
        lab_args = argparse.Namespace(
            dump=None,
            kubeconfig=str(kubeconfig),
            context=None,
            namespace=None,
            all_namespaces=True,
            selector=None,
            internal=False,
        )
        return run(
            _cluster_source(lab_args, label="kpath demo lab (shop)"),
            _view_scope(lab_args),
            mouse=args.mouse,
        )


COMMANDS = {
    "paths": cmd_paths,
    "route": cmd_route,
    "probe": cmd_probe,
    "request": cmd_request,
    "reach": cmd_reach,
    "snapshot": cmd_snapshot,
    "lab": cmd_lab,
    "demo": cmd_demo,
    "tui": cmd_tui,
}


def run() -> NoReturn:
    """The `kpath` program (console script and `python -m kpath`): `main`, then an exit
    that does not free the command's load object by object (`kpath.quickexit`)."""
    from kpath.quickexit import arm, leave

    arm()
    leave(main())


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if not words or (words[0].startswith("-") and words[0] not in ("-h", "--help", "--version")):
        # No command: the UI in a terminal; the paths table when piped (scripts, CI).
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
        words = ["tui" if interactive else "paths", *words]
    # Only the named command's flags: `--help`, `--version` and a mistyped command need
    # the commands' names and help, never their flags.
    args = build_parser(words[0] if words[0] in COMMANDS else "").parse_args(words)
    try:
        return COMMANDS[args.command](args)
    except KpathError as exc:
        # The last guard: whatever a message carries from the cluster, it stays one line.
        print(f"kpath: error: {clean_message(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("kpath: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `kpath paths | head`: the reader left; nothing more to say.
        sys.stderr.close()
        return EXIT_OK
