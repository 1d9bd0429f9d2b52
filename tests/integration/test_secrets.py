"""Credentials an API server echoes never reach the user: the lab's API server, asked to
quote the request's Authorization header in every error Status (as a careless proxy in
front of a real one does), and kpath's commands and UI over it.

Every kind of credential kpath sends is tried: a kubeconfig token, basic auth, an exec
plugin's token, an OIDC auth-provider's id-token. The secret must never appear on stdout,
stderr, in JSON or on screen; ``***`` must, where the echo was.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kpath.cli import _cluster_source, _view_scope, main
from kpath.cluster.kubeconfig import resolve_target
from kpath.cluster.live import status_message
from kpath.lab.apiserver import ServerThread, serve_in_thread
from kpath.tui.launch import build_app
from tests.integration.test_live_source import new_store
from tests.tui.helpers import screen_text

pytestmark = pytest.mark.lab

SECRET = "kp-s3cret-Zq81xW7vLr0aTb5"
#: An OIDC id-token: a JWT without an expiry, so the client uses it as it is.
ID_TOKEN = ".".join(
    base64.urlsafe_b64encode(part.encode()).decode().rstrip("=")
    for part in ('{"alg":"none"}', '{"sub":"kp-oidc-user"}', SECRET)
)


def _exec_user(token: str) -> dict[str, Any]:
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "kind": "ExecCredential",
        "status": {"token": token},
    }
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": sys.executable,
            "args": ["-c", f"print({json.dumps(json.dumps(credential))})"],
            "interactiveMode": "Never",
        }
    }


#: kind -> (the lab's token, the kubeconfig user, what must never be shown)
USERS: dict[str, tuple[str | None, dict[str, Any], list[str]]] = {
    "token": (SECRET, {"token": SECRET}, [SECRET]),
    "basic": (
        None,
        {"username": "alice", "password": SECRET},
        [SECRET, base64.b64encode(f"alice:{SECRET}".encode()).decode()],
    ),
    "exec": (SECRET, _exec_user(SECRET), [SECRET]),
    "oidc": (
        ID_TOKEN,
        {
            "auth-provider": {
                "name": "oidc",
                "config": {
                    "id-token": ID_TOKEN,
                    "client-id": "kpath",
                    "idp-issuer-url": "https://127.0.0.1:9",
                },
            }
        },
        [ID_TOKEN, SECRET],
    ),
}


@pytest.fixture(params=sorted(USERS))
def echoing(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[ServerThread, Path, list[str]]]:
    """A lab API server that forbids pods and quotes Authorization in the 403."""
    token, user, secrets = USERS[request.param]
    with serve_in_thread(new_store(), token=token, deny=("pods",), echo_headers=True) as st:
        kc = st.server.write_kubeconfig(tmp_path / "kubeconfig")
        doc = yaml.safe_load(kc.read_text())
        doc["users"][0]["user"] = user
        kc.write_text(yaml.safe_dump(doc))
        yield st, kc, secrets


def assert_clean(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text
    assert SECRET[:12] not in text  # not even a part of it


def test_the_echo_is_real(echoing: tuple[ServerThread, Path, list[str]]) -> None:
    """Without redaction the secret would be shown: the server does send it back."""
    st, kc, secrets = echoing
    import urllib.request

    target = resolve_target(str(kc), None)
    headers = {
        k.title(): str(v)
        for k, v in ((a["key"], a["value"]) for a in target.configuration.auth_settings().values())
        if v
    }
    if target.configuration.username:  # basic auth: the client sends it as a header
        headers["Authorization"] = str(next(iter(target.configuration.api_key.values())))
    req = urllib.request.Request(f"{st.server.url}/api/v1/pods", headers=headers)
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=5)
    body = err.value.read()
    assert err.value.code == 403 and any(s.encode() in body for s in secrets)


def test_paths_json_and_table_show_stars_not_the_secret(
    echoing: tuple[ServerThread, Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, kc, secrets = echoing
    assert main(["paths", "--kubeconfig", str(kc), "-A", "-o", "json"]) == 0
    out, err = capsys.readouterr()
    assert_clean(out + err, secrets)
    reason = json.loads(out)["source"]["notVisible"]["Pod"]
    assert reason.startswith("forbidden: pods is forbidden") and "Authorization: ***" in reason
    assert main(["paths", "--kubeconfig", str(kc), "-A"]) == 0
    out, err = capsys.readouterr()
    assert_clean(out + err, secrets)
    assert "***" in out


@pytest.mark.anyio
async def test_the_ui_shows_stars_not_the_secret(
    echoing: tuple[ServerThread, Path, list[str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, kc, secrets = echoing
    # The client hands an exec plugin kpath's stdin when stdout looks like a terminal, as
    # the headless UI's does; a terminal has a real stdin, pytest's capture has none.
    with (tmp_path / "stdin").open("w+") as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        args = _flags(kubeconfig=str(kc), all_namespaces=True)
        app = build_app(_cluster_source(args), _view_scope(args))
        async with app.run_test(size=(200, 40)) as pilot:
            await app.wait_loaded(pilot.pause)
            reasons = " ".join(app.main.status.not_visible.values())
            assert "Authorization: ***" in reasons
            assert_clean(reasons + screen_text(app), secrets)


def _flags(**kw: object) -> Any:
    import argparse

    base = dict(
        dump=None,
        kubeconfig=None,
        context=None,
        namespace=None,
        all_namespaces=False,
        selector=None,
        internal=False,
    )
    return argparse.Namespace(**{**base, **kw})


def test_a_status_message_is_redacted_before_it_is_cut(tmp_path: Path) -> None:
    """A long error page cut to 200 characters must not leave the start of a token."""
    target_redact = _redactor(tmp_path)
    page = ("x" * 190 + f" Bearer {SECRET} " + "y" * 50).encode()
    shown = status_message(page, target_redact)
    assert SECRET[:4] not in shown.replace("x", "") and "***" in shown
    status = json.dumps({"kind": "Status", "message": f"echo: Bearer {SECRET}"}).encode()
    assert status_message(status, target_redact) == "echo: ***"


def test_a_client_key_is_redacted(tmp_path: Path) -> None:
    """The kubeconfig's client key (client-key-data) is a secret kpath holds, as PEM."""
    import subprocess

    key = tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            str(key),
        ],
        check=True,
        capture_output=True,
    )
    cert = tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-new",
            "-x509",
            "-key",
            str(key),
            "-subj",
            "/CN=kp",
            "-days",
            "1",
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    pem = key.read_text()
    kc = tmp_path / "kc"
    kc.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "c",
                "clusters": [
                    {
                        "name": "c",
                        "cluster": {
                            "server": "https://127.0.0.1:9",
                            "insecure-skip-tls-verify": True,
                        },
                    }
                ],
                "users": [
                    {
                        "name": "u",
                        "user": {
                            "client-certificate-data": base64.b64encode(cert.read_bytes()).decode(),
                            "client-key-data": base64.b64encode(pem.encode()).decode(),
                        },
                    }
                ],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
            }
        )
    )
    target = resolve_target(str(kc), None)
    body = [line for line in pem.splitlines() if not line.startswith("-----")]
    for echoed in (pem, " ".join(body), body[0], base64.b64encode(pem.encode()).decode()):
        out = target.redact(f"echo: {echoed}")
        assert "***" in out and not any(line in out for line in body), echoed


def _redactor(tmp_path: Path) -> Any:
    kc = tmp_path / "kc"
    kc.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "c",
                "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:9"}}],
                "users": [{"name": "u", "user": {"token": SECRET}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
            }
        )
    )
    return resolve_target(str(kc), None).redact


def test_a_password_in_the_server_url_is_a_credential_too(tmp_path: Path) -> None:
    kc = tmp_path / "kc"
    kc.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "c",
                "clusters": [
                    {"name": "c", "cluster": {"server": f"http://bob:{SECRET}@127.0.0.1:9"}}
                ],
                "users": [{"name": "u", "user": {}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
            }
        )
    )
    target = resolve_target(str(kc), None)
    assert SECRET not in target.origin
    assert (
        target.redact(f"GET http://bob:{SECRET}@127.0.0.1:9/api failed")
        == "GET http://bob:***@127.0.0.1:9/api failed"
    )
