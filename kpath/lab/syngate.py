"""A listening socket that drops the SYNs of some source addresses: NetworkPolicy on loopback.

A CNI drops a denied connection's packets, so the client's SYN goes unanswered and its
connect times out. A user-space server cannot do that per connection (the kernel completes
the handshake before `accept`), so a gated address:port is two sockets in one SO_REUSEPORT
group with a classic BPF program choosing between them by the SYN's IPv4 source address:

- index 0, the serving socket (handed to asyncio), for allowed sources;
- index 1, a socket whose accept queue is full and never drained (as `SilentPort`), where
  Linux drops the SYN; one filler connection from ``filler_ip`` keeps it full.

The program is a sorted list of dropped address ranges (`compile_drops`), rebuilt when the
policies or the pods change (`SynGate.set_drops`). Classic BPF needs no privilege; Linux only
(SO_ATTACH_REUSEPORT_CBPF).
"""

from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import socket
import struct
from collections.abc import Callable, Iterable, Sequence

SO_ATTACH_REUSEPORT_CBPF = 51  # Linux; Python's socket module has no name for it
_LD_W_ABS, _JGE_K, _JGT_K, _JEQ_K, _RET_K = 0x20, 0x35, 0x25, 0x15, 0x06
_SKF_NET_OFF = -0x100000  # loads relative to the network header
_SRC_OFFSET = 12  # the IPv4 header's source address
_BPF_MAXINSNS = 4096
MAX_RANGES = (_BPF_MAXINSNS - 8) // 4

Range = tuple[int, int]  # inclusive, as 32-bit integers


def ip_int(ip: str) -> int:
    return int(ipaddress.IPv4Address(ip))


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k & 0xFFFFFFFF)


def merge(ranges: Iterable[Range]) -> list[Range]:
    out: list[Range] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def compile_drops(drops: Sequence[Range], filler: int) -> bytes:
    """The program: the filler's SYN to the silent socket, then each dropped range (sorted,
    disjoint): below it, serve; inside it, drop; past it, try the next."""
    drops = merge(drops)
    if len(drops) > MAX_RANGES:
        raise ValueError(f"{len(drops)} address ranges do not fit one BPF program")
    code = [
        _insn(_LD_W_ABS, 0, 0, _SKF_NET_OFF + _SRC_OFFSET),
        _insn(_JEQ_K, 0, 1, filler),
        _insn(_RET_K, 0, 0, 1),
    ]
    for lo, hi in drops:
        code += [
            _insn(_JGE_K, 1, 0, lo),
            _insn(_RET_K, 0, 0, 0),
            _insn(_JGT_K, 1, 0, hi),
            _insn(_RET_K, 0, 0, 1),
        ]
    code.append(_insn(_RET_K, 0, 0, 0))
    return b"".join(code)


def _attach(sock: socket.socket, program: bytes) -> None:
    buf = ctypes.create_string_buffer(program, len(program))
    # struct sock_fprog {unsigned short len; struct sock_filter *filter;}: the kernel copies
    # the program during the call, so the buffer only has to outlive it.
    fprog = struct.pack("HxxxxxxQ", len(program) // 8, ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, fprog)


def decision_ranges(points: Iterable[int], allowed: Callable[[int], bool]) -> list[Range]:
    """The dropped ranges of a verdict that is constant between consecutive ``points``
    (every CIDR's first address and the one past its last, every address that is a pod or
    a node, and the address after it): one question per stretch, not per address."""
    starts = sorted({0, *(p for p in points if 0 <= p <= 0xFFFFFFFF)})
    drops: list[Range] = []
    for i, start in enumerate(starts):
        end = starts[i + 1] - 1 if i + 1 < len(starts) else 0xFFFFFFFF
        if not allowed(start):
            drops.append((start, end))
    return merge(drops)


class SynGate:
    """One gated address:port. ``sock`` serves (give it to `asyncio.start_server`)."""

    def __init__(self, host: str, port: int, filler_ip: str) -> None:
        self._filler_int = ip_int(filler_ip)
        self.drops: list[Range] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._silent: socket.socket | None = None
        self._filler: socket.socket | None = None
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            self.sock.bind((host, port))
            self.sock.listen(128)
            port = self.sock.getsockname()[1]  # port 0: the one the kernel chose
            self.sock.setblocking(False)
            # The program first (so the filler lands in the silent socket), then the rest.
            _attach(self.sock, compile_drops([], self._filler_int))
            self._silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            self._silent.bind((host, port))
            self._silent.listen(0)
            self._filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._filler.bind((filler_ip, 0))
            self._filler.settimeout(1)
            self._filler.connect((host, port))
        except OSError:
            self.close()
            raise

    def set_drops(self, drops: Sequence[Range]) -> None:
        drops = merge(drops)
        if drops != self.drops:
            _attach(self.sock, compile_drops(drops, self._filler_int))
            self.drops = drops

    def close_extra(self) -> None:
        """Close the silent half (the serving socket belongs to asyncio's server)."""
        for s in (self._filler, self._silent):
            if s is not None:
                with contextlib.suppress(OSError):
                    s.close()
        self._filler = self._silent = None

    def close(self) -> None:
        self.close_extra()
        with contextlib.suppress(OSError):
            self.sock.close()
