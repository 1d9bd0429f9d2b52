"""Session-wide checks for the whole suite.

`tests.readonly_check` fails the session if any lab API server received a request that was
not GET (other than a lab test's own, deliberately marked), and says how many it answered.
"""

pytest_plugins = ["tests.readonly_check"]

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _snapshot_cache_in_tmp(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `kpath request --dump` keeps snapshots in the user's cache directory; tests never
    # write there (and a subprocess they start inherits the variable).
    monkeypatch.setenv("KPATH_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "kpath-cache"))
