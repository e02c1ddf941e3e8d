"""The one YAML loader for every file in data/: PyYAML's SafeLoader that refuses duplicate keys.

Plain PyYAML keeps the last of two equal keys and silently drops the first block; a data file with a duplicate key
is a mistake of an editor, so it is an error here, with the line of both keys.

The parser is libyaml's (``CSafeLoader``, shipped inside PyYAML's wheels) when it is there: the same documents and
errors, about six times faster than the pure-Python parser, which made up half of the bot's start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import yaml

YAMLError = yaml.YAMLError


_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UniqueKeyLoader(_Base):
    """SafeLoader (libyaml's parser when available) that refuses duplicate keys in any mapping."""


def _construct_mapping(loader: UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` may be overridden by explicit keys
            continue
        key = loader.construct_object(key_node, deep=deep)
        try:
            first = seen.get(key)
        except TypeError:  # an unhashable key: construct_mapping reports it
            continue
        if first is not None:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {first + 1})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load(stream: str | bytes | IO[str]) -> Any:
    """Parse YAML text safely; raise yaml.YAMLError (with the line) on a duplicate key."""
    return yaml.load(stream, Loader=UniqueKeyLoader)


def load_file(path: Path) -> Any:
    with Path(path).open(encoding="utf-8") as fh:
        return load(fh)
