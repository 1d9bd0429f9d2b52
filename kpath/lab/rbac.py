"""The lab API server's authorization: a per-resource deny list, or RBAC rules from a file.

So a test can run kpath with exactly the permissions ``deploy/rbac.yaml`` grants, the lab
enforces the rules of one ClusterRole or Role the way Kubernetes' RBAC authorizer does for
the requests the lab serves:

- a request's verb is ``get`` (one object, or a ``proxy`` subresource), ``list`` (a
  collection) or ``watch`` (``?watch=`` or the legacy ``/watch/`` prefix), for HEAD too;
- a rule matches on apiGroups, resources (``pods``, ``pods/proxy``, ``*``, ``*/proxy``),
  verbs and resourceNames (a named rule never grants list or watch of a collection);
- a ClusterRole (bound by a ClusterRoleBinding) holds everywhere; a Role (bound by a
  RoleBinding) holds only inside its namespace, so it never grants cluster-scoped kinds
  such as nodes, nor lists across every namespace;
- discovery and health URLs (``/api``, ``/apis``, ``/version``, ``/healthz``) are always
  allowed, as the built-in ``system:discovery`` role grants them to every user.

The decisions are pure (`Authorizer.forbid`); reading a file goes through the dump reader's
guarded YAML loading (one-line errors, no alias bombs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpath.cluster.dumpfiles import find_files, read_documents
from kpath.errors import InputError
from kpath.safetext import clean_message

#: The user the lab's kubeconfig authenticates as; named in every 403, as a real server does.
LAB_USER = "kpath-lab-user"
ROLE_KINDS = ("ClusterRole", "Role")


@dataclass(frozen=True)
class Request:
    """What an authorizer decides on (Kubernetes' request attributes), for a resource URL."""

    verb: str  # get, list, watch
    group: str  # "" for the core group
    resource: str  # plural: pods
    subresource: str = ""  # proxy
    namespace: str | None = None  # None: cluster-scoped, or across every namespace
    name: str = ""

    @property
    def combined(self) -> str:
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource


@dataclass(frozen=True)
class Rule:
    """One PolicyRule of a role."""

    api_groups: frozenset[str]
    resources: frozenset[str]
    verbs: frozenset[str]
    resource_names: frozenset[str] = frozenset()

    def matches(self, r: Request) -> bool:
        return (
            ("*" in self.verbs or r.verb in self.verbs)
            and ("*" in self.api_groups or r.group in self.api_groups)
            and self._resource_matches(r)
            and (not self.resource_names or r.name in self.resource_names)
        )

    def _resource_matches(self, r: Request) -> bool:
        # As rbac's ResourceMatches: "*" is everything, "*/proxy" any resource's proxy.
        return (
            "*" in self.resources
            or r.combined in self.resources
            or (bool(r.subresource) and f"*/{r.subresource}" in self.resources)
        )


@dataclass(frozen=True)
class Policy:
    """The rules of one role, and where they hold."""

    name: str
    kind: str  # ClusterRole or Role
    rules: tuple[Rule, ...]
    namespace: str | None = None  # a Role's namespace; None for a ClusterRole

    def allows(self, r: Request) -> bool:
        if self.namespace is not None and r.namespace != self.namespace:
            return False
        return any(rule.matches(r) for rule in self.rules)

    def scoped(self, namespace: str) -> Policy:
        """The same Role bound in another namespace (a RoleBinding there)."""
        if self.kind != "Role":
            raise InputError(f"{self.kind} {self.name} is not namespaced")
        return Policy(self.name, self.kind, self.rules, namespace)


@dataclass(frozen=True)
class Authorizer:
    """The lab's decision: resources denied outright, then the policy's rules (if any)."""

    deny: frozenset[str] = frozenset()  # plurals refused for every verb and subresource
    policy: Policy | None = None

    def forbid(self, r: Request) -> str | None:
        """The 403 message for a request that is not allowed; None when it is."""
        if r.resource not in self.deny and (self.policy is None or self.policy.allows(r)):
            return None
        return forbidden_message(r)


def forbidden_message(r: Request, user: str = LAB_USER) -> str:
    """The message a real API server sends with a 403 for this request."""
    where = (
        f' in the namespace "{r.namespace}"' if r.namespace is not None else " at the cluster scope"
    )
    named = f' "{r.name}"' if r.name else ""
    return (
        f'{r.resource}{named} is forbidden: User "{user}" cannot {r.verb} resource '
        f'"{r.combined}" in API group "{r.group}"{where}'
    )


# -- reading roles -------------------------------------------------------------------------


def load_policy(
    path: str | Path,
    kind: str = "ClusterRole",
    name: str | None = None,
    namespace: str | None = None,
) -> Policy:
    """The role of that kind (and name, when given) from a YAML or JSON file.

    ``namespace`` binds a Role in another namespace than its own ``metadata.namespace``.
    """
    docs: list[Any] = []
    for dump in find_files(path):
        found, _ = read_documents(dump)
        docs.extend(found)
    return policy_from_documents(docs, kind, name, namespace, source=str(path))


def policy_from_documents(
    docs: Iterable[Any],
    kind: str = "ClusterRole",
    name: str | None = None,
    namespace: str | None = None,
    *,
    source: str = "the RBAC file",
) -> Policy:
    if kind not in ROLE_KINDS:
        raise InputError(f"{clean_message(kind)}: give ClusterRole or Role")
    roles = [
        d
        for d in _flatten(docs)
        if d.get("kind") == kind and (name is None or _meta(d).get("name") == name)
    ]
    if not roles:
        raise InputError(clean_message(f"{source}: has no {kind}{f' {name}' if name else ''}"))
    if len(roles) > 1:
        names = ", ".join(str(_meta(r).get("name")) for r in roles)
        raise InputError(
            clean_message(
                f"{source}: {len(roles)} {kind}s ({names}); the lab enforces one: name it"
            )
        )
    role = roles[0]
    role_name = str(_meta(role).get("name") or "")
    label = f"{source}: {kind} {role_name}"
    rules = tuple(
        _rule(r, f"{label} rule {i + 1}")
        for i, r in enumerate(_list(role.get("rules"), f"{label}: rules"))
    )
    if kind == "ClusterRole":
        return Policy(role_name, kind, rules)
    own = _meta(role).get("namespace")
    bound = namespace or own
    if not isinstance(bound, str) or not bound:
        raise InputError(clean_message(f"{label}: no namespace (set metadata.namespace)"))
    return Policy(role_name, kind, rules, bound)


def _flatten(docs: Iterable[Any]) -> Iterable[Mapping[str, Any]]:
    """Documents and the items of List documents (`kubectl get -o yaml` output)."""
    for d in docs:
        if not isinstance(d, Mapping):
            continue
        if isinstance(d.get("items"), list):
            yield from (i for i in d["items"] if isinstance(i, Mapping))
        else:
            yield d


def _meta(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = doc.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(clean_message(f"{where}: expected a list, not {type(value).__name__}"))
    return value


def _strings(value: Any, where: str) -> frozenset[str]:
    items = _list(value, where)
    if not all(isinstance(v, str) for v in items):
        raise InputError(clean_message(f"{where}: expected strings"))
    return frozenset(items)


def _rule(doc: Any, where: str) -> Rule:
    if not isinstance(doc, Mapping):
        raise InputError(clean_message(f"{where}: expected a mapping"))
    if doc.get("nonResourceURLs"):
        raise InputError(
            clean_message(
                f"{where}: nonResourceURLs are not supported by the lab "
                "(discovery is always allowed)"
            )
        )
    return Rule(
        _strings(doc.get("apiGroups"), f"{where} apiGroups"),
        _strings(doc.get("resources"), f"{where} resources"),
        _strings(doc.get("verbs"), f"{where} verbs"),
        _strings(doc.get("resourceNames"), f"{where} resourceNames"),
    )
