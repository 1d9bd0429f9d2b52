"""sessionAffinityConfig.clientIP.timeoutSeconds, read only under ClientIP affinity."""

from __future__ import annotations

from typing import Any

import pytest

from kpath.errors import InputError
from tests.builders import key, service, snapshot


def affinity(**spec: Any) -> tuple[str, int | None]:
    svc = snapshot(service("web", **spec)).services[key("web")]
    return svc.session_affinity, svc.session_affinity_timeout


def test_timeout_given_defaulted_or_none() -> None:
    assert affinity(
        sessionAffinity="ClientIP", sessionAffinityConfig={"clientIP": {"timeoutSeconds": 600}}
    ) == ("ClientIP", 600)
    assert affinity(sessionAffinity="ClientIP") == ("ClientIP", 10800)  # the API's default
    assert affinity() == ("None", None)
    # A config left behind after affinity was turned off says nothing.
    assert affinity(
        sessionAffinity="None", sessionAffinityConfig={"clientIP": {"timeoutSeconds": 600}}
    ) == ("None", None)


@pytest.mark.parametrize("bad", [0, 86401, "600", 1.5])
def test_a_timeout_the_api_would_refuse_names_the_field(bad: object) -> None:
    with pytest.raises(InputError, match=r"sessionAffinityConfig\.clientIP\.timeoutSeconds"):
        affinity(
            sessionAffinity="ClientIP", sessionAffinityConfig={"clientIP": {"timeoutSeconds": bad}}
        )
