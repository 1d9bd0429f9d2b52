"""The lab's Kubernetes API server: enough of the REST API for kubectl and the Python client.

The core kinds (NetworkPolicy among them) and the Gateway API (as CRDs of the 2026 standard
channel serve it: several versions of one group, status subresources), and the
AdminNetworkPolicy CRDs for a scenario that holds such objects (`kpath.lab.resources`).
Discovery (legacy shapes, which kubectl falls back to), list/get with label and field
selectors and ``limit``/``continue``, ``watch`` streams with resume, BOOKMARK and 410 Gone,
server-side Tables for ``kubectl get``/``-o wide``, and the ``pods/…/proxy`` and
``services/…/proxy`` subresources into the lab's data plane. Read-only: every write answers
405 and is recorded, so tests can prove kpath never wrote (and, with ``KPATH_LAB_AUDIT`` set,
tallied across processes: `kpath.lab.audit`). Optional bearer token, TLS, added latency, and
authorization (`kpath.lab.rbac`): per-resource 403s, or the rules of a ClusterRole or Role.
``echo_headers`` makes every error Status quote the request's Authorization header, as a
careless proxy in front of an API server does (tests prove kpath never shows what was echoed).
Watch faults on demand (`watches`, see `kpath.lab.watchfaults`).
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from kpath.errors import SourceError
from kpath.lab.audit import KPATH_AGENT, RECORDER
from kpath.lab.bytestore import EncodedStore
from kpath.lab.kubeconfig import make_tls, write_kubeconfig
from kpath.lab.rbac import Authorizer, Policy
from kpath.lab.rbac import Request as AuthzRequest
from kpath.lab.resources import RESOURCES, Resource, Served
from kpath.lab.selectors import field_matches, label_matches, parse_fields, parse_labels
from kpath.lab.store import Key, Obj, Store
from kpath.lab.tables import table_for
from kpath.lab.watchfaults import WatchControl, WatchOpened, WatchStream

T = TypeVar("T")
#: The annotation of the BOOKMARK that ends a streaming list's initial events.
INITIAL_EVENTS_END = "k8s.io/initial-events-end"
#: Objects written per write in a watch's initial events or a big list page (joined bytes,
#: not one write per object).
EVENTS_PER_WRITE = 500
PROXY_TIMEOUT = 5.0
MAX_RECORDED = 100_000


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: str
    status: int
    #: What authorization decided on (verb, group, resource, …); None for discovery.
    authz: AuthzRequest | None = None


def status(code: int, reason: str, message: str) -> web.Response:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    return web.json_response(body, status=code)


class LabApiServer:
    """A read-only Kubernetes API over a `Store`, on a loopback address.

    Run it inside the lab's event loop (`start`/`stop`), or from sync code with
    `serve_in_thread`. ``requests`` records every request (method, path, query, status).
    ``deny`` refuses resources (plurals) outright; ``rbac`` enforces a role's rules
    (`kpath.lab.rbac.load_policy`, e.g. from ``deploy/rbac.yaml``). ``resources`` is the
    table of what is served (`kpath.lab.resources`): by default the core kinds and the
    Gateway API at the 2026 standard channel's versions. With ``client_certs`` (and
    ``tls``) a client certificate from the lab's CA authenticates, as ``token`` does;
    `write_kubeconfig` names one.
    """

    def __init__(
        self,
        store: Store,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        client_certs: bool = False,
        token: str | None = None,
        read_only: bool = True,
        deny: Iterable[str] = (),
        rbac: Policy | None = None,
        latency: float = 0.0,
        echo_headers: bool = False,
        resources: Iterable[Resource] = RESOURCES,
    ) -> None:
        self.store = store
        self.served = Served(resources)
        self.host, self.port = host, port
        if client_certs and not tls:
            raise ValueError("client certificates need tls=True")
        self.tls, self.token, self.read_only = tls, token, read_only
        self.client_certs = client_certs
        self.authz = Authorizer(frozenset(deny), rbac)
        self.latency = latency
        self.echo_headers = echo_headers
        self._deliberate = 0  # > 0 while a test sends requests it marked as its own
        self._authz_of: dict[int, AuthzRequest] = {}  # id(request) → attributes, until recorded
        #: Every request in order; the oldest are dropped in blocks past MAX_RECORDED.
        self.requests: list[RecordedRequest] = []
        #: Watch settings, faults and the record of watches as they began.
        self.watches = WatchControl()
        #: Requests per (verb, resource plural) as they arrive: list, watch, get. Never
        #: trimmed, so a benchmark can tell "no LIST after the initial load" over any run.
        self.verbs: Counter[tuple[str, str]] = Counter()
        self.url = ""
        self.ca_pem: bytes | None = None
        #: The client certificate and key (PEM) the server accepts, with ``client_certs``.
        self.client_pem: tuple[bytes, bytes] | None = None
        self._runner: web.AppRunner | None = None
        self._watches: set[asyncio.Event] = set()
        self._closing = False
        self._session: aiohttp.ClientSession | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen (again, after `stop`: on the same port, the lab's state kept)."""
        self._closing = False
        app = web.Application(middlewares=[self._middleware])
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # A short shutdown_timeout: `stop` ends watch streams itself and must be prompt.
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        context = None
        if self.tls:
            tls = make_tls(self.host, client_certs=self.client_certs)
            context, self.ca_pem, self.client_pem = tls.server, tls.ca_pem, tls.client
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=context)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise SourceError(
                f"the lab API server cannot listen on {self.host}:{self.port}: "
                f"{exc.strerror or exc}"
            ) from None
        self.port = int(self._runner.addresses[0][1])  # the port the OS chose for port 0
        self.url = f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"
        return self.url

    async def stop(self) -> None:
        self._closing = True
        for wake in list(self._watches):
            wake.set()  # watch streams notice and end
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        RECORDER.flush()

    @property
    def deny(self) -> frozenset[str]:
        return self.authz.deny

    def enforce(self, policy: Policy | None) -> None:
        """Enforce another role's rules from now on (None: no rules, only ``deny``)."""
        self.authz = replace(self.authz, policy=policy)

    @contextmanager
    def deliberate(self) -> Iterator[None]:
        """Mark the requests a test sends inside this block as its own (e.g. writes it
        sends to see the 405), so the session's read-only check does not count them as
        kpath's. A request with kpath's User-Agent is never marked."""
        self._deliberate += 1
        try:
            yield
        finally:
            self._deliberate -= 1

    def write_kubeconfig(
        self, path: str | Path, *, context: str = "kpath-lab", namespace: str | None = None
    ) -> Path:
        return write_kubeconfig(
            Path(path),
            self.url,
            context=context,
            namespace=namespace,
            token=self.token,
            ca_pem=self.ca_pem,
            client=self.client_pem,
        )

    # -- plumbing --------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.latency:
            await asyncio.sleep(self.latency)
        if not self._authenticated(request):
            response: web.StreamResponse = status(401, "Unauthorized", "Unauthorized")
        elif request.method not in ("GET", "HEAD"):
            # read_only=False only changes the wording: the lab implements no writes at all.
            why = "is read-only" if self.read_only else "does not implement writes"
            response = status(
                405, "MethodNotAllowed", f"the kpath lab {why}: {request.method} is not allowed"
            )
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                response = status(exc.status, exc.reason, exc.text or exc.reason)
            except Exception as exc:  # a lab bug must still answer a Status, not a bare 500
                response = status(
                    500, "InternalError", f"the kpath lab failed: {type(exc).__name__}: {exc}"
                )
            except BaseException:  # cancelled (the client left mid-stream): nothing to record
                self._authz_of.pop(id(request), None)
                raise
        if self.echo_headers:
            response = _echo_authorization(request, response)
        self.requests.append(
            RecordedRequest(
                request.method,
                request.path,
                request.query_string,
                response.status,
                self._authz_of.pop(id(request), None),
            )
        )
        agent = request.headers.get("User-Agent", "")
        RECORDER.record(
            request.method,
            request.path,
            response.status,
            agent,
            self._deliberate > 0 and not agent.startswith(KPATH_AGENT),
        )
        if len(self.requests) > MAX_RECORDED:
            del self.requests[: MAX_RECORDED // 10]  # in blocks: amortised O(1) per request
        return response

    def _authenticated(self, request: web.Request) -> bool:
        """A token or a client certificate, when either is asked for (the lab has no
        anonymous user: anything else is a 401)."""
        if self.token is None and not self.client_certs:
            return True
        if self.token is not None and request.headers.get("Authorization") == (
            f"Bearer {self.token}"
        ):
            return True
        # Present only when verified against the lab's CA (ssl.CERT_OPTIONAL).
        return self.client_certs and bool(request.get_extra_info("peercert"))

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.path.split("/") if p]
        if not parts or parts[0] in ("healthz", "readyz", "livez"):
            return web.Response(text="ok")
        if parts == ["version"]:
            return web.json_response(
                {
                    "major": "1",
                    "minor": "32",
                    "gitVersion": "v1.32.0-kpath-lab",
                    "platform": "linux/amd64",
                }
            )
        if parts[0] == "api":
            return await self._api(request, "", parts[1:])
        if parts[0] == "apis":
            if len(parts) == 1:
                return web.json_response(_group_list(self.served))
            if len(parts) == 2:
                if parts[1] not in self.served.groups:
                    return status(404, "NotFound", f"the server could not find {request.path}")
                return web.json_response(_group(self.served, parts[1]))
            return await self._api(request, parts[1], parts[2:])
        return status(
            404, "NotFound", f"the server could not find the requested resource ({request.path})"
        )

    async def _api(self, request: web.Request, group: str, parts: list[str]) -> web.StreamResponse:
        if not parts:
            return web.json_response(
                {
                    "kind": "APIVersions",
                    "versions": ["v1"],
                    "serverAddressByClientCIDRs": [
                        {"clientCIDR": "0.0.0.0/0", "serverAddress": ""}
                    ],
                }
            )
        version, rest = parts[0], parts[1:]
        if (group, version) not in self.served.group_versions:
            return status(
                404,
                "NotFound",
                f"the server could not find the requested resource ({request.path})",
            )
        if not rest:
            return web.json_response(_resource_list(self.served, group, version))
        # The legacy /watch/ prefix means the same as ?watch=true on the path after it.
        legacy_watch = rest[0] == "watch" and len(rest) > 1
        if legacy_watch:
            rest = rest[1:]
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        res = self.served.by_path.get((group, version, rest[0]))
        if res is None or (namespace is not None and not res.namespaced):
            return status(
                404,
                "NotFound",
                f"the server could not find the requested resource ({request.path})",
            )
        verb = (
            "watch"
            if legacy_watch or _truthy(request.query.get("watch"))
            else "list"
            if len(rest) == 1
            else "get"
        )
        attrs = self._authz_of[id(request)] = AuthzRequest(
            verb,
            res.group,
            res.plural,
            rest[2] if len(rest) >= 3 else "",
            namespace if res.namespaced else None,
            rest[1] if len(rest) >= 2 else "",
        )
        # Counted as it arrives: a watch is recorded above only once its stream ends.
        self.verbs[(verb, res.plural)] += 1
        forbidden = self.authz.forbid(attrs)
        if forbidden is not None:
            return status(403, "Forbidden", forbidden)
        if len(rest) == 1:
            if legacy_watch or _truthy(request.query.get("watch")):
                return await self._watch(request, res, namespace)
            return await self._list(request, res, namespace)
        name = rest[1].split(":", 1)
        if len(rest) >= 3 and rest[2] == "proxy" and res.plural in ("pods", "services"):
            tail = "/".join(rest[3:]) + ("/" if request.path.endswith("/") and rest[3:] else "")
            return await self._proxy(
                request,
                res,
                namespace or "default",
                name[0],
                name[1] if len(name) > 1 else None,
                tail,
            )
        if len(rest) != 2:
            return status(404, "NotFound", f"the server could not find {request.path}")
        obj = self._get(res, namespace, rest[1])
        if obj is None:
            return status(404, "NotFound", f'{res.plural} "{rest[1]}" not found')
        if _wants_table(request):
            return _json(table_for(res.kind, [obj], self.store.resource_version))
        return _json(_at_version(obj, res))

    # -- reads -----------------------------------------------------------------------------

    def _iter(
        self, res: Resource, namespace: str | None, after: Key | None = None
    ) -> Iterator[Obj]:
        """Objects in list order (namespace, name), starting after a continue position."""
        ns = namespace if res.namespaced else None
        if res.kind != "Namespace":
            return self.store.iter_from(res.kind, ns, after)
        return (
            n
            for n in _namespaces(self.store)
            if after is None or ("", n["metadata"]["name"]) > after
        )

    def _get(self, res: Resource, namespace: str | None, name: str) -> Obj | None:
        if res.kind == "Namespace":
            return next((n for n in _namespaces(self.store) if n["metadata"]["name"] == name), None)
        return self.store.get(res.kind, namespace if res.namespaced else None, name)

    async def _list(
        self, request: web.Request, res: Resource, namespace: str | None
    ) -> web.StreamResponse:
        try:
            labels = parse_labels(request.query.get("labelSelector", ""))
            fields = parse_fields(request.query.get("fieldSelector", ""))
            after = _decode_continue(request.query.get("continue"))
            limit = int(request.query.get("limit") or 0)
        except ValueError as exc:
            return status(400, "BadRequest", str(exc))
        rv = self.store.resource_version
        if (
            not labels
            and not fields
            and not _wants_table(request)
            and (encoded := self._encoded_for(res)) is not None
        ):
            return await _encoded_list(
                request, encoded, res, namespace if res.namespaced else None, after, limit, rv
            )
        matching = (
            o
            for o in self._iter(res, namespace, after)
            if label_matches(o, labels) and field_matches(o, fields)
        )
        page: list[Obj] = []
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        for obj in matching:
            if 0 < limit <= len(page):
                # One more match exists: hand out a position, not an offset, so objects
                # added or removed meanwhile neither repeat nor vanish from later pages.
                last = _key(page[-1])
                meta["continue"] = _encode_continue(last, rv)
                if not labels and not fields and res.kind != "Namespace":
                    # Like a real server, only unfiltered lists know what remains.
                    meta["remainingItemCount"] = self.store.count_from(
                        res.kind, namespace if res.namespaced else None, last
                    )
                break
            page.append(obj)
        if _wants_table(request):
            table = table_for(res.kind, page, rv)
            table["metadata"].update(meta)
            return _json(table)
        return _json(
            {
                "kind": f"{res.kind}List",
                "apiVersion": res.group_version,
                "metadata": meta,
                "items": [_at_version(o, res) for o in page],
            }
        )

    def _encoded_for(self, res: Resource) -> EncodedStore | None:
        """The store, when objects of ``res`` can be served as their stored bytes."""
        store = self.store
        if (
            isinstance(store, EncodedStore)
            and res.kind != "Namespace"
            and store.served_as(res.kind, res.group_version)
        ):
            return store
        return None

    async def _watch(
        self, request: web.Request, res: Resource, namespace: str | None
    ) -> web.StreamResponse:
        try:
            labels = parse_labels(request.query.get("labelSelector", ""))
            fields = parse_fields(request.query.get("fieldSelector", ""))
            timeout = float(request.query.get("timeoutSeconds") or 1800)
        except ValueError as exc:
            return status(400, "BadRequest", str(exc))
        bookmarks = _truthy(request.query.get("allowWatchBookmarks"))
        since = request.query.get("resourceVersion") or ""
        initial = _initial_events(request.query, bookmarks)
        if isinstance(initial, str):
            return status(422, "Invalid", f"ListOptions.meta.k8s.io is invalid: {initial}")
        if initial and since.isdigit() and int(since) > self.store.resource_version:
            return status(
                504,
                "Timeout",
                f"Too large resource version: {since}, current: {self.store.resource_version}",
            )
        as_table = _wants_table(request)
        controls = self.watches
        opened = WatchOpened(res.kind, namespace, since, bookmarks, streaming=bool(initial))
        wait = controls.throttled(res.kind)
        if wait is not None:
            controls.record(replace(opened, answered=429))
            refused = status(429, "TooManyRequests", "Too many requests, please try again later.")
            refused.headers["Retry-After"] = f"{wait:g}"
            return refused
        if initial and controls.no_watch_list:
            controls.record(replace(opened, answered=422))
            return status(
                422,
                "Invalid",
                "ListOptions.meta.k8s.io is invalid: sendInitialEvents: Forbidden: "
                "sendInitialEvents is forbidden for watch unless the WatchList feature gate "
                "is enabled",
            )
        oldest = (
            self.store.resource_version + 1
            if controls.always_expired
            else self.store.oldest_rv(res.kind)
        )
        # A streaming list starts from the current state: no version is too old for it.
        expired = None if initial else _expired(since, oldest)
        if expired is not None and controls.gone_as_status:
            controls.record(replace(opened, answered=410))
            return status(410, "Expired", expired)
        # Subscribe before replaying, so nothing put during the replay is missed;
        # `sent_rv` then drops queued events the replay already covered.
        sub = self.store.subscribe(frozenset({res.kind}))
        wake = sub.wake = asyncio.Event()
        self._watches.add(wake)
        stream = controls.begin(opened, wake, request.transport)
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        first_row = True

        def wanted(obj: Obj) -> bool:
            ns = obj.get("metadata", {}).get("namespace")
            return (
                (namespace is None or not res.namespaced or ns == namespace)
                and label_matches(obj, labels)
                and field_matches(obj, fields)
            )

        async def send_initial() -> None:
            """ADDED for every current object: stored bytes joined when they can be, else
            one object at a time."""
            encoded = self._encoded_for(res)
            if encoded is None or as_table or labels or fields:
                for obj in list(self._iter(res, namespace)):
                    if wanted(obj):
                        await send("ADDED", obj)
                return
            ns = namespace if res.namespaced else None
            batch: list[bytes] = []
            for raw in list(encoded.iter_encoded(res.kind, ns)):
                batch.append(b'{"type":"ADDED","object":' + raw + b"}\n")
                if len(batch) >= EVENTS_PER_WRITE:
                    await write_batch(batch)
            if batch:
                await write_batch(batch)

        async def write_batch(batch: list[bytes]) -> None:
            if stream.dropped:
                raise ConnectionResetError("dropped by the lab")
            await response.write(b"".join(batch))
            batch.clear()

        async def send(kind: str, obj: Obj) -> None:
            nonlocal first_row
            if stream.dropped:
                raise ConnectionResetError("dropped by the lab")
            if as_table and kind in ("ADDED", "MODIFIED", "DELETED"):
                obj = table_for(res.kind, [obj], self.store.resource_version)
                if not first_row:
                    obj["columnDefinitions"] = []  # as a real server: headers once
                first_row = False
            else:
                obj = _at_version(obj, res)
            await response.write(json.dumps({"type": kind, "object": obj}).encode() + b"\n")

        try:
            await response.prepare(request)
            sent_rv = self.store.resource_version
            if initial:
                await send_initial()
                await self._bookmark(send, res, sent_rv, initial_end=True)
            elif initial is False and since in ("", "0"):
                pass  # sendInitialEvents=false: from now, without the current objects
            elif since in ("", "0"):
                await send_initial()
            else:
                if expired is not None:
                    await send(
                        "ERROR",
                        {
                            "kind": "Status",
                            "apiVersion": "v1",
                            "metadata": {},
                            "status": "Failure",
                            "reason": "Expired",
                            "code": 410,
                            "message": expired,
                        },
                    )
                    return response
                rv = int(since) if since.isdigit() else 0
                for event in self.store.events_after(res.kind, rv):
                    if wanted(event.object):
                        await send(event.type, event.object)
            if bookmarks and not initial:
                await self._bookmark(send, res)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + controls.seconds(timeout)
            while not self._closing and (remaining := deadline - loop.time()) > 0:
                if stream.stalled:
                    await self._stay_silent(stream, deadline)
                    break
                with suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), min(remaining, controls.bookmark_every))
                wake.clear()
                if stream.dropped:
                    raise ConnectionResetError("dropped by the lab")
                if stream.stalled:
                    continue
                quiet = not sub.queue and loop.time() < deadline and not self._closing
                if quiet and bookmarks:  # bookmark_every passed without events
                    await self._bookmark(send, res)
                while sub.queue:
                    event = sub.queue.popleft()
                    if event.rv > sent_rv and wanted(event.object):
                        await send(event.type, event.object)
        except ConnectionResetError:
            pass  # the client went away, or the lab cut it off
        finally:
            controls.end(stream)
            self.store.unsubscribe(sub)
            self._watches.discard(wake)
        return response

    async def _stay_silent(self, stream: WatchStream, deadline: float) -> None:
        """A stalled stream: the connection stays open and nothing is sent, until the
        client gives up, the lab cuts it or stops, or the stream's time is up."""
        loop = asyncio.get_running_loop()
        while not (self._closing or stream.dropped or stream.client_gone):
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            stream.wake.clear()
            # Polled: nothing else tells a handler that its silent client has left.
            with suppress(TimeoutError):
                await asyncio.wait_for(stream.wake.wait(), min(remaining, 0.2))
        if stream.dropped:
            raise ConnectionResetError("dropped by the lab")

    async def _bookmark(
        self, send: Any, res: Resource, rv: int | None = None, *, initial_end: bool = False
    ) -> None:
        meta: dict[str, Any] = {
            "resourceVersion": str(self.store.resource_version if rv is None else rv)
        }
        if initial_end:
            meta["annotations"] = {INITIAL_EVENTS_END: "true"}
        await send(
            "BOOKMARK", {"kind": res.kind, "apiVersion": res.group_version, "metadata": meta}
        )

    # -- proxy -----------------------------------------------------------------------------

    async def _proxy(
        self,
        request: web.Request,
        res: Resource,
        namespace: str,
        name: str,
        port: str | None,
        tail: str,
    ) -> web.StreamResponse:
        if request.method != "GET":
            return status(405, "MethodNotAllowed", "the kpath lab proxies GET only")
        target = (
            _pod_target(self.store, namespace, name, port)
            if res.plural == "pods"
            else _service_target(self.store, namespace, name, port)
        )
        if isinstance(target, str):
            return status(503, "ServiceUnavailable", target)
        host, number = target
        url = f"http://{host}:{number}/{tail}"
        # kubectl adds its own ?timeout= to proxied URLs; it is meant for the API server.
        query = [(k, v) for k, v in request.query.items() if k != "timeout"]
        if query:
            url += "?" + urlencode(query)
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=PROXY_TIMEOUT)
            )
        try:
            # A fresh connection per request, as a real API server's proxy does.
            async with self._session.get(url, headers={"Connection": "close"}) as upstream:
                body = await upstream.read()
                headers = {
                    k: v
                    for k, v in upstream.headers.items()
                    if k.lower() in ("content-type",) or k.lower().startswith("x-")
                }
                return web.Response(body=body, status=upstream.status, headers=headers)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            reason = str(exc) or type(exc).__name__
            return status(
                503, "ServiceUnavailable", f"error trying to reach {res.singular} {name}: {reason}"
            )


