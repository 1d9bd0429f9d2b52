"""Pure parts of namespace handling: NAME -n NS, unknown namespaces, what a dump holds."""

from __future__ import annotations

import pytest

from kpath.cluster.namespaces import dump_namespaces, qualify, unknown_namespace
from kpath.errors import InputError


@pytest.mark.parametrize(
    ("ref", "namespace", "default", "full"),
    [
        ("web", "shop", "default", "shop/web"),  # -n wins over the context
        ("web", None, "team-a", "team-a/web"),  # the context's namespace
        ("shop/web", None, "default", "shop/web"),
        ("shop/web", "shop", "default", "shop/web"),
    ],
)
def test_qualify(ref: str, namespace: str | None, default: str, full: str) -> None:
    assert qualify(ref, namespace, default, "service") == full


@pytest.mark.parametrize("ref", ["/web", "shop/", ""])
def test_qualify_refuses_other_shapes_in_one_line(ref: str) -> None:
    with pytest.raises(InputError, match="NAME \\(with -n NAMESPACE\\) or NAMESPACE/NAME"):
        qualify(ref, None, "default", "service")


def test_qualify_refuses_two_namespaces_unless_told_not_to() -> None:
    with pytest.raises(InputError, match="-n says 'other'"):
        qualify("shop/web", "other", "default", "service")
    assert qualify("shop/web", "other", "default", "source", strict=False) == "shop/web"


def test_unknown_namespace_names_those_that_exist() -> None:
    assert unknown_namespace("shop", ["default", "shop"]) is None
    assert unknown_namespace("nope", None) is None  # could not be listed: no check
    assert (
        unknown_namespace("nope", ["default", "shop"])
        == 'namespace "nope" not found (namespaces: default, shop)'
    )
    assert unknown_namespace("nope", []) == 'namespace "nope" not found (namespaces: none)'


def test_dump_namespaces_are_its_namespace_objects_else_its_objects() -> None:
    objs = {
        "Service": [{"metadata": {"name": "a", "namespace": "shop"}}],
        "Pod": [{"metadata": {"name": "p", "namespace": "tools"}}, {"metadata": None}],
        "Node": [{"metadata": {"name": "n1"}}],
    }
    assert dump_namespaces(objs) == ["shop", "tools"]
    objs["Namespace"] = [{"metadata": {"name": "shop"}}, {"metadata": {"name": "empty"}}]
    assert dump_namespaces(objs) == ["empty", "shop"]
