"""RFC 9162 §2.1 Merkle trees: the reference vectors of the Certificate Transparency test suites,
every proof of every small tree verified and its tampered forms refused, the store-backed
functions equal to the list-based ones, and the perfect-subtree rows enough to answer them."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from puebla.transparency.merkle import (
    EMPTY_ROOT,
    MemoryNodes,
    Node,
    completed_nodes,
    consistency_of,
    consistency_proof,
    inclusion_of,
    inclusion_proof,
    leaf_hash,
    needed_siblings,
    node_hash,
    root,
    root_of,
    verify_consistency,
    verify_inclusion,
)

# The CT reference tree (certificate-transparency's and trillian's merkle tests).
REFERENCE_ENTRIES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
REFERENCE = [leaf_hash(entry) for entry in REFERENCE_ENTRIES]
REFERENCE_ROOTS = {
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
# (index, size, path), indices from 0 (the suites count leaves from 1).
REFERENCE_INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
REFERENCE_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]

MAX = 40
LEAVES = [leaf_hash(b"entry %d" % i) for i in range(2 * MAX + 2)]
ROOTS = [root(LEAVES[:n]) for n in range(len(LEAVES) + 1)]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def flipped(proof: list[bytes], at: int, bit: int = 3) -> list[bytes]:
    changed = bytearray(proof[at])
    changed[0] ^= 1 << bit
    return [*proof[:at], bytes(changed), *proof[at + 1 :]]


def unhex(hashes: list[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in hashes]


# --- reference vectors ------------------------------------------------------------------------


def test_the_empty_tree_has_the_hash_of_nothing_as_root() -> None:
    empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root([]).hex() == empty
    assert EMPTY_ROOT.hex() == empty


def test_leaves_and_nodes_carry_their_domain_prefix() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest() == bytes.fromhex(REFERENCE_ROOTS[1])
    assert node_hash(REFERENCE[0], REFERENCE[1]).hex() == REFERENCE_ROOTS[2]
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


@pytest.mark.parametrize(("size", "expected"), sorted(REFERENCE_ROOTS.items()))
async def test_the_reference_roots(size, expected) -> None:
    assert root(REFERENCE[:size]).hex() == expected
    assert (await root_of(MemoryNodes(REFERENCE), size)).hex() == expected


async def test_the_empty_root_from_a_store() -> None:
    assert await root_of(MemoryNodes([]), 0) == EMPTY_ROOT


@pytest.mark.parametrize(("index", "size", "path"), REFERENCE_INCLUSION)
async def test_the_reference_inclusion_proofs(index, size, path) -> None:
    expected = unhex(path)
    assert inclusion_proof(REFERENCE, index, size) == expected
    assert await inclusion_of(MemoryNodes(REFERENCE), index, size) == expected
    root_hash = bytes.fromhex(REFERENCE_ROOTS[size])
    assert verify_inclusion(REFERENCE[index], index, size, expected, root_hash)


@pytest.mark.parametrize(("first", "second", "path"), REFERENCE_CONSISTENCY)
async def test_the_reference_consistency_proofs(first, second, path) -> None:
    expected = unhex(path)
    assert consistency_proof(REFERENCE, first, second) == expected
    assert await consistency_of(MemoryNodes(REFERENCE), first, second) == expected
    first_root, second_root = (bytes.fromhex(REFERENCE_ROOTS[s]) for s in (first, second))
    assert verify_consistency(first, second, first_root, second_root, expected)


# --- inclusion --------------------------------------------------------------------------------


@pytest.mark.parametrize("size", range(1, MAX + 1))
def test_every_inclusion_proof_verifies_and_no_tampered_one_does(size) -> None:
    root_hash = ROOTS[size]
    for index in range(size):
        leaf, proof = LEAVES[index], inclusion_proof(LEAVES, index, size)
        assert verify_inclusion(leaf, index, size, proof, root_hash), (index, size)

        refused: list[tuple[bytes, int, int, list[bytes], bytes]] = [
            (LEAVES[index + 1], index, size, proof, root_hash),
            (leaf, index, size, proof, EMPTY_ROOT),
            (leaf, index, size, proof, SOME_HASH),
            *((leaf, index, size, flipped(proof, at), root_hash) for at in range(len(proof))),
            *(
                (leaf, i, size, proof, root_hash)
                for i in {index - 1, index + 1, index ^ 1, index ^ 2}
            ),
            # a wrong size, with the root a tree head of that size would carry...
            *((leaf, index, s, proof, ROOTS[s]) for s in {size - 1, size + 1, 2 * size, size // 2}),
            # ...and with the right root (the suites' probes; other sizes of the same shape pass
            # here, as the RFC's algorithm binds the size only through the root)
            (leaf, index, 2 * size, proof, root_hash),
            (leaf, index, size // 2, proof, root_hash),
            (leaf, index, size, [*proof, root_hash], root_hash),
            (leaf, index, size, [*proof, SOME_HASH], root_hash),
            (leaf, index, size, [*proof, b""], root_hash),
            (leaf, index, size, [root_hash, *proof], root_hash),
            (leaf, index, size, [b"", *proof], root_hash),
        ]
        if proof:
            refused.append((leaf, index, size, proof[:-1], root_hash))
            refused.append((leaf, index, size, proof[1:], root_hash))
            refused.append((leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], root_hash))
        for case in refused:
            assert not verify_inclusion(*case), (index, size, case[1:3], len(case[3]))


def test_a_proof_is_refused_past_the_tree_top_and_in_pieces_not_hash_sized() -> None:
    """Roots made to match what an overlong or odd-sized proof computes: §2.1.3.2's sn checks
    and the hash size refuse them, not the root comparison."""
    for index, size in [(0, 1), (0, 2), (3, 5), (6, 7), (5, 8)]:
        leaf, proof = LEAVES[index], inclusion_proof(LEAVES, index, size)
        overlong = node_hash(SOME_HASH, ROOTS[size])  # the path's next step past the root
        assert not verify_inclusion(leaf, index, size, [*proof, SOME_HASH], overlong)
    for first, second in [(3, 5), (6, 8), (5, 7), (3, 3 + 8)]:
        proof = consistency_proof(LEAVES, first, second)
        first_past, second_past = (node_hash(SOME_HASH, ROOTS[s]) for s in (first, second))
        assert not verify_consistency(first, second, first_past, second_past, [*proof, SOME_HASH])
    assert verify_inclusion(LEAVES[0], 0, 2, [LEAVES[1]], node_hash(LEAVES[0], LEAVES[1]))
    short = LEAVES[1][:16]
    assert not verify_inclusion(LEAVES[0], 0, 2, [short], node_hash(LEAVES[0], short))
    assert not verify_consistency(1, 2, LEAVES[0], node_hash(LEAVES[0], short), [short])


def test_inclusion_outside_the_tree_is_refused_not_raised() -> None:
    for index, size in [(0, 0), (1, 1), (-1, 1), (2, 1), (1, 0), (0, -1)]:
        assert not verify_inclusion(LEAVES[0], index, size, [], LEAVES[0])
        with pytest.raises(ValueError, match="outside"):
            inclusion_proof(LEAVES, index, max(size, 0))
    with pytest.raises(ValueError, match="tree size"):
        inclusion_proof(LEAVES[:3], 0, 4)


@settings(max_examples=60)
@given(
    index=st.integers(-3, 70),
    size=st.integers(-3, 70),
    proof=st.lists(st.binary(max_size=40), max_size=9),
    root_hash=st.binary(max_size=40),
)
def test_verify_inclusion_answers_any_input_with_a_bool(index, size, proof, root_hash) -> None:
    assert verify_inclusion(SOME_HASH, index, size, proof, root_hash) in (True, False)
    assert verify_consistency(index, size, SOME_HASH, root_hash, proof) in (True, False)


# --- consistency ------------------------------------------------------------------------------


@pytest.mark.parametrize("second", range(1, MAX + 1))
def test_every_consistency_proof_verifies_and_no_tampered_one_does(second) -> None:
    second_root = ROOTS[second]
    for first in range(1, second + 1):
        first_root, proof = ROOTS[first], consistency_proof(LEAVES, first, second)
        assert verify_consistency(first, second, first_root, second_root, proof), (first, second)

        refused = [
            *(
                (first, second, first_root, second_root, flipped(proof, at, 4))
                for at in range(len(proof))
            ),
            (first, second, first_root, second_root, [*proof, second_root]),
            (first, second, first_root, second_root, [*proof, b""]),
            (first, second, first_root, second_root, [first_root, *proof]),
            (first, second, SOME_HASH, second_root, proof),
            (first, second, first_root, SOME_HASH, proof),
            *((f, second, ROOTS[f], second_root, proof) for f in {first - 1, first + 1, first ^ 2}),
            *((first, s, first_root, ROOTS[s], proof) for s in {second + 1, 2 * second}),
            # a wrong second size with the right root (the suites' probes; as for inclusion,
            # sizes of the same shape pass): step 7's sn == 0
            (first, 2 * second, first_root, second_root, proof),
            (first, second // 2, first_root, second_root, proof),
            (0, second, EMPTY_ROOT, second_root, proof),
        ]
        if first < second:
            refused += [
                (second, first, second_root, first_root, proof),
                (first, second, first_root, second_root, []),
                (first, second, second_root, first_root, proof),
                (first, second, first_root, second_root, proof[:-1]),
                (first, second, first_root, second_root, [proof[0], *proof]),
            ]
        for case in refused:
            assert not verify_consistency(*case), (first, second, case[:2], len(case[4]))


@pytest.mark.parametrize("second", range(1, MAX + 1))
def test_no_consistency_proof_joins_two_histories(second) -> None:
    """A log that changed leaf j shows one root from each history: no proof of either joins them
    (when j is past the first tree, its first root is the same in both and honestly consistent)."""
    for changed in {0, second // 2, second - 1}:
        other = list(LEAVES[:second])
        other[changed] = leaf_hash(b"rewritten %d" % changed)
        for first in range(1, second + 1):
            ours, theirs = root(LEAVES[:first]), root(other[:first])
            our_proof = consistency_proof(LEAVES, first, second)
            their_proof = consistency_proof(other, first, second)
            their_root = root(other)
            assert not verify_consistency(first, second, ours, their_root, our_proof)
            assert not verify_consistency(first, second, ours, their_root, their_proof) or (
                changed >= first
            )
            if changed < first:
                assert ours != theirs
                assert not verify_consistency(first, second, theirs, ROOTS[second], our_proof)
                assert not verify_consistency(first, second, theirs, ROOTS[second], their_proof)
            else:
                assert ours == theirs
                assert verify_consistency(first, second, theirs, their_root, their_proof)


def test_consistency_outside_the_trees_is_refused() -> None:
    for first, second in [(0, 3), (4, 3), (-1, 2)]:
        assert not verify_consistency(first, second, ROOTS[0], ROOTS[3], [])
        with pytest.raises(ValueError, match="no consistency proof"):
            consistency_proof(LEAVES, first, second)
    assert not verify_consistency(3, 3, ROOTS[3], ROOTS[3], [ROOTS[3]])
    assert not verify_consistency(3, 3, ROOTS[3], ROOTS[4], [])


# --- store-backed -----------------------------------------------------------------------------


async def test_the_store_backed_functions_give_what_the_list_based_ones_give() -> None:
    source = MemoryNodes(LEAVES[:MAX])
    for size in range(MAX + 1):
        assert await root_of(source, size) == ROOTS[size]
        for index in range(size):
            assert await inclusion_of(source, index, size) == inclusion_proof(LEAVES, index, size)
        for first in range(1, size + 1):
            expected = consistency_proof(LEAVES, first, size)
            assert await consistency_of(source, first, size) == expected, (first, size)


@settings(max_examples=25)
@given(data=st.data())
async def test_the_store_backed_functions_agree_on_larger_trees(data) -> None:
    size = data.draw(st.integers(1, 300), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    first = data.draw(st.integers(1, size), label="first")
    leaves = [leaf_hash(b"%d" % i) for i in range(size)]
    source = MemoryNodes(leaves)
    assert await root_of(source, size) == root(leaves)
    assert await inclusion_of(source, index, size) == inclusion_proof(leaves, index, size)
    assert await consistency_of(source, first, size) == consistency_proof(leaves, first, size)


class SyntheticNodes:
    """Any tree, however large: a made-up hash per subtree, and every read checked to be a
    perfect aligned subtree inside the tree."""

    def __init__(self, size: int) -> None:
        self.size, self.reads = size, 0

    async def subtree(self, start: int, size: int) -> bytes:
        assert size > 0, size
        assert size & (size - 1) == 0, size
        assert start % size == 0, (start, size)
        assert start + size <= self.size, (start, size)
        self.reads += 1
        return hashlib.sha256(b"%d/%d" % (start, size)).digest()


@settings(max_examples=40)
@given(size=st.integers(1, 2**48), data=st.data())
async def test_the_store_is_read_only_in_perfect_aligned_subtrees_and_rarely(size, data) -> None:
    depth = size.bit_length()
    source = SyntheticNodes(size)
    await root_of(source, size)
    assert source.reads == size.bit_count()

    source.reads = 0
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = await inclusion_of(source, index, size)
    assert len(proof) <= depth
    assert source.reads <= depth * depth

    source.reads = 0
    first = data.draw(st.integers(1, size), label="first")
    proof = await consistency_of(source, first, size)
    assert len(proof) <= depth + 1
    assert source.reads <= depth * (depth + 1)


async def test_a_memory_store_gives_only_perfect_aligned_subtrees_it_has() -> None:
    source = MemoryNodes(LEAVES[:6])
    assert await source.subtree(4, 2) == node_hash(LEAVES[4], LEAVES[5])
    assert await source.subtree(0, 4) == ROOTS[4]
    for start, size in [(0, 3), (2, 4), (1, 2), (-2, 2), (0, 0), (4, 4), (6, 1)]:
        with pytest.raises(ValueError, match="subtree"):
            await source.subtree(start, size)


# --- perfect subtrees -------------------------------------------------------------------------


def test_a_leaf_needs_the_left_siblings_of_its_trailing_ones() -> None:
    assert needed_siblings(0) == []
    assert needed_siblings(1) == [(0, 0)]
    assert needed_siblings(2) == []
    assert needed_siblings(3) == [(0, 2), (1, 0)]
    assert needed_siblings(5) == [(0, 4)]
    assert needed_siblings(7) == [(0, 6), (1, 2), (2, 0)]
    assert needed_siblings(11) == [(0, 10), (1, 4)]


class StoredNodes:
    """A `NodeSource` over rows keyed (level, index), as the table would hold them."""

    def __init__(self, rows: Mapping[tuple[int, int], bytes]) -> None:
        self.rows = rows

    async def subtree(self, start: int, size: int) -> bytes:
        level = size.bit_length() - 1
        return self.rows[(level, start >> level)]


async def test_appending_leaf_by_leaf_stores_every_perfect_subtree() -> None:
    rows: dict[tuple[int, int], bytes] = {}
    store = StoredNodes(rows)
    everything = MemoryNodes(LEAVES[: 2 * MAX])
    for i in range(2 * MAX):
        given_only = {key: rows[key] for key in needed_siblings(i)}
        nodes = completed_nodes(i, LEAVES[i], given_only)
        assert nodes[0] == Node(0, i, LEAVES[i])
        assert len(nodes) == len(needed_siblings(i)) + 1
        for node in nodes:
            assert node.index + 1 << node.level == i + 1  # ends at the new leaf
            assert (node.level, node.index) not in rows
            rows[(node.level, node.index)] = node.hash
        assert await root_of(store, i + 1) == ROOTS[i + 1]
    expected = {
        (level, index): await everything.subtree(index << level, 1 << level)
        for level in range((2 * MAX).bit_length())
        for index in range((2 * MAX) >> level)
    }
    assert rows == expected


def test_a_missing_sibling_is_named() -> None:
    with pytest.raises(KeyError, match=r"level 1, index 0"):
        completed_nodes(3, LEAVES[3], {(0, 2): LEAVES[2]})
