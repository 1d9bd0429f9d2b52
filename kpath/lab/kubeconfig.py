"""An ordinary kubeconfig for the lab, and (when asked) a throw-away CA and server certificate
(and a client certificate the server then requires, as kubeadm's clusters do).

Certificates come from the `openssl` binary (`kpath.lab.certs`): no Python crypto package.
"""

from __future__ import annotations

import base64
import ssl
import tempfile
from pathlib import Path
from typing import NamedTuple

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
    client: tuple[bytes, bytes] | None = None,
) -> Path:
    cluster: dict[str, object] = {"server": server}
    if ca_pem is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    user: dict[str, object] = {"token": token} if token else {}
    if client is not None:
        user["client-certificate-data"] = base64.b64encode(client[0]).decode()
        user["client-key-data"] = base64.b64encode(client[1]).decode()
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


class LabTls(NamedTuple):
    server: ssl.SSLContext
    ca_pem: bytes
    #: The certificate and key (PEM) the CA signed for a client, when the server requires one.
    client: tuple[bytes, bytes] | None


def make_tls(host: str, *, client_certs: bool = False) -> LabTls:
    """A server context for ``host`` signed by a fresh CA, and the CA's PEM. With
    ``client_certs`` the CA also signs a client certificate, and the server asks for one
    and trusts the CA for it: as an API server, not at the handshake's cost when none
    comes (the request is then unauthenticated). Unlike Go's server, Python's cannot ask
    without verifying: a certificate from another CA fails the handshake."""
    with tempfile.TemporaryDirectory(prefix="kpath-lab-tls-") as tmp:
        d = Path(tmp)
        (d / "ext.cnf").write_text(f"subjectAltName=IP:{host}\nbasicConstraints=CA:FALSE\n")
        (d / "client.cnf").write_text("extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n")

        def run(*args: str) -> None:
            openssl_run(d, *args, purpose="the lab's TLS")

        def sign(name: str, subject: str, ext: str) -> None:
            run("req", *EC_KEY, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject)
            run(
                "x509",
                "-req",
                "-in",
                f"{name}.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                f"{name}.crt",
                "-days",
                "2",
                "-extfile",
                ext,
            )

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
        sign("server", f"/CN={host}", "ext.cnf")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(d / "server.crt", d / "server.key")
        ca_pem = (d / "ca.crt").read_bytes()
        client = None
        if client_certs:
            # As the API server's --client-ca-file: the user and groups are the subject's.
            sign("client", "/O=system:masters/CN=kpath-lab-user", "client.cnf")
            client = ((d / "client.crt").read_bytes(), (d / "client.key").read_bytes())
            context.verify_mode = ssl.CERT_OPTIONAL
            context.load_verify_locations(cadata=ca_pem.decode())
        return LabTls(context, ca_pem, client)
