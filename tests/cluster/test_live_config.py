"""kubeconfig resolution for the live source, offline: files, merging, contexts, credentials.

No API server here: these tests stop before the first request. Where kubectl is installed,
merging is checked against kubectl itself (``kubectl config`` never contacts a server).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client import Configuration

from kpath.cluster.kubeconfig import (
    configuration_credentials,
    display_url,
    kubeconfig_files,
    list_contexts,
    merge_kubeconfigs,
    read_kubeconfig,
    resolve_target,
)
from kpath.cluster.live import LiveOptions, backend_services, load_live, status_message
from kpath.errors import InputError, SourceError

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


def config(
    contexts: dict[str, dict[str, Any]],
    *,
    current: str | None = None,
    clusters: dict[str, dict[str, Any]] | None = None,
    users: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": c} for n, c in (clusters or {}).items()],
        "contexts": [{"name": n, "context": c} for n, c in contexts.items()],
        "users": [{"name": n, "user": u} for n, u in (users or {}).items()],
    }
    if current is not None:
        doc["current-context"] = current
    return doc


def write(path: Path, doc: dict[str, Any] | str) -> Path:
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc), encoding="utf-8")
    return path


def simple(tmp_path: Path, name: str = "kc", **kw: Any) -> Path:
    return write(
        tmp_path / name,
        config(
            {"lab": {"cluster": "c", "user": "u", **kw}},
            current="lab",
            clusters={"c": {"server": "http://127.0.0.1:6443"}},
            users={"u": {"token": "tok-123"}},
        ),
    )


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment with an empty home, so the user's own ~/.kube/config never leaks in."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {"HOME": str(home), **extra}


# -- which files ---------------------------------------------------------------------------


def test_explicit_kubeconfig_must_exist(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"kubeconfig .*nope does not exist"):
        kubeconfig_files(str(tmp_path / "nope"), env(tmp_path))


def test_kubeconfig_list_skips_empty_and_missing_entries(tmp_path: Path) -> None:
    a, b = simple(tmp_path, "a"), simple(tmp_path, "b")
    listed = os.pathsep.join(["", str(a), str(tmp_path / "missing"), "", str(b)])
    assert kubeconfig_files(None, env(tmp_path, KUBECONFIG=listed)) == [a, b]


def test_explicit_file_wins_over_the_environment(tmp_path: Path) -> None:
    a, b = simple(tmp_path, "a"), simple(tmp_path, "b")
    assert kubeconfig_files(str(b), env(tmp_path, KUBECONFIG=str(a))) == [b]


def test_default_is_home_kube_config_and_absent_means_none(tmp_path: Path) -> None:
    e = env(tmp_path)
    assert kubeconfig_files(None, e) == []
    (tmp_path / "home" / ".kube").mkdir()
    default = simple(tmp_path / "home" / ".kube", "config")
    assert kubeconfig_files(None, e) == [default]
    # An empty KUBECONFIG counts as unset, as in kubectl.
    assert kubeconfig_files(None, {**e, "KUBECONFIG": ""}) == [default]


# -- reading and merging -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("apiVersion: v1\nclusters: [\n", r"is not valid YAML at line \d+"),
        ("- just\n- a list\n", "expected a mapping"),
        ("contexts: {a: b}\n", "'contexts' must be a list"),
        ("contexts:\n- context: {cluster: c}\n", "entry 1 of 'contexts' has no name"),
        ("users:\n- name: u\n  user: [1, 2]\n", "user 'u' has a 'user' that is not a mapping"),
    ],
)
def test_malformed_kubeconfig_is_one_input_error(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path / "kc", text)
    with pytest.raises(InputError, match=expected) as info:
        list_contexts(str(path))
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_binary_kubeconfig_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "kc"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="not UTF-8"):
        read_kubeconfig(path)


def test_a_directory_is_not_a_kubeconfig(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        list_contexts(str(tmp_path))


def test_empty_file_has_no_contexts(tmp_path: Path) -> None:
    assert list_contexts(str(write(tmp_path / "kc", ""))) == ([], None)


def test_first_file_wins_for_names_and_current_context(tmp_path: Path) -> None:
    a = (
        tmp_path / "a",
        config(
            {"one": {"cluster": "c", "namespace": "from-a"}},
            current="one",
            clusters={"c": {"server": "http://127.0.0.1:1"}},
        ),
    )
    b = (
        tmp_path / "b",
        config(
            {"one": {"cluster": "c", "namespace": "from-b"}, "two": {"cluster": "c"}},
            current="two",
            clusters={"c": {"server": "http://127.0.0.1:2"}},
        ),
    )
    merged = merge_kubeconfigs([a, b])
    assert merged.current_context == "one"
    assert merged.contexts == ["one", "two"]
    assert merged.entries["contexts"]["one"] == (
        {"cluster": "c", "namespace": "from-a"},
        tmp_path / "a",
    )
    assert merged.entries["clusters"]["c"][0]["server"] == "http://127.0.0.1:1"


def test_a_later_file_supplies_current_context_when_the_first_has_none(tmp_path: Path) -> None:
    a = (tmp_path / "a", config({"one": {"cluster": "c"}}))
    b = (tmp_path / "b", config({}, current="one"))
    assert merge_kubeconfigs([a, b]).current_context == "one"


@needs_kubectl
def test_merge_matches_kubectl(tmp_path: Path) -> None:
    """Same KUBECONFIG list, same answer as kubectl: current context, namespace, server."""
    a = write(
        tmp_path / "a",
        config(
            {"ctx-a": {"cluster": "c"}, "shared": {"cluster": "c", "namespace": "shared-a"}},
            current="ctx-a",
            clusters={"c": {"server": "http://127.0.0.1:1"}},
        ),
    )
    b = write(
        tmp_path / "b",
        config(
            {"ctx-b": {"cluster": "c"}, "shared": {"cluster": "c", "namespace": "shared-b"}},
            current="ctx-b",
            clusters={"c": {"server": "http://127.0.0.1:2"}},
        ),
    )
    e = env(tmp_path, KUBECONFIG=os.pathsep.join([str(a), str(b)]), PATH=os.environ.get("PATH", ""))

    def kubectl(*args: str) -> str:
        assert KUBECTL is not None
        return subprocess.run(
            [KUBECTL, "config", *args], env=e, check=True, capture_output=True, text=True
        ).stdout.strip()

    target = resolve_target(None, None, e)
    assert target.context == kubectl("current-context") == "ctx-a"
    shared = resolve_target(None, "shared", e)
    assert shared.namespace == kubectl(
        "view", "-o", 'jsonpath={.contexts[?(@.name=="shared")].context.namespace}'
    )
    assert shared.server == kubectl("view", "-o", "jsonpath={.clusters[0].cluster.server}")
    names = kubectl("get-contexts", "-o", "name").split()
    assert sorted(list_contexts_in(e)) == sorted(names)


def list_contexts_in(e: dict[str, str]) -> list[str]:
    from kpath.cluster.kubeconfig import load_merged

    merged = load_merged(None, e)
    assert merged is not None
    return merged.contexts


# -- choosing a context ----------------------------------------------------------------------


def test_unknown_context_lists_the_available_ones(tmp_path: Path) -> None:
    kc = write(
        tmp_path / "kc",
        config(
            {"prod": {"cluster": "c"}, "staging": {"cluster": "c"}},
            current="prod",
            clusters={"c": {"server": "http://127.0.0.1:1"}},
        ),
    )
    with pytest.raises(InputError) as info:
        load_live(LiveOptions(kubeconfig=str(kc), context="dev"))
    message = str(info.value)
    assert "'dev' not found" in message and "prod, staging" in message and str(kc) in message


def test_no_current_context_asks_for_one(tmp_path: Path) -> None:
    kc = write(
        tmp_path / "kc",
        config({"prod": {"cluster": "c"}}, clusters={"c": {"server": "http://127.0.0.1:1"}}),
    )
    with pytest.raises(
        InputError,
        match=r"no current-context; choose one with --context "
        r"\(contexts: prod\)",
    ):
        resolve_target(str(kc), None, env(tmp_path))


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"cluster": "gone", "user": "u"}, "names cluster 'gone', which is not defined"),
        ({"cluster": "c", "user": "gone"}, "names user 'gone', which is not defined"),
        ({"cluster": "bare"}, "cluster 'bare' .* has no server"),
    ],
)
def test_incomplete_context_is_named(
    tmp_path: Path, context: dict[str, str], expected: str
) -> None:
    kc = write(
        tmp_path / "kc",
        config(
            {"x": context},
            current="x",
            clusters={"c": {"server": "http://127.0.0.1:1"}, "bare": {}},
            users={"u": {}},
        ),
    )
    with pytest.raises(InputError, match=expected):
        resolve_target(str(kc), None, env(tmp_path))


def test_namespace_comes_from_the_context_else_default(tmp_path: Path) -> None:
    assert (
        resolve_target(str(simple(tmp_path, namespace="shop")), None, env(tmp_path)).namespace
        == "shop"
    )
    assert (
        resolve_target(str(simple(tmp_path, "plain")), None, env(tmp_path)).namespace == "default"
    )


# -- credentials -----------------------------------------------------------------------------


def test_token_is_loaded_but_never_shown(tmp_path: Path) -> None:
    target = resolve_target(str(simple(tmp_path)), None, env(tmp_path))
    assert target.origin == "context lab @ http://127.0.0.1:6443"
    assert target.configuration.api_key["BearerToken"] == "Bearer tok-123"
    assert "tok-123" not in target.origin


def test_loading_leaves_the_clients_global_configuration_and_the_file_alone(tmp_path: Path) -> None:
    kc = simple(tmp_path)
    before_bytes = kc.read_bytes()
    before_host = Configuration.get_default_copy().host
    resolve_target(str(kc), None, env(tmp_path))
    assert Configuration.get_default_copy().host == before_host
    assert kc.read_bytes() == before_bytes


def test_relative_certificate_paths_resolve_next_to_the_file_that_names_them(
    tmp_path: Path,
) -> None:
    (tmp_path / "clusters").mkdir()
    (tmp_path / "clusters" / "ca.crt").write_text("not checked until a request\n")
    clusters = write(
        tmp_path / "clusters" / "kc",
        config(
            {},
            clusters={"c": {"server": "https://127.0.0.1:6443", "certificate-authority": "ca.crt"}},
        ),
    )
    contexts = write(tmp_path / "kc", config({"x": {"cluster": "c"}}, current="x"))
    e = env(tmp_path, KUBECONFIG=os.pathsep.join([str(contexts), str(clusters)]))
    target = resolve_target(None, None, e)
    assert Path(target.configuration.ssl_ca_cert) == tmp_path / "clusters" / "ca.crt"


def test_missing_certificate_file_is_an_input_error(tmp_path: Path) -> None:
    kc = write(
        tmp_path / "kc",
        config(
            {"x": {"cluster": "c"}},
            current="x",
            clusters={
                "c": {"server": "https://127.0.0.1:6443", "certificate-authority": "nope.crt"}
            },
        ),
    )
    with pytest.raises(InputError, match=r"context 'x': File does not exist: .*nope\.crt"):
        resolve_target(str(kc), None, env(tmp_path))


def test_insecure_skip_tls_verify_is_reported(tmp_path: Path) -> None:
    kc = write(
        tmp_path / "kc",
        config(
            {"x": {"cluster": "c"}},
            current="x",
            clusters={"c": {"server": "https://127.0.0.1:6443", "insecure-skip-tls-verify": True}},
        ),
    )
    target = resolve_target(str(kc), None, env(tmp_path))
    assert target.insecure and target.configuration.verify_ssl is False


def _exec_plugin(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "plugin.py"
    script.write_text(f"#!{sys.executable}\nimport json, sys\n{body}\n", encoding="utf-8")
    script.chmod(0o755)
    return script


def _exec_config(tmp_path: Path, script: Path) -> Path:
    return write(
        tmp_path / "kc",
        config(
            {"x": {"cluster": "c", "user": "u"}},
            current="x",
            clusters={"c": {"server": "http://127.0.0.1:6443"}},
            users={
                "u": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": str(script),
                        "interactiveMode": "Never",
                    }
                }
            },
        ),
    )


def test_exec_plugin_supplies_the_token(tmp_path: Path) -> None:
    reply = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "kind": "ExecCredential",
        "status": {"token": "from-plugin"},
    }
    script = _exec_plugin(tmp_path, f"print(json.dumps({reply!r}))")
    target = resolve_target(str(_exec_config(tmp_path, script)), None, env(tmp_path))
    assert target.configuration.api_key["BearerToken"] == "Bearer from-plugin"


def test_failing_exec_plugin_is_one_line_with_its_own_words(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    script = _exec_plugin(tmp_path, "sys.stderr.write('please run: cloud login\\n')\nsys.exit(3)")
    with pytest.raises(SourceError) as info:
        resolve_target(str(_exec_config(tmp_path, script)), None, env(tmp_path))
    assert "cannot get credentials" in str(info.value)
    assert "please run: cloud login" in str(info.value) and "\n" not in str(info.value)
    assert "please run" not in capfd.readouterr().err  # not also printed as a stray line


# -- in-cluster ------------------------------------------------------------------------------


def test_in_cluster_service_account_when_there_is_no_kubeconfig(tmp_path: Path) -> None:
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text("sa-token")
    (sa / "ca.crt").write_text("ca")
    (sa / "namespace").write_text("monitoring\n")
    e = env(tmp_path, KUBERNETES_SERVICE_HOST="127.0.0.1", KUBERNETES_SERVICE_PORT="6443")
    target = resolve_target(None, None, e, service_account_dir=sa)
    assert target.origin == "in-cluster service account @ https://127.0.0.1:6443"
    assert target.namespace == "monitoring"
    assert target.configuration.api_key["BearerToken"] == "bearer sa-token"


def test_in_cluster_without_a_token_says_so(tmp_path: Path) -> None:
    e = env(tmp_path, KUBERNETES_SERVICE_HOST="127.0.0.1", KUBERNETES_SERVICE_PORT="6443")
    with pytest.raises(InputError, match="in-cluster service account is not usable"):
        resolve_target(None, None, e, service_account_dir=tmp_path / "none")


def test_nothing_to_read_points_at_the_flags(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no kubeconfig found .*--kubeconfig.*--dump"):
        resolve_target(None, None, env(tmp_path))


# -- pure helpers ----------------------------------------------------------------------------


def test_display_url_drops_user_and_password() -> None:
    assert display_url("https://admin:hunter2@10.0.0.1:6443/k8s") == "https://10.0.0.1:6443/k8s"
    assert display_url("https://[::1]:6443") == "https://[::1]:6443"


def test_status_message_reads_a_status_or_falls_back_to_text() -> None:
    body = json.dumps({"kind": "Status", "message": 'pods is forbidden:\nUser "x"'}).encode()
    assert status_message(body) == 'pods is forbidden: User "x"'
    assert status_message(b"<html>bad gateway</html>") == "<html>bad gateway</html>"
    assert status_message(b"") == ""


def test_backend_services_covers_default_backend_and_rules() -> None:
    ingress = {
        "metadata": {"name": "i", "namespace": "shop"},
        "spec": {
            "defaultBackend": {"service": {"name": "fallback", "port": {"number": 80}}},
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "backend": {"service": {"name": "web", "port": {"number": 80}}},
                            },
                            {
                                "path": "/r",
                                "backend": {"resource": {"kind": "Bucket", "name": "b"}},
                            },
                        ]
                    }
                },
                {"host": "no-http.example"},
            ],
        },
    }
    assert backend_services(ingress) == {("shop", "fallback"), ("shop", "web")}


@pytest.mark.parametrize("options", [LiveOptions(page_size=0), LiveOptions(timeout=0)])
def test_nonsense_options_are_input_errors(options: LiveOptions) -> None:
    with pytest.raises(InputError):
        load_live(options)


@pytest.mark.parametrize(
    ("cluster", "context", "expected"),
    [
        (
            {"server": "http://127.0.0.1:1"},
            {"cluster": ["c"]},
            "'cluster' must be a name, not list",
        ),
        ({"server": 6443}, {"cluster": "c"}, "cluster 'c' .* has no server"),
        (
            {"server": "https://127.0.0.1:1", "certificate-authority-data": "%%% not base64"},
            {"cluster": "c"},
            r"kubeconfig .*, context 'x': ",
        ),
    ],
)
def test_values_of_the_wrong_type_are_input_errors(
    tmp_path: Path, cluster: dict[str, Any], context: dict[str, Any], expected: str
) -> None:
    kc = write(tmp_path / "kc", config({"x": context}, current="x", clusters={"c": cluster}))
    with pytest.raises(InputError, match=expected):
        resolve_target(str(kc), None, env(tmp_path))


def test_server_text_in_errors_carries_no_terminal_escapes() -> None:
    body = json.dumps({"kind": "Status", "message": "denied \x1b]0;pwned\x07\x1b[2J now"})
    message = status_message(body.encode())
    assert "\x1b" not in message and "\x07" not in message
    assert message == "denied \\x1b]0;pwned\\x07\\x1b[2J now"


# -- kpath's own reading of the common kubeconfigs, against the client's -------------------

_PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
_B64 = base64.b64encode(_PEM.encode()).decode()


@pytest.mark.parametrize(
    ("cluster", "user"),
    [
        ({"server": "http://127.0.0.1:6443/"}, {"token": "tok-1"}),
        ({"server": "http://127.0.0.1:6443"}, {}),
        ({"server": "https://127.0.0.1:6443", "certificate-authority-data": _B64}, {"token": "t"}),
        (
            {"server": "https://127.0.0.1:6443", "certificate-authority": "ca.crt"},
            {"client-certificate-data": _B64, "client-key-data": _B64},
        ),
        (
            {"server": "https://127.0.0.1:6443", "insecure-skip-tls-verify": True},
            {"client-certificate": "ca.crt", "client-key": "ca.crt", "tokenFile": "tok"},
        ),
        (
            {"server": "https://127.0.0.1:6443", "tls-server-name": "api.example"},
            {"token": "", "tokenFile": "tok"},  # an empty token wins: no token at all
        ),
        (
            {"server": "https://127.0.0.1:6443", "certificate-authority-data": ""},
            {"tokenFile": "tok"},
        ),
    ],
)
def test_plain_kubeconfigs_are_read_as_the_client_reads_them(
    tmp_path: Path, cluster: dict[str, Any], user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [k for k in os.environ if k.lower().endswith("_proxy")]:
        monkeypatch.delenv(name)
    (tmp_path / "ca.crt").write_text(_PEM)
    (tmp_path / "tok").write_text("from-file\n")
    kc = write(
        tmp_path / "kc",
        config(
            {"x": {"cluster": "c", "user": "u"}},
            current="x",
            clusters={"c": cluster},
            users={"u": user},
        ),
    )
    target = resolve_target(str(kc), None, env(tmp_path))
    plain = target.plain
    assert plain is not None
    cfg = target.configuration  # the client's own loader, for the same context
    bearer = cfg.auth_settings().get("BearerToken")
    assert plain.host == cfg.host
    assert plain.authorization == (bearer["value"] if bearer else None)
    assert plain.verify == cfg.verify_ssl
    assert plain.tls_server_name == (cfg.tls_server_name or None)
    for mine, theirs in (
        (plain.ca_file, cfg.ssl_ca_cert),
        (plain.cert_file, cfg.cert_file),
        (plain.key_file, cfg.key_file),
    ):
        assert (mine is None) == (theirs is None)
        if mine is not None:
            assert Path(mine).read_bytes() == Path(theirs).read_bytes()
    assert sorted(target.credentials()) == sorted(
        [
            *target.secrets,
            *configuration_credentials(cfg),
        ]
    )


@pytest.mark.parametrize(
    ("cluster", "user"),
    [
        ({"server": "https://127.0.0.1:1", "proxy-url": "http://127.0.0.1:3128"}, {}),
        ({"server": "https://127.0.0.1:1"}, {"username": "u", "password": "p"}),
        ({"server": "https://127.0.0.1:1", "certificate-authority-data": "%%% not base64"}, {}),
        ({"server": "https://127.0.0.1:1", "certificate-authority": "nope.crt"}, {}),
        ({"server": "https://127.0.0.1:1", "insecure-skip-tls-verify": "yes"}, {}),
        ({"server": "https://127.0.0.1:1"}, {"token": 12345}),
    ],
)
def test_anything_else_is_left_to_the_client(
    tmp_path: Path, cluster: dict[str, Any], user: dict[str, Any]
) -> None:
    kc = write(
        tmp_path / "kc",
        config(
            {"x": {"cluster": "c", "user": "u"}},
            current="x",
            clusters={"c": cluster},
            users={"u": user},
        ),
    )
    from kpath.cluster.kubeconfig import load_merged, plain_transport

    merged = load_merged(str(kc), env(tmp_path))
    assert merged is not None
    assert plain_transport(merged, "x", {}) is None


def test_a_proxy_from_the_environment_is_left_to_the_client(tmp_path: Path) -> None:
    from kpath.cluster.kubeconfig import load_merged, plain_transport

    merged = load_merged(str(simple(tmp_path)), env(tmp_path))
    assert merged is not None
    assert plain_transport(merged, "lab", {}) is not None
    assert plain_transport(merged, "lab", {"https_proxy": "http://127.0.0.1:3128"}) is None
    assert plain_transport(merged, "lab", {"HTTPS_PROXY": ""}) is not None
