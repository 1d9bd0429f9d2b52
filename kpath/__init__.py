"""kpath: every way into a Kubernetes Service, predicted as kube-proxy routes it and probed live."""

__version__ = "0.1.0"
