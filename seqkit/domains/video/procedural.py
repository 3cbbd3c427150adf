"""Seeded procedural videos: one coloured shape moving over a dark background, with a caption that says what it is
and how it moves ("a small red circle moving left fast", "a large blue triangle bouncing slowly").

A video is a list of segments, each a ``ShapeSpec`` held for some frames; the shape's position carries over
from one segment to the next, so a long video with scheduled condition changes is ground truth for what a
long-video sampler should produce (the evaluation's real videos). Linear motions wrap around the frame edges
(the caption stays true for any length); ``bouncing`` is a ballistic hop on the floor. Frames are rendered
with 4× supersampling (anti-aliased edges), vectorised over frames.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

SHAPES = ("circle", "square", "triangle")
COLOURS = {"red": (230, 40, 40), "green": (40, 200, 60), "blue": (50, 90, 240), "yellow": (240, 220, 40),
           "cyan": (40, 210, 220), "magenta": (220, 50, 210)}
SIZES = {"small": 0.14, "large": 0.24}  # radius over the frame side
MOTIONS = ("left", "right", "up", "down", "bouncing")
SPEEDS = {"slow": 0.035, "fast": 0.08}  # frame sides per frame of linear motion (bouncing: faster gravity)
BACKGROUND = (18, 18, 24)
ATTRIBUTES = ("shape", "colour", "size", "motion", "speed")


@dataclass(frozen=True)
class ShapeSpec:
    """What the video shows: the condition of a segment."""

    shape: str
    colour: str
    size: str
    motion: str
    speed: str

    def __post_init__(self) -> None:
        for name, allowed in (("shape", SHAPES), ("colour", COLOURS), ("size", SIZES), ("motion", MOTIONS),
                              ("speed", SPEEDS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"unknown {name} {getattr(self, name)!r} (one of {', '.join(allowed)})")

    @property
    def caption(self) -> str:
        if self.motion == "bouncing":
            return f"a {self.size} {self.colour} {self.shape} bouncing {'slowly' if self.speed == 'slow' else 'fast'}"
        return f"a {self.size} {self.colour} {self.shape} moving {self.motion} {self.speed}"

    def labels(self) -> tuple[int, ...]:
        """Class index of each attribute, in ``ATTRIBUTES`` order."""
        return (SHAPES.index(self.shape), list(COLOURS).index(self.colour), list(SIZES).index(self.size),
                MOTIONS.index(self.motion), list(SPEEDS).index(self.speed))


ALL_SPECS = tuple(ShapeSpec(*combo) for combo in itertools.product(SHAPES, COLOURS, SIZES, MOTIONS, SPEEDS))


def parse_caption(text: str) -> ShapeSpec:
    """The spec a procedural caption describes (the inverse of ``ShapeSpec.caption``)."""
    words = text.lower().replace(",", " ").split()
    found: dict[str, str] = {}
    for name, allowed in (("shape", SHAPES), ("colour", COLOURS), ("size", SIZES), ("motion", MOTIONS)):
        hits = [w for w in words if w in allowed]
        if len(hits) != 1:
            raise ValueError(f"caption {text!r} names {len(hits)} {name}s; a procedural caption names one of "
                             f"{', '.join(allowed)}")
        found[name] = hits[0]
    found["speed"] = "slow" if ("slow" in words or "slowly" in words) else "fast"
    return ShapeSpec(**found)


def random_spec(rng: np.random.Generator) -> ShapeSpec:
    return ALL_SPECS[int(rng.integers(len(ALL_SPECS)))]


class ShapeTrack:
    """The moving shape's state (centre in frame sides, vertical hop velocity) across segments."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.x, self.y = rng.uniform(0.2, 0.8, size=2)
        self.vy = 0.0

    def advance(self, spec: ShapeSpec, n: int) -> np.ndarray:
        """Centres (n, 2) for the next ``n`` frames of ``spec``'s motion."""
        out = np.empty((n, 2))
        step = SPEEDS[spec.speed]
        radius = SIZES[spec.size]
        floor = 1.0 - radius
        for k in range(n):
            out[k] = self.x, self.y
            if spec.motion == "bouncing":
                gravity = 0.012 if spec.speed == "slow" else 0.03
                launch = -np.sqrt(2 * gravity * 0.45)  # every hop rises 0.45 frame sides
                if self.y >= floor and self.vy >= 0:
                    self.y, self.vy = floor, launch
                self.vy += gravity
                self.y = min(self.y + self.vy, floor)
            else:
                dx, dy = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}[spec.motion]
                self.x, self.y = (self.x + dx * step) % 1.0, (self.y + dy * step) % 1.0
        return out


def _masks(spec: ShapeSpec, centres: np.ndarray, side: int, supersample: int = 4) -> np.ndarray:
    """Anti-aliased coverage (T, side, side) in [0, 1] of the shape at each centre; wraps around the edges."""
    n = side * supersample
    grid = (np.arange(n) + 0.5) / n  # sample positions in frame sides
    dx = grid[None, None, :] - centres[:, 0, None, None]  # (T, 1, n)
    dy = grid[None, :, None] - centres[:, 1, None, None]  # (T, n, 1)
    if spec.motion != "bouncing":  # periodic distances: the shape wraps around the frame edges
        dx, dy = (dx + 0.5) % 1.0 - 0.5, (dy + 0.5) % 1.0 - 0.5
    r = SIZES[spec.size]
    if spec.shape == "circle":
        inside = dx ** 2 + dy ** 2 <= r ** 2
    elif spec.shape == "square":
        inside = (np.abs(dx) <= 0.85 * r) & (np.abs(dy) <= 0.85 * r)
    else:  # an upward triangle: apex at -r, base at +0.8 r
        inside = (dy <= 0.8 * r) & (np.abs(dx) <= 0.6 * (dy + r))
    inside = np.broadcast_to(inside, (len(centres), n, n)).astype(np.float32)
    return inside.reshape(len(centres), side, supersample, side, supersample).mean(axis=(2, 4))


def render(segments: list[tuple[ShapeSpec, int]], side: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """uint8 frames (T, side, side, 3) of the segments in order, and each frame's segment index (T,)."""
    rng = np.random.default_rng(seed)
    track = ShapeTrack(rng)
    frames, owner = [], []
    for k, (spec, n) in enumerate(segments):
        if n <= 0:
            raise ValueError(f"segment {k} ({spec.caption!r}) has {n} frames")
        cover = _masks(spec, track.advance(spec, n), side)[..., None]  # (n, side, side, 1)
        colour = np.asarray(COLOURS[spec.colour], np.float32)
        background = np.asarray(BACKGROUND, np.float32)
        frames.append((background + cover * (colour - background)).round().astype(np.uint8))
        owner += [k] * n
    return np.concatenate(frames), np.asarray(owner)


def random_clip(seed: int, frames: int = 16, side: int = 32) -> tuple[np.ndarray, ShapeSpec]:
    """One clip of one random spec: uint8 (frames, side, side, 3) and its spec."""
    rng = np.random.default_rng(seed)
    spec = random_spec(rng)
    video, _ = render([(spec, frames)], side, seed=int(rng.integers(2 ** 31)))
    return video, spec


def scheduled_video(specs: list[ShapeSpec], length: int, side: int = 32,
                    seed: int = 0) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """A long ground-truth video: ``specs`` in turn over equal spans of ``length`` frames; returns the frames and
    the spans (start, end) of each spec."""
    bounds = np.linspace(0, length, len(specs) + 1).round().astype(int)
    spans = [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    frames, _ = render([(s, b - a) for s, (a, b) in zip(specs, spans, strict=True)], side, seed)
    return frames, spans
