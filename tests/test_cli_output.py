"""`kpath paths` as a user's shell runs it: a real process, its stdout a pipe or a real
pseudo-terminal of a set size. Pipes get whole lines (for grep), terminals lines cut at
their width; -o name, -o yaml, --no-headers."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
import yaml
from rich.cells import cell_len

from tests import builders as b

ROOT = Path(__file__).resolve().parents[1]
LONG_NS = "payments-processing-production"
LONG_SVC = "card-authorisation-gateway-frontend"
NODES = ("node-a", "node-b", "node-c")
SGR = re.compile(r"\x1b\[[0-9;]*m")


def write_dump(tmp_path: Path) -> Path:
    """Three nodes; a Local LoadBalancer with a long name whose only pod is on node-a (so
    node-b and node-c drop its NodePort), and a ClientIP-affinity Service."""
    objs = [b.node(n, "zone-a" if n != "node-c" else "zone-b") for n in NODES]
    objs += [
        b.pod("card-0", "node-a", "10.1.0.1", ns=LONG_NS),
        b.service(LONG_SVC, "LoadBalancer", ns=LONG_NS, etp="Local", lb_ip="192.0.2.10"),
        b.endpointslice(
            LONG_SVC,
            [b.endpoint("10.1.0.1", "node-a", "card-0", ns=LONG_NS, zone="zone-a")],
            ns=LONG_NS,
        ),
        b.pod("web-0", "node-b", "10.1.0.2", ns="shop"),
        b.pod("web-1", "node-c", "10.1.0.3", ns="shop"),
        b.service("web", "NodePort", ns="shop", sessionAffinity="ClientIP"),
        b.endpointslice(
            "web",
            [b.endpoint("10.1.0.2", "node-b", "web-0"), b.endpoint("10.1.0.3", "node-c", "web-1")],
        ),
    ]
    for o in objs:
        o["apiVersion"] = "discovery.k8s.io/v1" if o["kind"] == "EndpointSlice" else "v1"
    path = tmp_path / "cluster.json"
    path.write_text(json.dumps({"kind": "List", "apiVersion": "v1", "items": objs}))
    return path


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dump(tmp_path_factory.mktemp("cli-output"))


def env(**extra: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "FORCE_COLOR")}
    return {**out, **extra}


def piped(*argv: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kpath", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env(**extra),
        timeout=120,
    )


def in_terminal(cols: int, *argv: str, **extra: str) -> tuple[int, str]:
    """Run kpath with stdout on a pseudo-terminal ``cols`` wide; its exit code and output."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdin, stdout and stderr are the terminal
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "kpath", *argv], env(**extra))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode().replace("\r\n", "\n")


def visible(out: str) -> str:
    """What the terminal draws: SGR sequences (bold, colour) take no cells."""
    return SGR.sub("", out)


def test_a_pipe_gets_whole_lines_each_naming_its_service(dump: Path) -> None:
    done = piped("paths", "--dump", str(dump), "-A", COLUMNS="60")  # COLUMNS: ignored
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("kpath dump: ") and "— all namespaces, 3 nodes" in lines[0]
    assert all(line == line.rstrip() for line in lines)
    assert "…" not in done.stdout and "\x1b" not in done.stdout
    rows = [
        line
        for line in lines
        if "/TCP" in line and not line.startswith(("warning", "info", "error"))
    ]
    # One row per (service, port, entry, node group), each with all three, grep-able.
    assert rows and all(line.startswith((f"{LONG_NS}/{LONG_SVC} ", "shop/web ")) for line in rows)
    drops = [line for line in rows if "✗ drop" in line]
    assert drops and all(
        line.startswith(f"{LONG_NS}/{LONG_SVC}   80/TCP   NodePort:30080") for line in drops
    )
    assert max(len(line) for line in lines) > 100  # a long line runs on, not wrapped
    # Findings: one a line, never wrapped mid-sentence.
    (kp101,) = [line for line in lines if "KP101" in line]
    assert kp101.split()[:2] == ["warning", "KP101"] and "no local endpoint" in kp101
    # Session affinity is said on its path's first row.
    assert any("ClientIP affinity" in line for line in rows if line.startswith("shop/web "))


def test_a_terminal_gets_lines_cut_at_its_width(dump: Path) -> None:
    code, out = in_terminal(80, "paths", "--dump", str(dump), "-A", NO_COLOR="1")
    assert code == 0, out
    lines = visible(out).splitlines()
    assert len(lines) > 5 and all(cell_len(line) <= 80 for line in lines)
    assert "…" in out and all(line == line.rstrip() for line in lines)
    # The verdict survives the cut: SERVICE, PORT and ENTRY gave way first.
    assert any("✗ drop" in line for line in lines)
    wide_code, wide = in_terminal(300, "paths", "--dump", str(dump), "-A", NO_COLOR="1")
    assert wide_code == 0 and "…" not in visible(wide).split("SEVERITY")[0]  # room: nothing cut


def test_colour_only_on_a_terminal_and_never_under_no_color(dump: Path) -> None:
    _, coloured = in_terminal(200, "paths", "--dump", str(dump), "-A")
    assert "\x1b[" in coloured
    _, plain = in_terminal(200, "paths", "--dump", str(dump), "-A", NO_COLOR="1")
    assert "\x1b[3" not in plain and "\x1b[9" not in plain  # no foreground colour
    assert "\x1b" not in piped("paths", "--dump", str(dump), "-A").stdout