# -- helpers -------------------------------------------------------------------------------


def _echo_authorization(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """An error Status whose message quotes the request's Authorization header."""
    if (
        response.status < 400
        or not isinstance(response, web.Response)
        or not isinstance(response.body, bytes)
    ):
        return response
    try:
        doc = json.loads(response.body)
    except ValueError:
        return response
    if not isinstance(doc, dict) or doc.get("kind") != "Status":
        return response
    doc["message"] = (
        f"{doc.get('message', '')}; request had Authorization: "
        f"{request.headers.get('Authorization', '(none)')}"
    )
    return _json(doc, response.status)


def _json(body: Any, code: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(body).encode(), status=code, content_type="application/json"
    )


def _key(obj: Obj) -> Key:
    meta = obj["metadata"]
    return (meta.get("namespace") or "", meta["name"])


def _encode_continue(after: Key, rv: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"rv": rv, "after": after}).encode()).decode()


def _decode_continue(token: str | None) -> Key | None:
    if not token:
        return None
    try:
        ns, name = json.loads(base64.urlsafe_b64decode(token.encode()))["after"]
        return (str(ns), str(name))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError("invalid continue token") from exc


async def _encoded_list(
    request: web.Request,
    store: EncodedStore,
    res: Resource,
    namespace: str | None,
    after: Key | None,
    limit: int,
    rv: int,
) -> web.StreamResponse:
    """A list page built from stored bytes: the objects are joined, never decoded. A big
    page (an unpaged list of 150,000 pods is 1 GB) is streamed in parts, so the server
    never holds a second copy of it."""
    page = store.page(res.kind, namespace, after, limit)
    meta: dict[str, Any] = {"resourceVersion": str(rv)}
    if page.last is not None:
        meta["continue"] = _encode_continue(page.last, rv)
        meta["remainingItemCount"] = page.remaining
    head = (
        f'{{"kind":"{res.kind}List","apiVersion":"{res.group_version}","metadata":'
        f'{json.dumps(meta, separators=(",", ":"))},"items":['
    ).encode()
    items = page.items
    if len(items) <= EVENTS_PER_WRITE:
        return web.Response(
            body=b"".join((head, b",".join(items), b"]}")), content_type="application/json"
        )
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    await response.write(head)
    for start in range(0, len(items), EVENTS_PER_WRITE):
        part = b",".join(items[start : start + EVENTS_PER_WRITE])
        await response.write(part if start == 0 else b"," + part)
    await response.write(b"]}")
    await response.write_eof()
    return response


