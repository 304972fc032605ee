"""Word 5-shingles and MinHash signatures: the text side of near-duplicate detection.

Words come from presswatch's one tokenizer, so a copy that differs only in case, accents
or punctuation has the same shingles, just as it has the same search words. Each word is
hashed once (BLAKE2b, stable across runs and machines, unlike Python's `hash`), and five
word hashes are mixed into one 64-bit shingle hash with numpy, so even a 5 MB article is
shingled in C loops. A text of fewer than five words has no shingles: it is never
signed and never matched, since a few words in common say nothing about copying.

Signatures are 128 minima under multiply-shift permutations of the shingle hashes, kept
as their top 32 bits (512 bytes a signature; a 32-bit collision is far too rare to
matter to the LSH bands, and candidates are verified on the exact shingles anyway).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from presswatch.text.tokens import tokenize

__all__ = [
    "NUM_PERM",
    "SHINGLE_WORDS",
    "Shingles",
    "Signature",
    "SignatureError",
    "shingles",
    "sign",
]

SHINGLE_WORDS = 5
NUM_PERM = 128
SIGNATURE_VERSION = 1
"""Bump when the shingle hashing or the permutations change: stored signatures are then
stale and must be recomputed from the text."""

Shingles = npt.NDArray[np.uint64]
"""Sorted, distinct 64-bit shingle hashes."""

_U64 = np.uint64
_MIX = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
     0xFF51AFD7ED558CCD][:SHINGLE_WORDS],
    dtype=_U64,
)  # fmt: skip
_CHUNK = 4096  # shingles per block when signing: bounds the (block x 128) scratch to 4 MB

_rng = np.random.default_rng(20240605)
_PERM_A = _rng.integers(1, 2**63, size=NUM_PERM, dtype=_U64) * _U64(2) + _U64(1)  # odd
_PERM_B = _rng.integers(0, 2**63, size=NUM_PERM, dtype=_U64)
del _rng

_word_hashes: dict[str, int] = {}
_WORD_CACHE = 200_000


class SignatureError(ValueError):
    """Stored signature bytes that this version cannot read."""


def _word_hash(word: str) -> int:
    value = _word_hashes.get(word)
    if value is None:
        if len(_word_hashes) >= _WORD_CACHE:
            _word_hashes.clear()
        digest = hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        value = _word_hashes[word] = int.from_bytes(digest, "little")
    return value


def _finalize(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64's finalizer: every input bit reaches every output bit."""
    x = x ^ (x >> _U64(30))
    x = x * _U64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> _U64(27))
    x = x * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


def shingles(text: str) -> Shingles:
    """The distinct word 5-shingles of `text` as sorted 64-bit hashes (empty below 5 words)."""
    words = tokenize(text)
    n = len(words) - SHINGLE_WORDS + 1
    if n <= 0:
        return np.empty(0, dtype=_U64)
    hashes = np.fromiter(map(_word_hash, words), dtype=_U64, count=len(words))
    mixed = hashes[0:n] * _MIX[0]
    for k in range(1, SHINGLE_WORDS):
        mixed += hashes[k : k + n] * _MIX[k]
    return np.unique(_finalize(mixed))


@dataclass(frozen=True, slots=True)
class Signature:
    """A document's MinHash: NUM_PERM 32-bit minima, persistable with to_bytes."""

    values: bytes  # NUM_PERM little-endian uint32

    def array(self) -> npt.NDArray[np.uint32]:
        return np.frombuffer(self.values, dtype="<u4")

    def to_bytes(self) -> bytes:
        return bytes([SIGNATURE_VERSION]) + self.values

    @classmethod
    def from_bytes(cls, data: bytes) -> Signature:
        if len(data) != 1 + 4 * NUM_PERM or data[0] != SIGNATURE_VERSION:
            raise SignatureError(
                "this stored near-duplicate signature was made by another version; "
                "re-run enrichment to sign the article again"
            )
        return cls(bytes(data[1:]))

    def similarity(self, other: Signature) -> float:
        """Estimated Jaccard similarity (share of equal minima)."""
        return float(np.count_nonzero(self.array() == other.array())) / NUM_PERM


def sign(hashes: Shingles) -> Signature | None:
    """The MinHash of a shingle set, or None for an empty one (nothing to match on)."""
    if hashes.size == 0:
        return None
    low = np.full(NUM_PERM, np.iinfo(np.uint64).max, dtype=_U64)
    for start in range(0, hashes.size, _CHUNK):
        block = hashes[start : start + _CHUNK, None] * _PERM_A + _PERM_B
        np.minimum(low, block.min(axis=0), out=low)
    return Signature((low >> _U64(32)).astype("<u4").tobytes())
