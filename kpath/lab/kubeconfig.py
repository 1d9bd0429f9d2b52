"""An ordinary kubeconfig for the lab, and (when asked) a throw-away CA and server certificate.

Certificates come from the `openssl` binary (`kpath.lab.certs`): no Python crypto package.
"""

from __future__ import annotations

import base64
import ssl
import tempfile
from pathlib import Path

import yaml

from kpath.lab.certs import EC_KEY, openssl_run


def write_kubeconfig(
    path: Path,
    server: str,
    *,
    context: str = "kpath-lab",
    namespace: str | None = None,
    token: str | None = None,
    ca_pem: bytes | None = None,
) -> Path:
    cluster: dict[str, object] = {"server": server}
    if ca_pem is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    user: dict[str, object] = {"token": token} if token else {}
    ctx: dict[str, object] = {"cluster": context, "user": context}
    if namespace:
        ctx["namespace"] = namespace
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": context,
        "clusters": [{"name": context, "cluster": cluster}],
        "users": [{"name": context, "user": user}],
        "contexts": [{"name": context, "context": ctx}],
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    path.chmod(0o600)
    return path


def make_tls(host: str) -> tuple[ssl.SSLContext, bytes]:
    """A server context for ``host`` signed by a fresh CA; returns it and the CA's PEM."""
    with tempfile.TemporaryDirectory(prefix="kpath-lab-tls-") as tmp:
        d = Path(tmp)
        (d / "ext.cnf").write_text(f"subjectAltName=IP:{host}\nbasicConstraints=CA:FALSE\n")

        def run(*args: str) -> None:
            openssl_run(d, *args, purpose="the lab's TLS")

        run(
            "req",
            "-x509",
            *EC_KEY,
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=kpath-lab-ca",
        )
        run("req", *EC_KEY, "-keyout", "server.key", "-out", "server.csr", "-subj", f"/CN={host}")
        run(
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(d / "server.crt", d / "server.key")
        return context, (d / "ca.crt").read_bytes()
