"""Which cluster, user and namespace the live source talks to: kubeconfig read as kubectl reads it.

Where the configuration comes from, first hit wins:

1. ``--kubeconfig FILE`` — exactly that one file; it must exist.
2. ``$KUBECONFIG`` — files joined with ``os.pathsep``; empty entries and missing files are
   skipped; the rest are merged.
3. ``~/.kube/config`` when it exists.
4. The in-cluster service account (``KUBERNETES_SERVICE_HOST``/``_PORT`` and the token in
   ``/var/run/secrets/kubernetes.io/serviceaccount``), as for kpath running in a pod.

Merging follows kubectl's rules rather than the Python client's ``KubeConfigMerger``: the
first file to define a named cluster, user or context wins, and so does the first file that
sets ``current-context`` (the client lets a later file override it, so the same KUBECONFIG
would pick a different context than kubectl). Each merged entry remembers the file it came
from, so relative certificate paths resolve next to that file.

Authentication (tokens, token files, client certificates, exec plugins, auth providers)
is left to the ``kubernetes`` package, loaded into a private ``Configuration``: nothing
here touches the package's global default configuration, and nothing writes the kubeconfig
back (the client would persist refreshed tokens by default).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml
from kubernetes.client import Configuration
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.incluster_config import InClusterConfigLoader
from kubernetes.config.kube_config import ConfigNode, KubeConfigLoader

from kpath.cluster.redact import redact, redaction_set
from kpath.errors import InputError, SourceError
from kpath.safetext import clean_message

#: Where a pod's service account is mounted.
SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
DEFAULT_KUBECONFIG = "~/.kube/config"
_NAMED_LISTS = (("clusters", "cluster"), ("contexts", "context"), ("users", "user"))


@dataclass(frozen=True)
class MergedConfig:
    """kubeconfig files merged as kubectl merges them."""

    files: tuple[Path, ...]
    current_context: str | None
    #: section ("clusters", "contexts", "users") -> name -> (entry body, file it came from)
    entries: Mapping[str, Mapping[str, tuple[dict[str, Any], Path]]]

    @property
    def contexts(self) -> list[str]:
        return list(self.entries["contexts"])

    def describe(self) -> str:
        """The files, for messages: ``a.yaml`` or ``a.yaml:b.yaml``."""
        return os.pathsep.join(str(f) for f in self.files)


@dataclass(frozen=True)
class Target:
    """Everything needed to talk to one API server, with credentials inside ``configuration``."""

    configuration: Configuration
    context: str | None  # None when running on the in-cluster service account
    server: str  # without any user:password part, safe to show
    namespace: str  # the context's namespace, or "default"
    insecure: bool  # TLS verification switched off by the kubeconfig
    secrets: tuple[str, ...] = ()  # the kubeconfig user's own secret fields (for `redact`)

    @property
    def origin(self) -> str:
        who = "in-cluster service account" if self.context is None else f"context {self.context}"
        return f"{who} @ {self.server}"

    def credentials(self) -> list[str]:
        """Every credential this target holds now (an exec plugin may have refreshed one)."""
        return [*self.secrets, *configuration_credentials(self.configuration)]

    def redact(self, text: str) -> str:
        """Server text with every credential of this target replaced by ``***``."""
        return redact(text, redaction_set(self.credentials()))


# -- finding and merging files -------------------------------------------------------------


def kubeconfig_files(explicit: str | None, environ: Mapping[str, str] | None = None) -> list[Path]:
    """The kubeconfig files to merge, in precedence order (possibly none).

    An explicit file that does not exist is an error, as in kubectl; missing files named in
    ``$KUBECONFIG`` are skipped, as in kubectl.
    """
    env = os.environ if environ is None else environ
    if explicit:
        path = Path(explicit).expanduser()
        if not path.exists():
            raise InputError(f"kubeconfig {explicit} does not exist")
        return [path]
    listed = [p for p in env.get("KUBECONFIG", "").split(os.pathsep) if p]
    if listed:
        return [Path(p).expanduser() for p in listed if Path(p).expanduser().exists()]
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    default = home / ".kube" / "config"
    return [default] if default.exists() else []


def read_kubeconfig(path: Path) -> dict[str, Any]:
    """One kubeconfig file as a mapping; every problem is one `InputError` line."""
    try:
        text = path.read_text(encoding="utf-8")
    except IsADirectoryError:
        raise InputError(f"kubeconfig {path} is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"cannot read kubeconfig {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"kubeconfig {path} is not UTF-8 text") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise InputError(f"kubeconfig {path} is not valid YAML{where}: {problem}") from None
    if doc is None:
        return {}  # an empty file contributes nothing, as in kubectl
    if not isinstance(doc, dict):
        raise InputError(
            f"kubeconfig {path} is not a kubeconfig: expected a mapping with "
            f"clusters, contexts and users, found {type(doc).__name__}"
        )
    return doc


def merge_kubeconfigs(docs: list[tuple[Path, dict[str, Any]]]) -> MergedConfig:
    """Merge parsed files by kubectl's rules: the first definition of every name wins."""
    entries: dict[str, dict[str, tuple[dict[str, Any], Path]]] = {s: {} for s, _ in _NAMED_LISTS}
    current: str | None = None
    for path, doc in docs:
        for section, body_key in _NAMED_LISTS:
            items = doc.get(section)
            if items is None:
                continue
            if not isinstance(items, list):
                raise InputError(f"kubeconfig {path}: '{section}' must be a list")
            for i, item in enumerate(items):
                if (
                    not isinstance(item, dict)
                    or not isinstance(item.get("name"), str)
                    or not item["name"]
                ):
                    raise InputError(f"kubeconfig {path}: entry {i + 1} of '{section}' has no name")
                body = item.get(body_key)
                if body is None:
                    body = {}
                if not isinstance(body, dict):
                    raise InputError(
                        f"kubeconfig {path}: {section[:-1]} {item['name']!r} "
                        f"has a '{body_key}' that is not a mapping"
                    )
                entries[section].setdefault(item["name"], (body, path))
        cc = doc.get("current-context")
        if current is None and isinstance(cc, str) and cc:
            current = cc
    return MergedConfig(tuple(p for p, _ in docs), current, entries)


