"""Random draws tied to places on the surface, not to the order of a file's arrays.

A draw from a seeded generator is a function of an element's index: refine one patch of a
sculpt, and every vertex and face after it is renumbered, so every draw on the model moves
(query points, thinning priorities, bootstrap weights), and every region with them. A reading
near its verdict's limit then flips far from the edit (docs/texture.md s.7.39). Here each
vertex's draw is a hash of its position (its cell in the model's bounding box), each face's of
its corners' (in a canonical order), and each point drawn on a face of the face's key and the
point's number on it: what an edit leaves in place keeps its draws.

The hash is SplitMix64's finaliser (Steele, Lea and Flood, "Fast splittable pseudorandom
number generators", OOPSLA 2014), whose output passes BigCrush as a counter-based generator.
"""

from __future__ import annotations

import math

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_POISSON_MAX = 24  # Poisson(1) beyond 24 has probability < 1e-24: never drawn in 2^53 tries


def mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser of uint64 values (wrapping arithmetic)."""
    z = np.array(x, np.uint64, ndmin=1) + _GOLDEN  # (1-d: numpy warns on a scalar's wrap)
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def combine(key: np.ndarray, value) -> np.ndarray:
    """A key for `value` (uint64-castable, broadcast) within `key`: distinct values give
    independent keys."""
    return mix(np.asarray(key, np.uint64) ^ mix(np.asarray(value).astype(np.uint64)))


def unit(key: np.ndarray) -> np.ndarray:
    """A key's own draw in [0, 1) (its top 53 bits): sorting by key sorts by it."""
    return (np.asarray(key, np.uint64) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def uniform(key: np.ndarray, salt: int = 0) -> np.ndarray:
    """Uniform draws in [0, 1) from keys (53 bits), one independent stream per salt."""
    return unit(combine(key, salt))


CELLS = 2 ** 16  # cells of the bounding box's diagonal a position is keyed by (0.7 um on a
#                  45 mm model): coarse enough that a point nudged by rounding or by the far
#                  tail of an edit's falloff (1e-11..1e-7 mm), or a box corner so nudged,
#                  moves few keys (a corner moved 2.5e-7 mm re-keyed 7 % of a terrain's
#                  vertices at 2^24 cells, 0.04 % here); fine enough that distinct vertices
#                  of any mesh (spacing >= ~1e-4 of the diagonal) keep distinct keys; points
#                  closer than that share one


def position_keys(p: np.ndarray) -> np.ndarray:
    """(n,) uint64 keys of positions (n, 3): each coordinate's cell of CELLS along the
    bounding box's diagonal, from the box's low corner. A point that does not move keeps its
    key while the box stays (an edit inside it); a model scaled, in millimetres or in metres,
    or moved keeps every key up to rounding (DESIGN.md s.5: the same findings), exactly when
    scaled by a power of two."""
    p = np.asarray(p, np.float64)
    if not len(p):
        return np.zeros(0, np.uint64)
    lo = p.min(axis=0)
    diag = float(np.linalg.norm(p.max(axis=0) - lo))
    cell = np.floor((p - lo) * (CELLS / diag)) if diag > 0 else np.zeros_like(p)
    c = cell.astype(np.int64).astype(np.uint64)
    return combine(combine(mix(c[:, 0]), c[:, 1]), c[:, 2])


def face_keys(vkeys: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each face's key from its corners' keys, and its corners in the canonical order (by key):
    a face keeps its key and its points however its corners are listed."""
    order = np.argsort(vkeys[faces], axis=1, kind="stable")
    corners = np.take_along_axis(faces, order, axis=1)
    k = vkeys[corners]
    return combine(combine(mix(k[:, 0]), k[:, 1]), k[:, 2]), corners


def order(keys: np.ndarray) -> np.ndarray:
    """Indices sorting points by key: a random order in which any prefix is a uniform
    subsample, and which an edit elsewhere does not reshuffle (ties, duplicate points, by
    index)."""
    return np.lexsort((np.arange(len(keys)), keys))


_POISSON_CDF = np.cumsum([math.exp(-1.0) / math.factorial(k) for k in range(_POISSON_MAX)])


class Draws:
    """A generator's `poisson(1.0, size=(B, n))` for n keyed points: draw j of point i is a
    function of key i, j and how many draws came before (each call is a fresh, independent
    stream, as successive calls on a generator are)."""

    def __init__(self, keys: np.ndarray, salt: int):
        self.keys = np.asarray(keys, np.uint64)
        self.salt = int(salt)
        self.calls = 0

    def poisson(self, lam: float, size: tuple[int, int]) -> np.ndarray:
        if lam != 1.0 or size[-1] != len(self.keys):
            raise ValueError("keyed draws are Poisson(1) per keyed point")
        self.calls += 1
        stream = combine(self.keys, self.salt * 1_000_003 + self.calls)
        u = uniform(stream[None, :], np.arange(size[0])[:, None])
        return np.minimum(np.searchsorted(_POISSON_CDF, u, side="right"),
                          _POISSON_MAX - 1).astype(np.int64)
