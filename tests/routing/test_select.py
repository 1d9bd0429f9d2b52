"""kpath's label selectors against apimachinery's own cases (pkg/labels/selector_test.go)
and a render → parse round trip."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpath.errors import InputError
from kpath.routing.select import (
    EXISTS,
    IN,
    NOT_EXISTS,
    NOT_IN,
    Requirement,
    matches,
    parse_selector,
    render,
)

# TestSelectorParse and TestSetSelectorParser: what parses.
GOOD = [
    "x=a,y=b,z=c",
    "",
    "x!=a,y=b",
    "x=",
    "x= ",
    "x=,z= ",
    "x= ,z= ",
    "!x",
    "x>1",
    "x>1,z<5",
    "\rx",
    "this-is-a-dns.domain.com/key-with-dash",
    "this-is-another-dns.domain.com/key-with-dash in (so,what)",
    "0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
    "foo  in\t (abc)",
    "x notin\n (abc)",
    "x  notin\t\t\t(abc,def)",
    "x in (abc,def)",
    "x in (abc,)",
    "x in ()",
    "x notin (abc,def),bar,z in (),w",
    "x,y in (a)",
    "x=a",
    "x<7",
    "x=a,y!=b",
    "x=a,y!=b,z in (h,i,j)",
    "x notin ( )",
    "x notin (, a)",
    "a ",
    "a in (x,y,notin, z,in)",
    "notin=in",
    "x==a",
    "a notin(b)",
]
# ... and what does not.
BAD = [
    "x=a||y=b",
    "x==a==b",
    "!x=a",
    "x<a",
    "x,,y",
    ",x,y",
    "x nott in (y)",
    "a in (xyz),",
    "a in (xyz)b notin ()",
    "a in (xyz abc)",
    "a notin(",
    "a (",
    "(",
    "x>a",
    "a" * 64,
    "-a=b",
    "a=-b",
    "a=" + "b" * 64,
    "Example.com/a",
    "/a",
    "a/b/c",
    "app in a",
    "a=b)",
]


@pytest.mark.parametrize("text", GOOD)
def test_apimachinery_good_strings_parse(text: str) -> None:
    parse_selector(text)


@pytest.mark.parametrize("text", BAD)
def test_apimachinery_bad_strings_are_one_line_input_errors(text: str) -> None:
    with pytest.raises(InputError) as err:
        parse_selector(text)
    assert "\n" not in str(err.value) and "label selector" in str(err.value)


def test_restring_is_apimachinerys_for_equality() -> None:
    # TestSelectorParse: String() of a parsed selector is the input without spaces.
    for text in ["x=a,y=b,z=c", "x!=a,y=b", "x=", "x=,z=", "!x", "x>1", "x>1,z<5"]:
        assert render(parse_selector(text)) == render(parse_selector(text.replace(" ", "")))
    assert render(parse_selector("z=c,x=a")) == "x=a,z=c"  # TestDeterministicParse


def test_sets_render_as_apimachinery_writes_them() -> None:
    assert (
        render(parse_selector("x in (def,abc),y notin (jkl),z")) == "x in (abc,def),y notin (jkl),z"
    )
    assert (
        render(parse_selector("x notin (abc),y in (jkl,mno),z notin ()"))
        == "x notin (abc),y in (jkl,mno),z notin ()"
    )
    assert parse_selector("x in (abc,)") == (Requirement("x", IN, ("abc", "")),)


MATCH = [
    ("", {"x": "y"}),
    ("x=y", {"x": "y"}),
    ("x=y,z=w", {"x": "y", "z": "w"}),
    ("x!=y,z!=w", {"x": "z", "z": "a"}),
    ("notin=in", {"notin": "in"}),
    ("x", {"x": "z"}),
    ("!x", {"y": "z"}),
    ("x>1", {"x": "2"}),
    ("x<1", {"x": "0"}),
    ("foo=bar,baz=blah", {"foo": "bar", "baz": "blah"}),
    ("x in (foo),y notin (alpha)", {"x": "foo", "y": "baz"}),
    ("x notin (),y", {"y": ""}),
    ("!x,y", {"y": ""}),
    ("z>1", {"z": "2"}),
    ("app!=web", {}),
    ("app notin (web)", {"tier": "db"}),
]
NO_MATCH = [
    ("x=z", {}),
    ("x=y", {"x": "z"}),
    ("x=y,z=w", {"x": "w", "z": "w"}),
    ("x!=y,z!=w", {"x": "z", "z": "w"}),
    ("x", {"y": "z"}),
    ("!x", {"x": "z"}),
    ("x>1", {"x": "0"}),
    ("x<1", {"x": "2"}),
    ("foo=bar,foobar=bar,baz=blah", {"foo": "bar", "baz": "blah"}),
    ("x in (foo),y in (alpha)", {"x": "foo", "y": "baz"}),
    ("x notin (),!y", {"y": ""}),
    ("x in ()", {"y": "baz"}),
    ("z>1", {"z": "v2"}),
    ("x>1", {}),
]


@pytest.mark.parametrize(("text", "labels"), MATCH)
def test_apimachinery_matches(text: str, labels: dict[str, str]) -> None:
    assert matches(labels, parse_selector(text))


@pytest.mark.parametrize(("text", "labels"), NO_MATCH)
def test_apimachinery_does_not_match(text: str, labels: dict[str, str]) -> None:
    assert not matches(labels, parse_selector(text))


def test_key_length_limits() -> None:
    parse_selector("a" * 63)
    parse_selector("b" * 63 + "/" + "a" * 63)
    with pytest.raises(InputError, match="prefix"):
        parse_selector(("b" * 63 + ".") * 4 + "b/a")  # a prefix of 256 characters


def test_error_names_what_cannot_be_read() -> None:
    with pytest.raises(InputError, match="'nott'"):
        parse_selector("x nott in (y)")
    with pytest.raises(InputError, match="label value 'b\\|\\|c'"):
        parse_selector("a=b||c")


_name = st.from_regex(r"[a-z0-9]([-a-z0-9_.]{0,10}[a-z0-9])?", fullmatch=True)
_key = st.one_of(
    _name,
    st.builds(
        lambda p, n: f"{p}/{n}",
        st.from_regex(r"[a-z0-9]{1,5}(\.[a-z0-9]{1,5}){0,2}", fullmatch=True),
        _name,
    ),
)
_value = st.one_of(st.just(""), _name)
_req = st.one_of(
    st.builds(
        lambda k, op, v: Requirement(k, op, (v,)), _key, st.sampled_from(["=", "!="]), _value
    ),
    st.builds(
        lambda k, op, vs: Requirement(k, op, tuple(sorted(set(vs)))),
        _key,
        st.sampled_from([IN, NOT_IN]),
        st.lists(_value, min_size=1, max_size=4),
    ),
    st.builds(lambda k, op: Requirement(k, op), _key, st.sampled_from([EXISTS, NOT_EXISTS])),
)


@given(st.lists(_req, max_size=5))
def test_render_then_parse_is_the_same_selector(reqs: list[Requirement]) -> None:
    text = render(reqs)
    again = parse_selector(text)
    assert render(again) == text
    assert sorted(again, key=lambda r: (r.key, r.op, r.values)) == sorted(
        reqs, key=lambda r: (r.key, r.op, r.values)
    )


@given(st.lists(_req, max_size=4), st.dictionaries(_key, _value, max_size=4))
def test_matching_is_every_requirement(reqs: list[Requirement], labels: dict[str, str]) -> None:
    assert matches(labels, parse_selector(render(reqs))) == all(r.matches(labels) for r in reqs)