def load_merged(
    explicit: str | None, environ: Mapping[str, str] | None = None
) -> MergedConfig | None:
    """The merged kubeconfig, or None when there is no kubeconfig file at all."""
    files = kubeconfig_files(explicit, environ)
    if not files:
        return None
    return merge_kubeconfigs([(f, read_kubeconfig(f)) for f in files])


def list_contexts(kubeconfig: str | None = None) -> tuple[list[str], str | None]:
    """The context names of the kubeconfig kpath would read, and the current one."""
    merged = load_merged(kubeconfig)
    if merged is None:
        return [], None
    return merged.contexts, merged.current_context


# -- choosing a context and loading credentials --------------------------------------------


def choose_context(merged: MergedConfig, context: str | None) -> str:
    """The context to use (``--context``, else current-context), checked for completeness."""
    available = ", ".join(merged.contexts) or "none"
    name = context or merged.current_context
    if not name:
        raise InputError(
            f"kubeconfig {merged.describe()} sets no current-context; choose one "
            f"with --context (contexts: {available})"
        )
    if name not in merged.entries["contexts"]:
        raise InputError(
            f"kubeconfig {merged.describe()}: context {name!r} not found (contexts: {available})"
        )
    body, _ = merged.entries["contexts"][name]
    cluster, user = body.get("cluster"), body.get("user")
    for field, value in (("cluster", cluster), ("user", user)):
        if value is not None and not isinstance(value, str):
            raise InputError(
                f"context {name!r} in kubeconfig {merged.describe()}: "
                f"'{field}' must be a name, not {type(value).__name__}"
            )
    if not cluster or cluster not in merged.entries["clusters"]:
        raise InputError(
            f"context {name!r} in kubeconfig {merged.describe()} names cluster "
            f"{cluster!r}, which is not defined"
        )
    if user and user not in merged.entries["users"]:
        raise InputError(
            f"context {name!r} in kubeconfig {merged.describe()} names user "
            f"{user!r}, which is not defined"
        )
    server = merged.entries["clusters"][cluster][0].get("server")
    if not isinstance(server, str) or not server:
        raise InputError(f"cluster {cluster!r} in kubeconfig {merged.describe()} has no server")
    return name


def _loader_config(merged: MergedConfig, context: str) -> ConfigNode:
    """The merged entries in the shape ``KubeConfigLoader`` reads, each tagged with its file."""
    value: dict[str, Any] = {"current-context": context}
    for section, body_key in _NAMED_LISTS:
        value[section] = [
            ConfigNode(f"{path}/{section}[name={name}]", {"name": name, body_key: body}, str(path))
            for name, (body, path) in merged.entries[section].items()
        ]
    return ConfigNode(merged.describe(), value, str(merged.files[0]))


