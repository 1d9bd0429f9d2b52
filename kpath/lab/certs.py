"""Certificates the lab makes with the `openssl` command (no Python crypto package needed).

- `openssl_run`: run one openssl step in a folder, `SourceError` with openssl's last line;
- `fake_certificate`: the self-signed certificate a lab's HTTPS pods present, made once per
  lab, named as ingress-nginx names its default ("Kubernetes Ingress Controller Fake
  Certificate"): a client that verifies sees the same certificate problem as on a real
  cluster that has no certificate of its own configured.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import tempfile
from pathlib import Path

from kpath.errors import SourceError

FAKE_CERT_CN = "Kubernetes Ingress Controller Fake Certificate"
#: P-256 keys: generated in milliseconds, so a lab still starts at once.
EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


def openssl_run(folder: Path, *args: str, purpose: str) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise SourceError(f"{purpose} needs the openssl command")
    done = subprocess.run([openssl, *args], cwd=folder, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise SourceError(f"openssl {args[0]} failed for {purpose}: {last}")


def fake_certificate() -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate (SAN ingress.local, as nginx's)."""
    with tempfile.TemporaryDirectory(prefix="kpath-lab-pods-tls-") as tmp:
        d = Path(tmp)
        openssl_run(d, "req", "-x509", *EC_KEY, "-keyout", "pod.key", "-out", "pod.crt",
                    "-days", "2", "-subj", f"/O=Acme Co/CN={FAKE_CERT_CN}",
                    "-addext", "subjectAltName=DNS:ingress.local",
                    purpose="the lab's HTTPS pods")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(d / "pod.crt", d / "pod.key")
        return context
