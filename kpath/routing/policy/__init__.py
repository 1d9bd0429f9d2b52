"""NetworkPolicy: whether a connection from a source to a pod is allowed, as the
NetworkPolicy API defines it (`evaluate.reach`), and what that means on every path."""
