"""How fast the lab serves a cluster at Kubernetes' limits, against the clients that read it.

    python benchmarks/bench_lab_serve.py [--file FILE] [--full] [--repeat 3] [--no-kubectl]

Without `--file`, a cluster is generated into `benchmarks/out/` on first use (one tenth of
the limits by default, `generate_cluster.py --quick`: 500 nodes, 15,000 pods, 1,000
services; `--full` for 5,000 / 150,000 / 10,000). The lab serves it as a whole process
(`python -m kpath lab --dump FILE`), and each round, in turn, measures:

- `fetch`: every page (limit=500) of nodes, pods, services, endpointslices and ingresses
  with plain httpx, bodies not decoded (the continue token is cut from the page's head):
  the floor any client pays to read the cluster over HTTP;
- `kubectl`: `kubectl get nodes,pods,services,endpointslices,ingresses -A -o json`, a whole
  process (kubectl pages by 500 itself);
- `client`: the official Python client's `list_pod_for_all_namespaces()`, pods only, in a
  whole process (`python -c`), one unpaged request;
- `stream`: a streaming list of each kind (`watch=1&sendInitialEvents=true`, read up to the
  `k8s.io/initial-events-end` bookmark, not decoded), as an informer's first load can be.

Then a few churn ticks through the control endpoint (a rollout, a killed pod, a node flap),
timed as the lab answers them.

Rounds are interleaved so drift on a shared machine spreads over all three; the report
gives medians side by side, the lab's peak RSS (VmHWM) and its RSS once loaded, and the
requests the lab counted per verb. Nothing here is a pass/fail goal: the figures are what
later benchmarks (kpath live, the watch follower) are compared with.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

if __package__ in (None, ""):  # run as a script: make `benchmarks` and `kpath` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._goal import emit, result
from benchmarks._lab import Lab
from benchmarks.generate_cluster import QUICK, Scale, generate

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
#: What `kubectl get nodes,pods,services,endpointslices,ingresses` reads, as API paths.
PATHS = (
    "/api/v1/nodes",
    "/api/v1/pods",
    "/api/v1/services",
    "/apis/discovery.k8s.io/v1/endpointslices",
    "/apis/networking.k8s.io/v1/ingresses",
)
KINDS = "nodes,pods,services,endpointslices,ingresses"
_CONTINUE = re.compile(rb'"continue":"([^"]+)"')
_INITIAL_END = re.compile(rb'"k8s.io/initial-events-end": ?"true"')
CLIENT = (
    "import sys\nfrom kubernetes import client, config\n"
    "config.load_kube_config(sys.argv[1])\n"
    "pods = client.CoreV1Api().list_pod_for_all_namespaces()\n"
    "print(len(pods.items))\n"
)


def dump_file(full: bool) -> Path:
    """The generated cluster the other benchmarks serve too (the same file, made once)."""
    scale = Scale() if full else QUICK
    path = OUT / ("cluster.json" if full else "cluster-quick.json")
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        print(f"generating {path} ...", flush=True)
        print(generate(path, scale).line(), flush=True)
    return path


def fetch(url: str) -> tuple[float, int, int]:
    """Every page of every kind, not decoded: (seconds, bytes, requests)."""
    size = requests = 0
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=120) as http:
        for path in PATHS:
            token = None
            while True:
                params = {"limit": "500", **({"continue": token} if token else {})}
                body = http.get(path, params=params).content
                size += len(body)
                requests += 1
                found = _CONTINUE.search(body, 0, 600)  # metadata comes first
                if found is None:
                    break
                token = found.group(1).decode()
    return time.perf_counter() - started, size, requests


def stream(url: str) -> tuple[float, int]:
    """A streaming list of every kind, up to its initial-events-end bookmark: (s, bytes)."""
    size = 0
    params = {
        "watch": "1",
        "sendInitialEvents": "true",
        "allowWatchBookmarks": "true",
        "resourceVersionMatch": "NotOlderThan",
        "timeoutSeconds": "300",
    }
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=300) as http:
        for path in PATHS:
            with http.stream("GET", path, params=params) as r:
                tail = b""  # the bookmark may straddle two chunks
                for chunk in r.iter_bytes():
                    size += len(chunk)
                    tail = (tail + chunk[-400:])[-400:]
                    if _INITIAL_END.search(tail):  # the last line of the initial events
                        break
    return time.perf_counter() - started, size


def timed(argv: Sequence[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--file", type=Path, help="a dump to serve (default: generated)")
    p.add_argument("--full", action="store_true", help="generate at full scale")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--no-kubectl", action="store_true", help="skip kubectl")
    p.add_argument(
        "--no-client", action="store_true", help="skip the official client (13-25 s a run)"
    )
    p.add_argument("--json", action="store_true", help="end with the results as a JSON line")
    a = p.parse_args(argv)
    dump = a.file or dump_file(a.full)
    kubectl = None if a.no_kubectl else shutil.which("kubectl")
    lab = Lab(dump)
    times: dict[str, list[float]] = {"fetch": [], "kubectl": [], "client": [], "stream": []}
    ticks: list[float] = []
    try:
        fetched = fetch(lab.url)  # warm-up: the first pass pays for page-cache misses
        for _ in range(a.repeat):
            times["fetch"].append(fetch(lab.url)[0])
            if kubectl:
                times["kubectl"].append(
                    timed(
                        [
                            kubectl,
                            "--kubeconfig",
                            str(lab.kubeconfig),
                            "get",
                            KINDS,
                            "-A",
                            "-o",
                            "json",
                        ]
                    )
                )
            if not a.no_client:
                times["client"].append(timed([sys.executable, "-c", CLIENT, str(lab.kubeconfig)]))
            times["stream"].append(stream(lab.url)[0])
        for _ in range(5):
            started = time.perf_counter()
            lab.post("/churn/tick")
            ticks.append(time.perf_counter() - started)
        peak = lab.status("VmHWM")
        counts = lab.requests()
    finally:
        lab.stop()
    size = dump.stat().st_size
    print(
        f"\nlab serving {dump.name} ({size / 1e6:.1f} MB): loaded in {lab.load_seconds:.1f} s "
        f"(process start included); RSS once loaded {lab.loaded_rss / 1e6:.0f} MB, "
        f"peak {peak / 1e6:.0f} MB ({peak / size:.2f}x the file)"
    )
    print(f"every page: {fetched[2]} requests, {fetched[1] / 1e6:.1f} MB\n")
    base = statistics.median(times["fetch"])
    rows = [
        ("fetch every page, httpx, not decoded", "fetch"),
        (f"kubectl get {KINDS} -A -o json", "kubectl"),
        ("python client list_pod_for_all_namespaces()", "client"),
        ("streaming list of every kind, httpx, not decoded", "stream"),
    ]
    print(f"{'what':<62} {'median s':>9} {'x fetch':>8}  runs")
    for label, key in rows:
        runs = times[key]
        if not runs:
            print(f"{label:<62} {'skipped':>9}")
            continue
        med = statistics.median(runs)
        print(f"{label:<62} {med:>9.2f} {med / base:>8.1f}  " + " ".join(f"{t:.2f}" for t in runs))
    print(
        f"\nchurn tick (rollout + killed pod + node flap), as answered: median "
        f"{statistics.median(ticks) * 1000:.0f} ms of {len(ticks)}"
    )
    print(f"requests the lab counted: {json.dumps(counts, sort_keys=True)}")
    if a.json:  # a yardstick for issue 13's live goals, not a goal itself: no limits
        results = [
            result(
                f"lab: every page fetched ({size / 1e6:.0f} MB), not decoded",
                base,
                "s",
                None,
                note=f"{fetched[2]} requests",
            )
        ]
        for label, key in rows[1:]:
            if times[key]:
                results.append(
                    result(
                        label.replace("python client ", "client "),
                        statistics.median(times[key]),
                        "s",
                        None,
                        reference=base,
                        note="reference: the fetch",
                    )
                )
        results.append(
            result("lab peak RSS / the file", peak / size, "x", None, note=f"{peak / 1e6:.0f} MB")
        )
        emit(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
