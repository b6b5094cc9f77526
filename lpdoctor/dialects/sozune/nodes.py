"""YAML nodes as the Sōzune reader walks them: line numbers, scalars, mappings with ``<<`` merge keys."""

from __future__ import annotations

from collections.abc import Iterator

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_MERGE_DEPTH = 8


def node_line(node: Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def node_text(node: Node | None) -> str | None:
    return node.value if isinstance(node, ScalarNode) else None


def node_items(node: Node | None, depth: int = 0) -> Iterator[tuple[str, Node, Node]]:
    """(key, key node, value node) of a mapping, with ``<<`` merge keys resolved (explicit keys win)."""
    if not isinstance(node, MappingNode) or depth > MAX_MERGE_DEPTH:
        return
    seen: set[str] = set()
    merged: list[Node] = []
    for k, v in node.value:
        key = node_text(k)
        if key is None:
            continue
        if key == "<<" and k.tag == "tag:yaml.org,2002:merge":
            merged.extend(v.value if isinstance(v, SequenceNode) else [v])
            continue
        seen.add(key)
    for k, v in node.value:
        key = node_text(k)
        if key is not None and not (key == "<<" and k.tag == "tag:yaml.org,2002:merge"):
            yield key, k, v
    for m in merged:
        for key, k, v in node_items(m, depth + 1):
            if key not in seen:
                seen.add(key)
                yield key, k, v


def node_get(node: Node | None, key: str) -> Node | None:
    for k, _, v in node_items(node):
        if k == key:
            return v
    return None


def is_null(node: Node | None) -> bool:
    return node is None or (isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null")


def plain_scalar_text(node: ScalarNode) -> str:
    """A mapping label value as compose turns it into a string (unquoted true/false/numbers)."""
    if node.style is None or node.style == "":
        if node.tag == "tag:yaml.org,2002:bool":
            return "true" if node.value.lower() in ("true", "yes", "on", "y") else "false"
        if node.tag == "tag:yaml.org,2002:null":
            return ""
    return node.value
