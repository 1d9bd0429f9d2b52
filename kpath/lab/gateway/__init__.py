"""The lab as a Gateway API implementation: its own controller and matcher (written from the
specification, never from kpath's routing), the infrastructure it generates per Gateway,
the status it writes, and the proxies that route real requests on loopback."""