def _initial_events(query: Any, bookmarks: bool) -> bool | str | None:
    """A watch's ``sendInitialEvents``: True (a streaming list), False, None (not asked),
    or the reason the options are invalid, as the API server checks them."""
    asked = query.get("sendInitialEvents")
    match = query.get("resourceVersionMatch")
    if asked is None:
        if match:
            return (
                "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for "
                "watch unless sendInitialEvents is provided"
            )
        return None
    if match != "NotOlderThan":
        return (
            "resourceVersionMatch: Forbidden: sendInitialEvents requires setting "
            "resourceVersionMatch to NotOlderThan"
        )
    if asked in ("true", "1", "True"):
        if not bookmarks:
            return (
                "allowWatchBookmarks: Forbidden: sendInitialEvents requires setting "
                "allowWatchBookmarks to true"
            )
        return True
    return False


def _expired(since: str, oldest: int) -> str | None:
    """The 410 message for a watch from ``since`` when history before ``oldest`` is gone."""
    if since in ("", "0"):
        return None  # "from now, with the current objects": never too old
    rv = int(since) if since.isdigit() else 0
    return f"too old resource version: {rv} ({oldest})" if rv < oldest else None


def _truthy(value: str | None) -> bool:
    return value in ("true", "1", "True")


def _wants_table(request: web.Request) -> bool:
    return "as=Table" in request.headers.get("Accept", "")


