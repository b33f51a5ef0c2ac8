"""RFC 9162 (Certificate Transparency 2.0) §2.1 Merkle trees over SHA-256: tree hashes,
inclusion and consistency proofs, and their verification.

Pure: hashlib and the standard library, no storage and no I/O. The list-based functions follow
the RFC's recursive definitions literally and are the reference; the store-backed ones
(`root_of`, `inclusion_of`, `consistency_of`) give the same answers from a `NodeSource` that
holds only perfect aligned subtrees, which is what a database can keep row by row
(`completed_nodes` says which rows each appended leaf completes).

Leaves are given as leaf hashes (`leaf_hash(entry)`), never as entries: the log stores the
hash, and the 0x00/0x01 prefixes of §2.1.1 keep a leaf from passing for an interior node.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

HASH_SIZE = 32
"""SHA-256 digests: every leaf hash, node hash, root and proof element is this long."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256() (§2.1.1): the root of the tree with no leaves."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d) (§2.1.1): the hash of one entry as a leaf."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right) (§2.1.1): the hash of an interior node."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """k, the largest power of two smaller than n (n > 1): where §2.1.1 splits D[n]."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


# --- list-based: the RFC's definitions over a sequence of leaf hashes ---------------------------


def _mth(leaves: Sequence[bytes], start: int, n: int) -> bytes:
    """MTH(D[start:start+n]) by §2.1.1's recursion, without copying slices."""
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[start]
    k = _split(n)
    return node_hash(_mth(leaves, start, k), _mth(leaves, start + k, n - k))


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) (§2.1.1) of the tree whose leaves hash to `leaf_hashes`, in order."""
    return _mth(leaf_hashes, 0, len(leaf_hashes))


def _check_size(leaf_hashes: Sequence[bytes], size: int) -> None:
    if not 0 <= size <= len(leaf_hashes):
        raise ValueError(f"tree size {size} outside 0..{len(leaf_hashes)}")


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) (§2.1.3.1): the audit path of leaf `index` in the tree of the first
    `size` leaves, nearest sibling first. Raises ValueError unless 0 <= index < size <= len."""
    _check_size(leaf_hashes, size)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} outside a tree of {size}")

    def path(m: int, start: int, n: int) -> list[bytes]:
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return [*path(m, start, k), _mth(leaf_hashes, start + k, n - k)]
        return [*path(m - k, start + k, n - k), _mth(leaf_hashes, start, k)]

    return path(index, 0, size)


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether `proof` shows the leaf `leaf_hash` at `index` in the tree of `size` leaves whose
    root is `root` (§2.1.3.2, step by step). Never raises: a malformed proof is just False.

    `size` is bound to the tree only through `root` (with this root, another size of the same
    shape at `index` verifies too), so take both from one signed tree head."""
    if not isinstance(index, int) or not isinstance(size, int) or not 0 <= index < size:
        return False  # step 1
    if not isinstance(leaf_hash, bytes):
        return False
    fn, sn = index, size - 1  # step 2
    r = leaf_hash  # step 3
    for p in proof:  # step 4
        if sn == 0 or not isinstance(p, bytes) or len(p) != HASH_SIZE:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root  # step 5


def consistency_proof(leaf_hashes: Sequence[bytes], first: int, second: int) -> list[bytes]:
    """PROOF(first, D[second]) = SUBPROOF(first, D[second], true) (§2.1.4.1): what shows the
    tree of `first` leaves to be a prefix of the tree of `second`. Empty when first == second.
    Raises ValueError unless 0 < first <= second <= len (the RFC defines no proof from 0)."""
    _check_size(leaf_hashes, second)
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second}")

    def subproof(m: int, start: int, n: int, whole: bool) -> list[bytes]:
        if m == n:
            return [] if whole else [_mth(leaf_hashes, start, n)]
        k = _split(n)
        if m <= k:
            return [*subproof(m, start, k, whole), _mth(leaf_hashes, start + k, n - k)]
        return [*subproof(m - k, start + k, n - k, False), _mth(leaf_hashes, start, k)]

    return subproof(first, 0, second, True)


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether `proof` shows the tree of `first` leaves with root `first_root` to be a prefix
    of the tree of `second` leaves with root `second_root` (§2.1.4.2, step by step). Never
    raises: a malformed proof is just False.

    §2.1.4.2 is written for 0 < first < second; for first == second the proof must be empty
    and the roots equal (SUBPROOF(m, D[m], true) = {}), and a proof from 0 is refused."""
    if not isinstance(first, int) or not isinstance(second, int) or not 0 < first <= second:
        return False
    if any(not isinstance(c, bytes) or len(c) != HASH_SIZE for c in proof):
        return False
    if first == second:
        return len(proof) == 0 and first_root == second_root
    path = list(proof)
    if not path:  # step 1
        return False
    if _is_power_of_two(first):  # step 2
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1  # step 3
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]  # step 5
    for c in path[1:]:  # step 6
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0  # step 7


# --- store-backed: the same answers from perfect aligned subtrees -------------------------------


class NodeSource(Protocol):
    """Where the store-backed functions read hashes: only perfect, aligned subtrees, which are
    immutable once their last leaf is sealed and so can be stored once and never rewritten."""

    async def subtree(self, start: int, size: int) -> bytes:
        """MTH(D[start:start+size]) for `size` a power of two and `start` a multiple of it."""
        ...


