"""Saved queries written out: `@csto` replaced by the tree of the query saved as csto.

Pure: the caller passes `lookup` (name -> saved text, or None), so the store stays at the
edge. Everything taken from a saved query is placed at the `@name` that brought it in, so
a later error about it (a word with nothing to search for, say) points there in the query
the analyst typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from presswatch.errors import QuerySyntaxError
from presswatch.query.ast import And, Node, Not, Or, SavedRef
from presswatch.query.parser import parse

MAX_SAVED_DEPTH = 10
"""Saved queries using saved queries, at most this many deep."""
MAX_TREE_DEPTH = 200
"""Deeper trees are refused, so nothing downstream runs out of stack."""


def expand(node: Node, lookup: Callable[[str], str | None], query: str) -> Node:
    """`node` with every saved query written out; `query` is the text `node` came from.

    Raises QuerySyntaxError for an unknown name, a saved query that uses itself (directly
    or through others), nesting deeper than MAX_SAVED_DEPTH, or a saved text that no
    longer parses (that error points into the saved text and names the query).
    """
    return _Expander(lookup, query).expand(node, (), None, 0)


class _Expander:
    def __init__(self, lookup: Callable[[str], str | None], query: str) -> None:
        self.lookup = lookup
        self.query = query

    def expand(self, node: Node, chain: tuple[str, ...], at: int | None, depth: int) -> Node:
        """`chain` is the saved queries being written out around `node`, outermost first;
        `at` the position of the outermost one in the analyst's query."""
        pos = node.pos if at is None else at
        if depth > MAX_TREE_DEPTH:
            raise QuerySyntaxError(
                "the query is too deep once its saved queries are written out", self.query, pos
            )
        if isinstance(node, SavedRef):
            return self.saved(node.name, chain, pos, depth)
        if isinstance(node, Not):
            return Not(self.expand(node.child, chain, at, depth + 1), pos)
        if isinstance(node, And | Or):
            kind = type(node)
            children: list[Node] = []
            for child in node.children:
                done = self.expand(child, chain, at, depth + 1)
                children.extend(done.children if isinstance(done, kind) else (done,))
            return And(tuple(children), pos) if kind is And else Or(tuple(children), pos)
        return replace(node, pos=pos)

    def saved(self, name: str, chain: tuple[str, ...], pos: int, depth: int) -> Node:
        path = " → ".join(f"@{n}" for n in (*chain, name))
        if name in chain:
            raise QuerySyntaxError(
                f"the saved query @{name} refers back to itself ({path}); save it again "
                "without that reference",
                self.query,
                pos,
            )
        if len(chain) >= MAX_SAVED_DEPTH:
            raise QuerySyntaxError(
                f"saved queries use each other more than {MAX_SAVED_DEPTH} deep ({path})",
                self.query,
                pos,
            )
        text = self.lookup(name)
        if text is None:
            used_by = f", used by @{chain[-1]}" if chain else ""
            raise QuerySyntaxError(
                f"no saved query named @{name}{used_by} (see `presswatch queries list`)",
                self.query,
                pos,
            )
        try:
            tree = parse(text)
        except QuerySyntaxError as exc:
            raise QuerySyntaxError(
                f"in the saved query @{name}: {exc.message}", exc.query, exc.position
            ) from None
        return self.expand(tree, (*chain, name), pos, depth)