def _at_version(obj: Obj, res: Resource) -> Obj:
    """The object as the version asked for shows it. A CRD with several served versions
    converts between them; the Gateway API's versions share one schema, so only the
    apiVersion differs (and objects stored from manifests keep the one they were written in
    until then)."""
    if obj.get("apiVersion", res.group_version) == res.group_version:
        return obj
    return {**obj, "apiVersion": res.group_version}


def _resource_list(served: Served, group: str, version: str) -> dict[str, Any]:
    resources = []
    for r in served.resources:
        if (r.group, r.version) != (group, version):
            continue
        resources.append(
            {
                "name": r.plural,
                "singularName": r.singular,
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": ["get", "list", "watch"],
                "shortNames": list(r.short),
                # as a real server: `kubectl get all` covers pods and services
                **({"categories": ["all"]} if r.plural in ("pods", "services") else {}),
            }
        )
        resources += [
            {
                "name": f"{r.plural}/{sub}",
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": ["get", "patch", "update"],
            }
            for sub in r.subresources
        ]
        if r.plural in ("pods", "services"):
            resources.append(
                {
                    "name": f"{r.plural}/proxy",
                    "singularName": "",
                    "namespaced": True,
                    "kind": f"{r.kind}ProxyOptions",
                    "verbs": ["get"],
                }
            )
    gv = f"{group}/{version}" if group else version
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": gv,
        "resources": resources,
    }


