"""A reference matcher for search plans, in plain Python over SearchDoc tokens.

Slow and obviously right: the engines (tantivy, PostgreSQL) must return exactly the ids
this returns, which is how the tests hold both backends to one meaning of each query.
"""

from __future__ import annotations

from presswatch.search.documents import SearchDoc
from presswatch.search.plan import All, AnyOf, Everything, Match, Near, Plan, When, Without


def matches(plan: Plan, doc: SearchDoc) -> bool:
    if isinstance(plan, Match):
        tokens = doc.tokens[plan.field]
        want = plan.tokens
        for start in range(len(tokens) - len(want) + 1):
            head_ok = all(tokens[start + i] == t for i, t in enumerate(want[:-1]))
            last = tokens[start + len(want) - 1]
            last_ok = last.startswith(want[-1]) if plan.prefix else last == want[-1]
            if head_ok and last_ok:
                return True
        return False
    if isinstance(plan, Near):
        tokens = doc.tokens[plan.field]
        for layout in plan.layouts:
            for start in range(len(tokens)):
                if all(
                    start + off < len(tokens) and tokens[start + off] == tok for off, tok in layout
                ):
                    return True
        return False
    if isinstance(plan, When):
        return plan.start <= doc.when < plan.end
    if isinstance(plan, All):
        return all(matches(c, doc) for c in plan.children)
    if isinstance(plan, AnyOf):
        return any(matches(c, doc) for c in plan.children)
    if isinstance(plan, Without):
        return not matches(plan.child, doc)
    if isinstance(plan, Everything):
        return True
    raise TypeError(plan)


def expected_ids(plan: Plan, docs: list[SearchDoc]) -> set[int]:
    return {d.id for d in docs if matches(plan, d)}