def resolve_target(
    kubeconfig: str | None,
    context: str | None,
    environ: Mapping[str, str] | None = None,
    service_account_dir: Path = SERVICE_ACCOUNT_DIR,
) -> Target:
    """Where to connect and with which credentials, from the kubeconfig or the pod's account."""
    env = os.environ if environ is None else environ
    merged = load_merged(kubeconfig, env)
    if merged is None:
        if env.get("KUBERNETES_SERVICE_HOST") and not context:
            return _in_cluster(env, service_account_dir)
        looked = env.get("KUBECONFIG") or DEFAULT_KUBECONFIG
        raise InputError(
            f"no kubeconfig found ({looked}); point --kubeconfig or KUBECONFIG "
            "at one, or read files with --dump"
        )
    name = choose_context(merged, context)
    secrets = user_secrets(merged, name)
    configuration = Configuration()
    failures = _LoggedErrors()
    try:
        with failures:
            loader = KubeConfigLoader(
                config_dict=_loader_config(merged, name), active_context=name, config_base_path=None
            )
            loader.load_and_set(configuration)
    except (ConfigException, ValueError, TypeError, KeyError, AttributeError) as exc:
        # ConfigException for what the client checks; the others for values of the wrong
        # type or encoding it does not check (certificate data that is not base64, ...).
        raise InputError(
            f"kubeconfig {merged.describe()}, context {name!r}: "
            f"{_redacted(str(exc), secrets, configuration)}"
        ) from None
    except OSError as exc:  # an exec plugin that cannot start, a certificate file unreadable
        raise SourceError(
            f"context {name!r}: cannot load credentials: "
            f"{_redacted(str(exc), secrets, configuration)}"
        ) from None
    if failures.messages:
        # The client logs a failed exec plugin and carries on without credentials; kubectl
        # stops there, and so does kpath, with the plugin's own words (minus any secret).
        raise SourceError(
            f"context {name!r}: cannot get credentials: "
            f"{_redacted(failures.messages[0], secrets, configuration)}"
        )
    cluster_body = merged.entries["clusters"][merged.entries["contexts"][name][0]["cluster"]][0]
    namespace = merged.entries["contexts"][name][0].get("namespace")
    return Target(
        configuration,
        name,
        display_url(configuration.host),
        namespace if isinstance(namespace, str) and namespace else "default",
        bool(cluster_body.get("insecure-skip-tls-verify")),
        secrets,
    )


def _in_cluster(env: Mapping[str, str], sa_dir: Path) -> Target:
    configuration = Configuration()
    try:
        InClusterConfigLoader(
            token_filename=str(sa_dir / "token"), cert_filename=str(sa_dir / "ca.crt"), environ=env
        ).load_and_set(configuration)
    except (ConfigException, OSError) as exc:
        raise InputError(
            f"no kubeconfig found and the in-cluster service account is not "
            f"usable: {one_line(str(exc))}"
        ) from None
    try:
        namespace = (sa_dir / "namespace").read_text(encoding="utf-8").strip() or "default"
    except OSError:
        namespace = "default"
    return Target(configuration, None, display_url(configuration.host), namespace, False)


# -- credentials, for redaction ------------------------------------------------------------

#: auth-provider config keys that hold secrets (oidc, gcp, azure).
_PROVIDER_SECRETS = ("id-token", "refresh-token", "access-token", "client-secret")


def user_secrets(merged: MergedConfig, context: str) -> tuple[str, ...]:
    """The secret fields of the context's user entry, as the kubeconfig holds them."""
    user = merged.entries["contexts"][context][0].get("user")
    body = merged.entries["users"].get(user, ({}, None))[0] if isinstance(user, str) else {}
    found = [body.get(k) for k in ("token", "password", "client-key-data")]
    key_data = body.get("client-key-data")
    if isinstance(key_data, str):
        with contextlib.suppress(binascii.Error, ValueError, UnicodeDecodeError):
            found.append(base64.b64decode(key_data).decode("utf-8"))  # the PEM itself
    provider = body.get("auth-provider")
    config = provider.get("config") if isinstance(provider, dict) else None
    if isinstance(config, dict):
        found += [config.get(k) for k in _PROVIDER_SECRETS]
    return tuple(v for v in found if isinstance(v, str) and v)


def configuration_credentials(configuration: Configuration) -> list[str]:
    """What the client sends: its Authorization values (a bearer token from a file, an exec
    plugin or an auth provider; basic auth), a password, and the client key's PEM."""
    found = [str(v) for v in (configuration.api_key or {}).values() if v]
    if configuration.password:
        found.append(str(configuration.password))
    with contextlib.suppress(ValueError):  # a server URL with user:password@ in it
        if (password := urlsplit(str(configuration.host or "")).password) is not None:
            found.append(password)
    if configuration.key_file:
        found.append(_key_pem(str(configuration.key_file)))
    return [v for v in found if v]


@functools.lru_cache(maxsize=8)
def _key_pem(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _redacted(text: str, secrets: tuple[str, ...], configuration: Configuration) -> str:
    """One line of a loader's error, without the credentials it may quote."""
    return one_line(
        redact(text, redaction_set([*secrets, *configuration_credentials(configuration)]))
    )


# -- small helpers -------------------------------------------------------------------------


class _LoggedErrors(logging.Handler):
    """Collects what the client logs as errors while loading credentials, instead of
    letting it reach the terminal as a stray line."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self) -> _LoggedErrors:
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().removeHandler(self)


def display_url(url: str) -> str:
    """A server URL safe to show: any ``user:password@`` part is dropped."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return one_line(url)
    if parts.username is None and parts.password is None:
        return one_line(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return one_line(urlunsplit(parts._replace(netloc=netloc)))


def one_line(text: str) -> str:
    """Collapse whitespace (an exec plugin's stderr, a multi-line Status) into one line.

    Such text comes from outside (a server's Status, a plugin), so control characters are
    shown escaped: an error line must not carry terminal escape sequences.
    """
    return clean_message(re.sub(r"\s+", " ", text).strip())
