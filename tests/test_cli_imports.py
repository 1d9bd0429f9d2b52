"""What a short command imports: printing to a pipe never loads Rich's console or text
(the table is written plain); a terminal still gets Rich."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "data" / "dumps" / "small.json"


def _loaded(*argv: str) -> tuple[set[str], str]:
    """The modules loaded after kpath ran ``argv`` with stdout a pipe, and its stdout."""
    code = (
        "import sys\n"
        "from kpath.cli import main\n"
        f"code = main({list(argv)!r})\n"
        "sys.stdout.flush()\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(done.stderr.split()), done.stdout


def test_paths_to_a_pipe_prints_its_table_without_rich_s_console() -> None:
    modules, out = _loaded("paths", "--dump", str(SMALL))
    assert "SERVICE" in out and "→ forward" in out  # the table was printed
    assert not {"rich.console", "rich.text", "rich.style"} & modules


def test_route_to_a_pipe_prints_without_rich_s_console() -> None:
    modules, out = _loaded(
        "route",
        "ingress-nginx/ingress-nginx-controller",
        "--node",
        "ip-10-0-0-10.region-1.compute.internal",
        "--port",
        "http",
        "--dump",
        str(SMALL),
    )
    assert out.startswith("Traffic for ingress-nginx/ingress-nginx-controller")
    assert "rich.console" not in modules