def _group(served: Served, name: str) -> dict[str, Any]:
    versions = [{"groupVersion": f"{name}/{v}", "version": v} for v in served.groups[name]]
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": name,
        "versions": versions,
        "preferredVersion": versions[0],
    }


def _group_list(served: Served) -> dict[str, Any]:
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [
            {k: v for k, v in _group(served, g).items() if k not in ("kind", "apiVersion")}
            for g in served.groups
        ],
    }


def _namespaces(store: Store) -> list[Obj]:
    """Namespace objects when any were put; otherwise derived from the objects present."""
    explicit = store.list("Namespace")
    if explicit:
        # The API server labels every Namespace with its own name (selectors rely on it).
        return [
            n
            if n["metadata"].get("labels", {}).get(NAME_LABEL) == n["metadata"]["name"]
            else _name_labelled(n)
            for n in explicit
        ]
    names = store.namespaces_in_use() | {"default", "kube-system"}
    return [
        {
            "kind": "Namespace",
            "apiVersion": "v1",
            "metadata": {"name": n, "resourceVersion": "1", "creationTimestamp": store.created},
            "status": {"phase": "Active"},
        }
        for n in sorted(names)
    ]


NAME_LABEL = "kubernetes.io/metadata.name"


def _name_labelled(namespace: Obj) -> Obj:
    meta = namespace["metadata"]
    labels = {**(meta.get("labels") or {}), NAME_LABEL: meta["name"]}
    return {**namespace, "metadata": {**meta, "labels": labels}}


