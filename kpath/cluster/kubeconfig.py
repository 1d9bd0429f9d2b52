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
is the ``kubernetes`` package's, loaded into a private ``Configuration``: nothing here
touches the package's global default configuration, and nothing writes the kubeconfig back
(the client would persist refreshed tokens by default). The commonest kubeconfigs (a token
or token file, client certificates, a CA, no proxy) are read here too, exactly as the
client reads them (`plain_transport`): a one-shot read then talks to the server with
urllib3 alone, without importing the client (a second of start-up on a busy machine and
a quarter of a one-shot read's memory). Anything else, or anything kpath's reading is not
sure of, goes the client's way, whose errors are the ones users know.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from kpath.cluster.redact import redact, redaction_set
from kpath.errors import InputError, SourceError
from kpath.safetext import clean_message

if TYPE_CHECKING:
    from kubernetes.client import Configuration
    from kubernetes.config.kube_config import ConfigNode

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
class PlainTransport:
    """How to reach one API server with urllib3 alone, read from a kubeconfig as the
    client's loader would read it (`plain_transport`): what its ``Configuration`` would hold
    for a kubeconfig without exec plugins, auth providers, basic auth or proxies."""

    host: str  # the server URL, no trailing slash
    verify: bool  # verify the server's certificate (insecure-skip-tls-verify: False)
    ca_file: str | None  # the CA bundle (None: the system's)
    cert_file: str | None  # the client certificate and its key
    key_file: str | None
    tls_server_name: str | None  # the name the certificate is checked against
    authorization: str | None  # the Authorization header ("Bearer …"), None without a token


@dataclass(frozen=True)
class Target:
    """Everything needed to talk to one API server, with its credentials: read by kpath
    (``plain``) where the kubeconfig is of the common kind, else only by the client
    (``configuration``, which every target can also give)."""

    context: str | None  # None when running on the in-cluster service account
    server: str  # without any user:password part, safe to show
    namespace: str  # the context's namespace, or "default"
    insecure: bool  # TLS verification switched off by the kubeconfig
    secrets: tuple[str, ...] = ()  # the kubeconfig user's own secret fields (for `redact`)
    #: The requests' transport without the client (None: only the client can make them).
    plain: PlainTransport | None = None
    #: Builds the client's ``Configuration`` (already built when ``plain`` is None).
    configure: Callable[[], Configuration] | None = dataclass_field(
        default=None, repr=False, compare=False
    )

    @functools.cached_property
    def configuration(self) -> Configuration:
        """The client's configuration (tokens an exec plugin refreshes live here); built
        on first use for a plain target: the watch and the probes use the client."""
        assert self.configure is not None
        return self.configure()

    @property
    def origin(self) -> str:
        who = "in-cluster service account" if self.context is None else f"context {self.context}"
        return f"{who} @ {self.server}"

    def credentials(self) -> list[str]:
        """Every credential this target holds now (an exec plugin may have refreshed one)."""
        if self.plain is not None:
            return [*self.secrets, *plain_credentials(self.plain)]
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
    from kubernetes.config.kube_config import ConfigNode

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
    cluster_body = merged.entries["clusters"][merged.entries["contexts"][name][0]["cluster"]][0]
    namespace = merged.entries["contexts"][name][0].get("namespace")
    namespace = namespace if isinstance(namespace, str) and namespace else "default"
    insecure = bool(cluster_body.get("insecure-skip-tls-verify"))
    plain = plain_transport(merged, name, os.environ)
    if plain is not None:
        return Target(
            name,
            display_url(plain.host),
            namespace,
            insecure,
            secrets,
            plain,
            lambda: _client_configuration(merged, name, secrets),
        )
    configuration = _client_configuration(merged, name, secrets)
    return Target(
        name,
        display_url(configuration.host),
        namespace,
        insecure,
        secrets,
        None,
        lambda: configuration,
    )


def _client_configuration(merged: MergedConfig, name: str, secrets: tuple[str, ...]) -> Any:
    """The context's credentials loaded by the client into a private ``Configuration``."""
    from kubernetes.client import Configuration
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.kube_config import KubeConfigLoader

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
    return configuration


def _in_cluster(env: Mapping[str, str], sa_dir: Path) -> Target:
    from kubernetes.client import Configuration
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.incluster_config import InClusterConfigLoader

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
    return Target(
        None, display_url(configuration.host), namespace, False, (), None, lambda: configuration
    )


# -- credentials read without the client (the common kubeconfigs) ------------------------

#: User fields that only the client reads (plugins, providers, basic auth): such a user
#: goes the client's way even where a token would win, to be sure of reading it alike.
_CLIENT_ONLY_USER = ("auth-provider", "exec", "username", "password")


class _NotPlain(Exception):
    """The kubeconfig is not of the kind `plain_transport` reads: let the client read it."""


def plain_transport(
    merged: MergedConfig, context: str, environ: Mapping[str, str]
) -> PlainTransport | None:
    """What the client's ``KubeConfigLoader`` would configure for this context, when its
    credentials are a token (or token file) and/or client certificates, and no proxy
    applies; None when anything else is there, or anything is off (a file missing, data
    that is not base64): the client then reads it, and words any error as it always has.

    As the loader: the token (``token`` before ``tokenFile``, a file's text as it is) is
    sent as ``Bearer …``; certificates are read only for an https server, ``*-data``
    before the file (an empty ``*-data`` means none), files relative to the kubeconfig
    that names them, data written to a private file."""
    ctx = merged.entries["contexts"][context][0]
    cluster, cluster_file = merged.entries["clusters"][ctx["cluster"]]
    user_name = ctx.get("user")
    user, user_file = (
        merged.entries["users"].get(user_name, ({}, None))
        if isinstance(user_name, str) and user_name
        else ({}, None)
    )
    try:
        if any(k in user for k in _CLIENT_ONLY_USER) or "proxy-url" in cluster:
            raise _NotPlain
        # The client takes a proxy from the environment (HTTPS_PROXY, ALL_PROXY, ...).
        if any(k.lower().endswith("_proxy") and v for k, v in environ.items()):
            raise _NotPlain
        server = cluster.get("server")
        if not isinstance(server, str):
            raise _NotPlain
        host = server.rstrip("/")
        verify = not _bool_field(cluster, "insecure-skip-tls-verify")
        server_name = cluster.get("tls-server-name")
        if "tls-server-name" in cluster and not isinstance(server_name, str):
            raise _NotPlain
        authorization = _token(user, _base(user_file))
        ca = cert = key = None
        if host.startswith("https"):
            ca = _file_or_data(cluster, "certificate-authority", _base(cluster_file))
            # The client resolves the user's certificate files against the cluster's file.
            cert = _file_or_data(user, "client-certificate", _base(cluster_file))
            key = _file_or_data(user, "client-key", _base(cluster_file))
    except _NotPlain:
        return None
    return PlainTransport(host, verify, ca, cert, key, server_name or None, authorization)


def _base(path: Path | None) -> str:
    return os.path.abspath(os.path.dirname(str(path))) if path is not None else ""


def _bool_field(body: Mapping[str, Any], key: str) -> bool:
    value = body.get(key, False)
    if type(value) is not bool:
        raise _NotPlain
    return value


def _token(user: Mapping[str, Any], base: str) -> str | None:
    if "token" in user:
        token = user["token"]
    elif "tokenFile" in user:
        name = user["tokenFile"]
        if not isinstance(name, str):
            raise _NotPlain
        try:
            token = Path(os.path.normpath(os.path.join(base, name))).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise _NotPlain from None
    else:
        return None
    if not isinstance(token, str):
        raise _NotPlain
    return f"Bearer {token}" if token else None


def _file_or_data(body: Mapping[str, Any], key: str, base: str) -> str | None:
    """As the client's ``FileOrData(...).as_file()``: ``key-data`` (base64) wins, written
    to a private file; else ``key``, a file next to the kubeconfig, which must exist."""
    if f"{key}-data" in body:
        data = body[f"{key}-data"]
        if not data:
            return None
        if not isinstance(data, str):
            raise _NotPlain
        try:
            content = base64.standard_b64decode(data.encode())
        except (binascii.Error, ValueError):
            raise _NotPlain from None
        return _private_file(content)
    if key in body:
        name = body[key]
        if not isinstance(name, str):
            raise _NotPlain
        path = os.path.normpath(os.path.join(base, name))
        if not os.path.isfile(path):
            raise _NotPlain
        return path
    return None


_PRIVATE_FILES: dict[bytes, str] = {}


def _private_file(content: bytes) -> str:
    """A file only this user can read holding ``content``, removed when kpath exits (TLS
    libraries load certificates from files); one per content, as the client keeps them."""
    found = _PRIVATE_FILES.get(content)
    if found is not None and os.path.isfile(found):
        return found
    import atexit
    import tempfile

    if not _PRIVATE_FILES:
        atexit.register(_remove_private_files)
    fd, name = tempfile.mkstemp(prefix="kpath-")
    with os.fdopen(fd, "wb") as f:
        f.write(content)
    _PRIVATE_FILES[content] = name
    return name


def _remove_private_files() -> None:
    for name in _PRIVATE_FILES.values():
        with contextlib.suppress(OSError):
            os.unlink(name)
    _PRIVATE_FILES.clear()


def plain_credentials(plain: PlainTransport) -> list[str]:
    """What a plain transport sends, as `configuration_credentials` lists the client's."""
    return _sent_credentials([plain.authorization], plain.host, plain.key_file)


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
    return _sent_credentials(
        [*(configuration.api_key or {}).values(), configuration.password],
        str(configuration.host or ""),
        str(configuration.key_file) if configuration.key_file else None,
    )


def _sent_credentials(values: Iterable[object], host: str, key_file: str | None) -> list[str]:
    """Header values and passwords a transport sends, a password in its server URL, and
    its client key's PEM: what either kind of transport lists for `redact`."""
    found = [str(v) for v in values if v]
    with contextlib.suppress(ValueError):  # a server URL with user:password@ in it
        if (password := urlsplit(host).password) is not None:
            found.append(password)
    if key_file:
        found.append(_key_pem(key_file))
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
