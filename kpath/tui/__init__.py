"""kpath's terminal UI (the only package that imports textual)."""