def _pod_target(store: Store, namespace: str, name: str, port: str | None) -> tuple[str, int] | str:
    pod = store.get("Pod", namespace, name)
    if pod is None:
        return f"pod {namespace}/{name} not found"
    ip = (pod.get("status") or {}).get("podIP")
    if not ip:
        return f"pod {namespace}/{name} has no IP"
    ports = [p for c in pod.get("spec", {}).get("containers", []) for p in c.get("ports", [])]
    if port is None:
        if not ports:
            return f"pod {namespace}/{name} declares no port; name one (pods/{name}:PORT)"
        return ip, int(ports[0]["containerPort"])
    if port.isdigit():
        return ip, int(port)
    for p in ports:
        if p.get("name") == port:
            return ip, int(p["containerPort"])
    return f"pod {namespace}/{name} has no port named {port}"


def _service_target(
    store: Store, namespace: str, name: str, port: str | None
) -> tuple[str, int] | str:
    svc = store.get("Service", namespace, name)
    if svc is None:
        return f"service {namespace}/{name} not found"
    ports = svc.get("spec", {}).get("ports", [])
    chosen = next(
        (p for p in ports if port is None or p.get("name") == port or str(p.get("port")) == port),
        None,
    )
    if chosen is None:
        return f"service {namespace}/{name} has no port {port}"
    for s in store.list("EndpointSlice", namespace):
        if s["metadata"].get("labels", {}).get("kubernetes.io/service-name") != name:
            continue
        number = next(
            (
                p.get("port")
                for p in s.get("ports") or []
                if (p.get("name") or "") == (chosen.get("name") or "")
            ),
            None,
        )
        for ep in s.get("endpoints") or []:
            if (ep.get("conditions") or {}).get("ready", True) and number:
                return ep["addresses"][0], int(number)
    return f"no endpoints available for service {name}"


