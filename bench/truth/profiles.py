"""2-D profiles with filleted corners: the cross-sections that revolve and sweep carry.

A profile is a polyline of corners, each rounded by an exact circular fillet of a known radius
(0 = a sharp corner). It is stored as pieces (lines and arcs) along its arc length, so it can be
sampled either aligned (a vertex at every tangent point and n segments across every fillet, as a
CAD exporter does) or uniformly in arc length regardless of the corners (as a remesher does).
Sharp corners are always sampled exactly (moving them would cut the corner: another shape).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_PIECE = 1e-12  # pieces shorter than this (a fillet filling its whole side) are dropped


@dataclass(frozen=True)
class Corner:
    point: np.ndarray  # the arc's midpoint (or the sharp corner), profile coordinates
    radius: float
    turn: float  # radians the tangent turns through this corner
    s_mid: float  # arc length at the midpoint
    arc_len: float  # R * turn
    flank_mm: float = float("inf")  # the shorter straight side next to it (an edge's flank)


@dataclass(frozen=True)
class Profile:
    kinds: np.ndarray  # 0 line, 1 arc
    start: np.ndarray  # (k, 2) start point of lines / centre of arcs
    vec: np.ndarray  # (k, 2) line direction * length / (radius, signed turn) of arcs
    a0: np.ndarray  # arcs: start angle
    s0: np.ndarray  # arc length at the start of each piece
    length: float
    closed: bool
    corners: tuple[Corner, ...]
    sharp_s: np.ndarray  # arc lengths of the sharp corners (pinned samples)

    def eval(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Points and outward unit normals at arc lengths s (profile wound counter-clockwise:
        the inside is on the left)."""
        s = np.asarray(s, float)
        if self.closed:
            s = np.mod(s, self.length)
        k = np.clip(np.searchsorted(self.s0, s, side="right") - 1, 0, len(self.s0) - 1)
        t = s - self.s0[k]
        line = self.kinds[k] == 0
        # lines
        seg = self.vec[k]
        ln = np.maximum(np.linalg.norm(seg, axis=1), MIN_PIECE)
        d_line = seg / ln[:, None]
        p_line = self.start[k] + d_line * t[:, None]
        # arcs (vec = radius, signed turn)
        r, turn = self.vec[k, 0], self.vec[k, 1]
        ang = self.a0[k] + np.sign(turn) * t / np.maximum(r, MIN_PIECE)
        radial = np.stack([np.cos(ang), np.sin(ang)], -1)
        p_arc = self.start[k] + r[:, None] * radial
        d_arc = np.sign(turn)[:, None] * np.stack([-np.sin(ang), np.cos(ang)], -1)
        p = np.where(line[:, None], p_line, p_arc)
        d = np.where(line[:, None], d_line, d_arc)
        n = np.stack([d[:, 1], -d[:, 0]], -1)
        return p, n

    def samples(self, h: float, aligned: bool, n_across: int | None, rng) -> np.ndarray:
        """Arc lengths of the profile's vertices: spacing h, fillets in n_across segments when
        aligned; uniform with a random phase otherwise. Sharp corners are always included."""
        if aligned:
            out = []
            for kind, s0, ln in zip(self.kinds, self.s0, self.piece_lengths):
                if kind == 1 and n_across:
                    n = max(1, int(n_across))
                else:
                    n = max(1, int(np.ceil(ln / h - 1e-9)))
                out.append(s0 + np.linspace(0.0, ln, n + 1))
            s = np.concatenate(out)
        else:
            phase = rng.uniform(0.0, h)
            s = np.arange(phase, self.length, h)
            s = np.concatenate([s, self.sharp_s, [0.0] if not self.closed else []])
            if not self.closed:
                s = np.concatenate([s, [self.length]])
        s = np.unique(np.round(s, 12))
        if self.closed:
            s = s[s < self.length - 1e-9 * self.length]
        return s

    @property
    def piece_lengths(self) -> np.ndarray:
        return np.diff(np.concatenate([self.s0, [self.length]]))


def filleted(corners, radii, closed: bool) -> Profile:
    """A profile through `corners` (counter-clockwise) with a fillet of radii[i] at corner i.
    Open profiles keep their two end points as they are (radii there are ignored)."""
    P = np.asarray(corners, float)
    R = np.asarray(radii, float)
    n = len(P)
    idx = range(n) if closed else range(1, n - 1)
    tangent_in, tangent_out, arcs = {}, {}, {}
    for i in idx:  # a handful of corners per profile
        a, b, c = P[i - 1], P[i], P[(i + 1) % n]
        d_in = (b - a) / np.linalg.norm(b - a)
        d_out = (c - b) / np.linalg.norm(c - b)
        turn = float(np.arctan2(d_in[0] * d_out[1] - d_in[1] * d_out[0], d_in @ d_out))
        t = R[i] * np.tan(abs(turn) / 2.0)
        tangent_in[i], tangent_out[i] = b - d_in * t, b + d_out * t
        left = np.array([-d_in[1], d_in[0]]) * np.sign(turn)
        centre = tangent_in[i] + left * R[i]
        a0 = np.arctan2(*(tangent_in[i] - centre)[::-1]) if R[i] > 0 else 0.0
        arcs[i] = (centre, R[i], turn, a0)
    def side(i, j):  # the straight part between the fillets of corners i and j
        p0, p1 = tangent_out.get(i, P[i]), tangent_in.get(j, P[j])
        return float(np.linalg.norm(p1 - p0))

    kinds, start, vec, a0s, lens, corner_list, sharp = [], [], [], [], [], [], []
    s = 0.0
    order = list(range(n)) if closed else list(range(n - 1))
    for i in order:  # piece: arc at corner i (if any), then line to corner i+1
        j = (i + 1) % n
        if i in arcs:
            centre, r, turn, a0 = arcs[i]
            ln = r * abs(turn)
            mid_ang = a0 + np.sign(turn) * abs(turn) / 2.0
            mid = centre + r * np.array([np.cos(mid_ang), np.sin(mid_ang)]) if r > 0 else P[i]
            flank = min(side((i - 1) % n, i), side(i, (i + 1) % n))
            corner_list.append(Corner(mid, float(r), abs(turn), s + ln / 2.0, ln, flank))
            if r == 0:
                sharp.append(s)
            if ln > MIN_PIECE:
                kinds.append(1), start.append(centre), vec.append([r, turn]), a0s.append(a0)
                lens.append(ln)
                s += ln
        p0 = tangent_out.get(i, P[i])
        p1 = tangent_in.get(j, P[j])
        ln = float(np.linalg.norm(p1 - p0))
        if ln > MIN_PIECE:
            kinds.append(0), start.append(p0), vec.append(p1 - p0), a0s.append(0.0)
            lens.append(ln)
            s += ln
    s0 = np.concatenate([[0.0], np.cumsum(lens)[:-1]])
    return Profile(np.array(kinds), np.array(start, float), np.array(vec, float),
                   np.array(a0s), s0, float(s), closed, tuple(corner_list), np.array(sharp))
