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


def test_a_typed_dump_s_namespaces_are_read_from_its_structs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from kpath.cluster.dump import load_dump

    def item(kind: str, name: str, ns: str | None = None) -> dict[str, object]:
        meta = {"name": name, **({"namespace": ns} if ns else {})}
        return {"apiVersion": "v1", "kind": kind, "metadata": meta}

    for items, want in (
        (
            [item("Pod", "a", "shop"), item("Node", "n"), item("Pod", "b", "tools")],
            ["shop", "tools"],
        ),
        ([item("Namespace", "empty"), item("Pod", "a", "shop")], ["empty"]),
    ):
        path = tmp_path / "dump.json"
        path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
        raw = load_dump([path])
        assert any(type(o) is not dict for objs in raw.held.values() for o in objs)
        assert dump_namespaces(raw.held) == want
        assert dump_namespaces(raw.objects) == want  # the same as their dicts
