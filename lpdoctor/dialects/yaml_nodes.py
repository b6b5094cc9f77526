"""YAML documents as nodes, refused when aliases and merge keys would make them huge once expanded.

A YAML node graph is small on disk and can be enormous once read: ``&a [*b, *b, ...]`` ("billion laughs")
and merge keys (``<<: [*a, *a, ...]``, eight levels of ten: 10^8 merged entries from 26 lines). Every
reader that walks nodes expands them (aliases are followed, merge keys are resolved), and PyYAML's own
``safe_load`` copies merged entries into each mapping. :func:`compose_documents` counts, before anyone
walks, how many values every document stands for — each alias as often as it is used, each merged mapping's
entries once per merge — in time linear in the file, and refuses a document past :data:`MAX_EXPANDED`
values or one that contains itself.
"""

from __future__ import annotations

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

MAX_EXPANDED = 1_000_000  # values one document may stand for once aliases and merge keys are expanded
_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlTooLarge(ValueError):
    """A document that expands past :data:`MAX_EXPANDED` values, or into itself. ``str()`` says which."""


def compose_documents(text: str) -> list[Node]:
    """Every non-empty document of ``text`` composed with the safe loader (no tag is ever constructed).

    Raises ``yaml.YAMLError`` for what is not YAML, :class:`YamlTooLarge` for a document that would expand
    too far (all documents together count against one budget), and ``RecursionError`` for nesting deeper than
    the composer can follow.
    """
    docs = [d for d in yaml.compose_all(text, Loader=yaml.SafeLoader) if d is not None]
    check_expansion(docs)
    return docs


def check_expansion(docs: list[Node]) -> int:
    """How many values ``docs`` stand for once expanded; :class:`YamlTooLarge` past :data:`MAX_EXPANDED`."""
    sizes: dict[int, int] = {}  # id(node) -> expanded size, each shared (aliased) node counted once
    open_: set[int] = set()  # nodes being counted: meeting one again is a node that contains itself

    def size(node: Node) -> int:
        key = id(node)
        known = sizes.get(key)
        if known is not None:
            return known
        if key in open_:
            raise YamlTooLarge("YAML aliases refer to a collection that contains them")
        total = 1
        if isinstance(node, (MappingNode, SequenceNode)):
            open_.add(key)
            pairs = node.value if isinstance(node, MappingNode) else [(None, v) for v in node.value]
            for k, v in pairs:
                if k is not None:
                    total += size(k)
                merged = isinstance(k, yaml.ScalarNode) and k.tag == _MERGE_TAG
                # a merge key copies every entry of every mapping it names into this one
                total += size(v) if not merged or not isinstance(v, SequenceNode) else sum(size(m) for m in v.value)
                if total > MAX_EXPANDED:
                    raise YamlTooLarge(f"YAML aliases and merge keys expand to more than {MAX_EXPANDED} values")
            open_.discard(key)
        sizes[key] = total
        return total

    grand = 0
    for doc in docs:
        grand += size(doc)
        if grand > MAX_EXPANDED:
            raise YamlTooLarge(f"YAML aliases and merge keys expand to more than {MAX_EXPANDED} values")
    return grand
