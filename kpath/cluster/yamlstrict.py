"""The YAML loader kpath reads dumps with: the safe loader, refusing duplicate keys.

Imported only when a YAML file is read (kpath.cluster.dumpfiles._yaml): PyYAML is slow to
import and a JSON dump never needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

_MERGE_TAG = "tag:yaml.org,2002:merge"

# The C loader is much faster; both are "safe" loaders (no Python object tags). The type
# checker sees the pure-Python one, whose methods the C one shares.
if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DuplicateKey(yaml.constructor.ConstructorError):
    """A mapping names the same key twice (``problem`` names it)."""

    def __init__(self, key: str, mark: yaml.Mark) -> None:
        super().__init__(None, None, f"duplicate key {key!r}", mark)
        self.key = key


class StrictLoader(_SafeLoader):
    """The safe loader, refusing duplicate keys as kubectl does.

    PyYAML would silently keep the last value, so objects pasted one after another
    without `---` (what `kubectl … --local -o yaml` prints for several objects) would
    collapse into the last one.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        pairs = node.value
        # Keys brought in by a merge (`<<: *defaults`) may legitimately be overridden.
        if not any(key.tag == _MERGE_TAG for key, _ in pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        raise DuplicateKey(key.value, key.start_mark)
                    seen.add(key.value)
        return super().construct_mapping(node, deep)
