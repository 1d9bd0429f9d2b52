"""kubectl label selectors: parsed once, matched against labels. Pure.

The grammar and the checks are apimachinery's (``k8s.io/apimachinery/pkg/labels``), so
``kpath -l`` accepts and refuses what ``kubectl -l`` does:

- equality: ``a=b``, ``a==b``, ``a!=b``; existence: ``a``, ``!a``;
- sets: ``a in (x,y)``, ``a notin (x)`` (empty values allowed: ``a in (x,)``);
- ``a>1``, ``a<1`` (integers);
- requirements joined by commas, any whitespace around tokens.

Written here rather than taken from PyPI: the only package that parses this grammar
(libkubeselector 0.0.3) has seen no release since 2020 and lacks set-based parsing and the
key/value checks; the grammar is small and its test cases are apimachinery's own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kpath.errors import InputError

#: Operators as apimachinery names them in `Requirement.String()`.
EQUALS, DOUBLE_EQUALS, NOT_EQUALS = "=", "==", "!="
IN, NOT_IN, EXISTS, NOT_EXISTS, GT, LT = "in", "notin", "exists", "!", "gt", "lt"


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        have = labels.get(self.key)
        if self.op in (EQUALS, DOUBLE_EQUALS, IN):
            return have is not None and have in self.values
        if self.op in (NOT_EQUALS, NOT_IN):
            return have is None or have not in self.values  # as kubectl: no key matches
        if self.op == EXISTS:
            return have is not None
        if self.op == NOT_EXISTS:
            return have is None
        # gt/lt: both sides integers, else no match (apimachinery's rule).
        if have is None or not _INT.fullmatch(have):
            return False
        return int(have) > int(self.values[0]) if self.op == GT else int(have) < int(self.values[0])

    def render(self) -> str:
        """apimachinery's `Requirement.String()`: sets sorted, ``in (a,b)``."""
        if self.op == EXISTS:
            return self.key
        if self.op == NOT_EXISTS:
            return f"!{self.key}"
        if self.op in (IN, NOT_IN):
            return f"{self.key} {self.op} ({','.join(sorted(set(self.values)))})"
        sign = {GT: ">", LT: "<"}.get(self.op, self.op)
        return f"{self.key}{sign}{self.values[0]}"


Selector = tuple[Requirement, ...]

_INT = re.compile(r"[-+]?[0-9]+")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_SPECIAL = set("=!(),<>")
_SPACE = set(" \t\n\r\f\v")


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a label key (apimachinery's IsQualifiedName), or None."""
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return "its prefix before '/' is empty"
    if prefix:
        if len(prefix) > 253:
            return "its prefix is longer than 253 characters"
        if not all(_DNS_LABEL.fullmatch(p) and len(p) <= 63 for p in prefix.split(".")):
            return "its prefix is not a DNS subdomain (lower case, digits, '-', '.')"
        if "/" in prefix:
            return "it has more than one '/'"
    if not name:
        return "its name is empty"
    if len(name) > 63:
        return "its name is longer than 63 characters"
    if not _NAME.fullmatch(name):
        return (
            "its name must be letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit"
        )
    return None


def value_problem(value: str) -> str | None:
    """Why ``value`` is not a label value, or None (empty is a value)."""
    if len(value) > 63:
        return "it is longer than 63 characters"
    if value and not _NAME.fullmatch(value):
        return (
            "it must be letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit"
        )
    return None


def _tokens(text: str) -> list[str]:
    """apimachinery's lexer: operators and parentheses, else runs of ordinary characters."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _SPACE:
            i += 1
        elif ch in _SPECIAL:
            two = text[i : i + 2]
            if two in ("==", "!="):
                out.append(two)
                i += 2
            else:
                out.append(ch)
                i += 1
        else:
            j = i
            while j < len(text) and text[j] not in _SPECIAL and text[j] not in _SPACE:
                j += 1
            out.append(text[i:j])
            i = j
    return out


def _word(tok: str | None) -> bool:
    return tok is not None and tok[0] not in _SPECIAL


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.pos = 0

    def peek(self) -> str | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> str | None:
        tok = self.peek()
        self.pos += 1
        return tok

    def fail(self, why: str) -> InputError:
        return InputError(f"label selector {self.text!r}: {why}")

    def parse(self) -> Selector:
        reqs: list[Requirement] = []
        if self.peek() is None:
            return ()
        while True:
            reqs.append(self.requirement())
            tok = self.take()
            if tok is None:
                return tuple(reqs)
            if tok != ",":
                raise self.fail(
                    f"cannot read {tok!r} after {reqs[-1].render()!r} "
                    "(requirements are joined by commas)"
                )
            if self.peek() is None:
                raise self.fail("nothing after the last comma")

    def requirement(self) -> Requirement:
        tok = self.take()
        negated = tok == "!"
        if negated:
            tok = self.take()
        if not _word(tok):
            raise self.fail(
                "a requirement starts with a label key, not "
                + (repr(tok) if tok is not None else "the end")
            )
        assert tok is not None
        key = tok
        why = key_problem(key)
        if why is not None:
            raise self.fail(f"cannot read label key {key!r}: {why}")
        if negated:
            if self.peek() not in (None, ","):
                raise self.fail(f"'!{key}' takes no operator or value")
            return Requirement(key, NOT_EXISTS)
        op = self.peek()
        if op in (None, ","):
            return Requirement(key, EXISTS)
        self.pos += 1
        if op in ("in", "notin"):
            return Requirement(key, op, self.value_set(key, op))
        if op in ("=", "==", "!=", "<", ">"):
            value = self.peek()
            if _word(value):
                self.pos += 1
            else:
                value = ""  # `x=` is the empty value
            assert value is not None
            if op in ("<", ">"):
                if not _INT.fullmatch(value):
                    raise self.fail(f"{key}{op}{value}: '{op}' compares integers")
                return Requirement(key, GT if op == ">" else LT, (value,))
            self.check_value(value)
            return Requirement(key, op, (value,))
        raise self.fail(
            f"cannot read {op!r} after label key {key!r} "
            "(use =, ==, !=, in (…), notin (…), or the key alone)"
        )

    def value_set(self, key: str, op: str) -> tuple[str, ...]:
        if self.take() != "(":
            raise self.fail(f"'{key} {op}' needs a list of values in parentheses")
        values: list[str] = []
        expect_value = True
        while True:
            tok = self.take()
            if tok is None:
                raise self.fail(f"'{key} {op} (' is not closed")
            if tok == ")":
                if expect_value:
                    values.append("")  # `in ()`, `in (a,)`: the empty value
                return tuple(values)
            if tok == ",":
                if expect_value:
                    values.append("")
                expect_value = True
            elif _word(tok) and expect_value:
                self.check_value(tok)
                values.append(tok)
                expect_value = False
            else:
                raise self.fail(
                    f"cannot read {tok!r} in the values of '{key} {op}' "
                    "(values are separated by commas)"
                )

    def check_value(self, value: str) -> None:
        why = value_problem(value)
        if why is not None:
            raise self.fail(f"cannot read label value {value!r}: {why}")


def parse_selector(text: str | None) -> Selector:
    """A kubectl label selector's text → its requirements; `InputError` naming what cannot
    be read. None or "" selects everything."""
    return _Parser(text).parse() if text else ()


def render(selector: Iterable[Requirement]) -> str:
    """The selector as apimachinery writes it (requirements sorted by key, as it does)."""
    return ",".join(r.render() for r in sorted(selector, key=lambda r: r.key))


def matches(labels: Mapping[str, str], selector: Iterable[Requirement]) -> bool:
    return all(r.matches(labels) for r in selector)