class ServerThread:
    """A `LabApiServer` over ``store`` on its own event loop in a daemon thread.

    For synchronous callers (tests, kpath's live-source tests, scripts)::

        with serve_in_thread(store, deny=("pods",)) as st:
            st.server.url                      # http://127.0.0.1:PORT
            st.server.write_kubeconfig(path)   # for kubectl / the Python client
            st.call(st.store.put, obj)         # the store belongs to the server's loop
            st.run(some_coroutine())           # e.g. start a backend in the same loop

    The store is not thread-safe: touch it only through `call` while the thread runs.
    """

    def __init__(self, store: Store | None = None, **kwargs: Any) -> None:
        self.store = store if store is not None else Store()
        self.loop = asyncio.new_event_loop()
        self.server = LabApiServer(self.store, **kwargs)
        self._thread = threading.Thread(
            target=self.loop.run_forever, daemon=True, name="kpath-lab-api"
        )

    def start(self) -> LabApiServer:
        self._thread.start()
        try:
            self.run(self.server.start())
        except BaseException:
            self._halt()
            raise
        return self.server

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run a coroutine on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a plain function on the server's loop and wait for its result."""

        async def run() -> T:
            return fn(*args)

        return self.run(run())

    def stop(self) -> None:
        try:
            self.run(self.server.stop())
        finally:
            self._halt()

    def _halt(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self.loop.close()

    def __enter__(self) -> ServerThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def serve_in_thread(store: Store | None = None, **kwargs: Any) -> Iterator[ServerThread]:
    """Start a `ServerThread` (``kwargs`` go to `LabApiServer`) and stop it on exit."""
    with ServerThread(store, **kwargs) as st:
        yield st