async def _range_root(source: NodeSource, start: int, n: int) -> bytes:
    """MTH(D[start:start+n]) for `start` a multiple of the power of two at or above n.

    D[n] splits at the largest power of two below n (§2.1.1), so its tree is the perfect
    subtrees of n's binary digits, largest first, folded from the right: popcount(n) reads."""
    if n == 0:
        return EMPTY_ROOT
    pieces: list[bytes] = []
    offset = start
    for bit in reversed(range(n.bit_length())):
        width = 1 << bit
        if n & width:
            pieces.append(await source.subtree(offset, width))
            offset += width
    result = pieces.pop()
    while pieces:
        result = node_hash(pieces.pop(), result)
    return result


async def root_of(source: NodeSource, size: int) -> bytes:
    """MTH(D[size]) (§2.1.1) from `source`, in popcount(size) <= log2(size) + 1 reads."""
    if size < 0:
        raise ValueError(f"tree size {size} is negative")
    return await _range_root(source, 0, size)


async def inclusion_of(source: NodeSource, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) (§2.1.3.1) from `source`: equal to `inclusion_proof`.

    Each left sibling is one perfect subtree, each right sibling the root of a range (at most
    log2 n reads), so O(log² n) reads at worst. Reads are sequential: one session, one query
    at a time."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} outside a tree of {size}")
    siblings: list[bytes] = []  # from the root down; the RFC's order is from the leaf up
    m, start, n = index, 0, size
    while n > 1:
        k = _split(n)
        if m < k:
            siblings.append(await _range_root(source, start + k, n - k))
            n = k
        else:
            siblings.append(await source.subtree(start, k))
            m, start, n = m - k, start + k, n - k
    siblings.reverse()
    return siblings


async def consistency_of(source: NodeSource, first: int, second: int) -> list[bytes]:
    """PROOF(first, D[second]) (§2.1.4.1) from `source`: equal to `consistency_proof`, in
    O(log² n) reads at worst. Raises ValueError unless 0 < first <= second."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second}")
    nodes: list[bytes] = []  # from the root down, as for inclusion_of
    m, start, n, whole = first, 0, second, True
    while m != n:
        k = _split(n)
        if m <= k:
            nodes.append(await _range_root(source, start + k, n - k))
            n = k
        else:
            nodes.append(await source.subtree(start, k))
            m, start, n, whole = m - k, start + k, n - k, False
    if not whole:
        nodes.append(await _range_root(source, start, n))
    nodes.reverse()
    return nodes


class MemoryNodes:
    """A `NodeSource` over leaf hashes held in memory, each subtree computed once and cached:
    for tests and for logs small enough to hold."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self._leaves = tuple(leaf_hashes)
        self._cache: dict[tuple[int, int], bytes] = {}

    def __len__(self) -> int:
        return len(self._leaves)

    async def subtree(self, start: int, size: int) -> bytes:
        return self._subtree(start, size)

    def _subtree(self, start: int, size: int) -> bytes:
        if not _is_power_of_two(size) or start < 0 or start % size:
            raise ValueError(f"no perfect aligned subtree of {size} at {start}")
        if start + size > len(self._leaves):
            raise ValueError(f"subtree [{start}, {start + size}) past {len(self._leaves)} leaves")
        if size == 1:
            return self._leaves[start]
        key = (start, size)
        cached = self._cache.get(key)
        if cached is None:
            half = size // 2
            cached = node_hash(self._subtree(start, half), self._subtree(start + half, half))
            self._cache[key] = cached
        return cached


# --- perfect subtrees: what a table stores as leaves are appended -------------------------------


@dataclass(frozen=True, slots=True)
class Node:
    """A perfect subtree: `level` k covers leaves [index·2^k, (index+1)·2^k); level 0 is a leaf."""

    level: int
    index: int
    hash: bytes


def needed_siblings(i: int) -> list[tuple[int, int]]:
    """The (level, index) of the stored nodes `completed_nodes(i, ...)` reads: at each level
    where the node just completed is a right child (one per trailing 1 bit of i), its left
    sibling, which was completed by an earlier leaf."""
    if i < 0:
        raise ValueError(f"leaf index {i} is negative")
    needed: list[tuple[int, int]] = []
    level = 0
    while (i >> level) & 1:
        needed.append((level, (i >> level) - 1))
        level += 1
    return needed


def completed_nodes(
    i: int, leaf: bytes, left_siblings: Mapping[tuple[int, int], bytes]
) -> list[Node]:
    """The perfect subtrees that appending leaf `i` (hash `leaf`) completes, lowest first: the
    leaf itself at level 0, then each ancestor whose right edge is leaf i. Storing them all
    as they come gives every perfect subtree a `NodeSource` can be asked for, written once.

    `left_siblings` must hold at least `needed_siblings(i)`, keyed by (level, index); a
    missing one raises KeyError naming it."""
    nodes = [Node(0, i, leaf)]
    current = leaf
    for level, index in needed_siblings(i):
        try:
            sibling = left_siblings[(level, index)]
        except KeyError:
            raise KeyError(
                f"leaf {i} needs the stored node (level {level}, index {index})"
            ) from None
        current = node_hash(sibling, current)
        nodes.append(Node(level + 1, index // 2, current))
    return nodes
