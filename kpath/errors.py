"""Errors a user can act on. The CLI prints them as one line and exits 2; never a traceback."""


class KpathError(Exception):
    """Base class: the message is written for the user, complete in one line."""


class InputError(KpathError):
    """A dump file, flag or argument kpath cannot use (exit code 2)."""


class SourceError(KpathError):
    """The cluster could not be read at all: API server unreachable, kubeconfig unusable."""
