"""Session-wide checks for the whole suite.

`tests.readonly_check` fails the session if any lab API server received a request that was
not GET (other than a lab test's own, deliberately marked), and says how many it answered.
"""

pytest_plugins = ["tests.readonly_check"]
