"""Status the lab publishes keeps unchanged conditions' transition times (no spurious events)."""

from __future__ import annotations

from kpath.lab.gateway.status import keep_transition_times, with_status


def cond(ctype: str, status: str, reason: str, t: str) -> dict:
    return {
        "type": ctype,
        "status": status,
        "reason": reason,
        "message": "",
        "observedGeneration": 1,
        "lastTransitionTime": t,
    }


def test_unchanged_conditions_keep_their_time_changed_ones_move() -> None:
    old = {
        "conditions": [
            cond("Accepted", "True", "Accepted", "t0"),
            cond("Programmed", "False", "Pending", "t0"),
        ],
        "listeners": [
            {
                "name": "http",
                "attachedRoutes": 1,
                "conditions": [cond("Accepted", "True", "Accepted", "t0")],
            }
        ],
    }
    new = {
        "conditions": [
            cond("Accepted", "True", "Accepted", "t1"),
            cond("Programmed", "True", "Programmed", "t1"),
        ],
        "listeners": [
            {
                "name": "http",
                "attachedRoutes": 2,
                "conditions": [cond("Accepted", "True", "Accepted", "t1")],
            }
        ],
    }
    out = keep_transition_times(new, old)
    assert [c["lastTransitionTime"] for c in out["conditions"]] == ["t0", "t1"]
    assert out["listeners"][0]["conditions"][0]["lastTransitionTime"] == "t0"
    assert out["listeners"][0]["attachedRoutes"] == 2


def test_route_parents_match_by_parent_ref() -> None:
    ref_a, ref_b = {"name": "a"}, {"name": "b"}
    old = {
        "parents": [
            {
                "parentRef": ref_a,
                "controllerName": "x",
                "conditions": [cond("Accepted", "True", "Accepted", "t0")],
            }
        ]
    }
    new = {
        "parents": [
            {
                "parentRef": ref_b,
                "controllerName": "x",
                "conditions": [cond("Accepted", "True", "Accepted", "t1")],
            },
            {
                "parentRef": ref_a,
                "controllerName": "x",
                "conditions": [cond("Accepted", "True", "Accepted", "t1")],
            },
        ]
    }
    out = keep_transition_times(new, old)
    assert [p["conditions"][0]["lastTransitionTime"] for p in out["parents"]] == ["t1", "t0"]


def test_with_status_same_input_twice_is_equal() -> None:
    obj = {"kind": "HTTPRoute", "metadata": {"name": "r"}, "spec": {}}
    first = with_status(
        obj,
        {
            "parents": [
                {
                    "parentRef": {"name": "g"},
                    "conditions": [cond("Accepted", "True", "Accepted", "t0")],
                }
            ]
        },
        None,
    )
    second = with_status(
        obj,
        {
            "parents": [
                {
                    "parentRef": {"name": "g"},
                    "conditions": [cond("Accepted", "True", "Accepted", "t9")],
                }
            ]
        },
        first,
    )
    assert first == second
    assert "status" not in with_status(first, None, first)
