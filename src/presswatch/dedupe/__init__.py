"""Duplicates and syndication: which articles carry the same text (see near.py)."""

from presswatch.dedupe.near import (
    AcceptRule,
    Cluster,
    Document,
    Match,
    Member,
    NearIndex,
    Overlap,
    Pair,
    ShingleProvider,
    build_clusters,
    measure,
)
from presswatch.dedupe.shingles import Shingles, Signature, SignatureError, shingles, sign

__all__ = [
    "AcceptRule",
    "Cluster",
    "Document",
    "Match",
    "Member",
    "NearIndex",
    "Overlap",
    "Pair",
    "ShingleProvider",
    "Shingles",
    "Signature",
    "SignatureError",
    "build_clusters",
    "measure",
    "shingles",
    "sign",
]
