"""Reading YAML strictly and fast: a key written twice is refused (PyYAML keeps the last), and a
city's file (megabytes, millions of coordinates) is read with libyaml and built without PyYAML's
generic constructors. Used to read the routing file (services/routing_file.py).
"""

from __future__ import annotations

from typing import Any

import yaml


class UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (PyYAML keeps the last)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:  # unhashable: construct_mapping reports it
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} appears twice in one mapping", key_node.start_mark
            )
    return loader.construct_mapping(node, deep=True)


UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"


def _plain(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """Build a node's value directly where it is plain (strings, decimal numbers, lists,
    mappings with string keys), leaving anything else to PyYAML. PyYAML's generic constructor
    machinery costs more per value than reading it (a city has millions of coordinates); libyaml
    still does the reading. The values are those PyYAML would build, duplicate keys refused."""
    kind = type(node)
    if kind is yaml.ScalarNode:
        tag, value = node.tag, node.value
        if tag == _STR_TAG:
            return value
        digits = value.lstrip("+-")
        try:  # YAML 1.1 also reads 0x1F, 017 (octal), 1:30, .inf: PyYAML's way, below
            if tag == _FLOAT_TAG and ":" not in value:
                return float(value)
            if tag == _INT_TAG and (digits == "0" or not digits.startswith("0")):
                return int(value, 10)
        except ValueError:
            pass
    elif kind is yaml.SequenceNode and node.tag == yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG:
        return [_plain(loader, item) for item in node.value]
    elif kind is yaml.MappingNode and node.tag == yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG:
        built: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if type(key_node) is not yaml.ScalarNode or key_node.tag != _STR_TAG:
                return _construct_mapping(loader, node)  # type: ignore[arg-type]  # merge keys…
            key = key_node.value
            if key in built:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} appears twice in one mapping", key_node.start_mark
                )
            built[key] = _plain(loader, value_node)
        return built
    return loader.construct_object(node, deep=True)


class FastUniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same, reading with libyaml (C) when PyYAML has it (a city's file is megabytes), and
    building plain values directly (`_plain`)."""


FastUniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _plain)