def test_a_pipe_stays_whole_and_plain_under_force_color(dump: Path) -> None:
    # CI sets FORCE_COLOR: Rich would take the pipe for an 80-column terminal.
    forced = piped("paths", "--dump", str(dump), "-A", FORCE_COLOR="1", TTY_COMPATIBLE="1")
    plain = piped("paths", "--dump", str(dump), "-A")
    assert forced.stdout == plain.stdout and "…" not in forced.stdout


def test_no_headers_prints_rows_only(dump: Path) -> None:
    done = piped("paths", "--dump", str(dump), "-A", "--no-headers")
    assert done.returncode == 0
    lines = [line for line in done.stdout.splitlines() if line]
    assert not any(line.startswith(("kpath ", "SERVICE", "SEVERITY")) for line in lines)
    assert lines[0].startswith(f"{LONG_NS}/{LONG_SVC} ")
    wide = piped("paths", "--dump", str(dump), "-A", "-o", "wide", "--no-headers")
    assert "PODS" not in wide.stdout and "card-0" in wide.stdout
    refused = piped("paths", "--dump", str(dump), "-o", "json", "--no-headers")
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1


def test_wide_adds_pods_zones_and_policy(dump: Path) -> None:
    done = piped("paths", "--dump", str(dump), "-A", "-o", "wide")
    header = next(line for line in done.stdout.splitlines() if line.startswith("SERVICE"))
    assert header.split() == [
        "SERVICE",
        "PORT",
        "ENTRY",
        "AT",
        "VERDICT",
        "ENDPOINTS",
        "NOTES",
        "PODS",
        "ZONES",
        "POLICY",
        "NETWORKPOLICY",
    ]
    forward = next(
        line
        for line in done.stdout.splitlines()
        if line.startswith(f"{LONG_NS}/{LONG_SVC} ") and "node-a" in line
    )
    assert "card-0" in forward and "zone-a → zone-a" in forward and "   Local   " in forward


def test_name_lists_each_service_in_view(dump: Path) -> None:
    done = piped("paths", "--dump", str(dump), "-A", "-o", "name")
    assert done.stdout == f"service/{LONG_NS}/{LONG_SVC}\nservice/shop/web\n"
    one = piped("paths", "--dump", str(dump), "-n", "shop", "-o", "name", "--no-headers")
    assert one.stdout == "service/shop/web\n"  # --no-headers: accepted, as kubectl does


def test_yaml_is_the_json_document(dump: Path) -> None:
    as_yaml = piped("paths", "--dump", str(dump), "-A", "-o", "yaml")
    as_json = piped("paths", "--dump", str(dump), "-A", "-o", "json")
    assert as_yaml.returncode == as_json.returncode == 0
    assert yaml.safe_load(as_yaml.stdout) == json.loads(as_json.stdout)
    assert "!!python" not in as_yaml.stdout


def test_fail_on_exit_code_is_kept_in_every_output(dump: Path) -> None:
    for output in ("table", "wide", "name", "yaml"):
        done = piped("paths", "--dump", str(dump), "-A", "-o", output, "--fail-on", "warning")
        assert done.returncode == 1, (output, done.stderr)


@pytest.mark.lab
def test_probe_prints_the_same_plain_table(tmp_path: Path) -> None:
    from kpath.lab.runner import LabThread

    with LabThread("shop") as lab:
        kc = str(lab.write_kubeconfig(tmp_path / "kubeconfig"))
        done = piped("probe", "shop/checkout", "--kubeconfig", kc, "--timeout", "0.6")
        rows = piped(
            "probe",
            "shop/checkout",
            "--kubeconfig",
            kc,
            "--timeout",
            "0.6",
            "-o",
            "wide",
            "--no-headers",
        )
        code, shown = in_terminal(
            80, "probe", "shop/checkout", "--kubeconfig", kc, "--timeout", "0.6", NO_COLOR="1"
        )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress bar off a terminal
    out = done.stdout
    assert not any(c in out for c in "┏┃│━") and "…" not in out
    lines = out.splitlines()
    assert all(line == line.rstrip() for line in lines)
    head = next(
        i for i, line in enumerate(lines) if line.split()[:4] == ["SERVICE", "PORT", "ENTRY", "HOP"]
    )
    probed = lines[head + 1 : lines.index("", head)]
    assert probed and all(line.startswith("shop/checkout   http:8443/TCP   ") for line in probed)
    (silent,) = [
        line
        for line in probed
        if "node node-c" in line and "NodePort" not in line and "silent" in line
    ]
    assert "✓ confirmed" in silent
    assert lines[-1].startswith("probes: ")
    assert rows.returncode == 0
    assert not any(
        line.startswith(("kpath ", "SERVICE", "probes:")) for line in rows.stdout.splitlines()
    )
    assert code == 0 and "probing" in shown  # the progress bar, on a terminal
    report = shown.rpartition("\x1b[2K")[2]  # what stays once the bar is erased
    assert "probes: " in report
    assert all(cell_len(line) <= 80 for line in visible(report).splitlines())
