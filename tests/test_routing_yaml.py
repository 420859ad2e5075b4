"""The fast way of reading a routing file builds exactly what PyYAML would, or leaves it to
PyYAML: every YAML 1.1 spelling of a number, merge keys, aliases, duplicate keys."""

from __future__ import annotations

import pytest
import yaml

from services.routing_file import RoutingError, parse_routing
from services.routing_yaml import FastUniqueKeyLoader, UniqueKeyLoader

TRICKY = """
base: &base {chat: -1001, forum: false}
grid:
  <<: *base
  code: "007"
  numbers: [017, 0x1F, 0o17, 1_000, +12, -3, 0, 1:30, 190:20:30]
  floats: [1.5, -0.25, 1_000.5, 6.8523015e+5, .inf, -.Inf, .nan, 1:30.5, +.5]
  words: [yes, no, ~, null, "12", '3.5', 2026-12-05, text]
  nested: [[[120.75, 30.76], [120.7560, 30.7600]], []]
  same: *base
1: one
"""


def test_the_fast_reader_builds_what_pyyaml_builds() -> None:
    fast = yaml.load(TRICKY, Loader=FastUniqueKeyLoader)
    slow = yaml.load(TRICKY, Loader=UniqueKeyLoader)
    nan, slow_nan = fast["grid"]["floats"].pop(6), slow["grid"]["floats"].pop(6)
    assert nan != nan and slow_nan != slow_nan  # NaN equals nothing, itself neither
    assert fast == slow
    assert fast["grid"]["numbers"] == [15, 31, "0o17", 1000, 12, -3, 0, 90, 685230]
    assert fast["grid"]["chat"] == -1001 and fast["grid"]["code"] == "007"


def test_a_key_written_twice_is_refused_either_way() -> None:
    with pytest.raises(RoutingError, match="the key 'code' appears twice in one mapping"):
        parse_routing("communities:\n  - code: a\n    code: b\n", "twice.yaml", None)


def test_an_alias_cycle_is_refused_in_words_not_a_recursion_error() -> None:
    with pytest.raises(RoutingError, match="recursive"):
        parse_routing("a: &x\n  b: *x\n", "loop.yaml", None)
