"""Deterministic random streams: one independent generator per named purpose.

Each module asks for its own stream by name, so adding draws in one source never shifts the
numbers of another (output stays byte-identical where nothing changed).
"""

from __future__ import annotations

import hashlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """A generator determined only by (seed, name)."""
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return np.random.default_rng(np.random.SeedSequence([seed, int.from_bytes(digest[:8], "little")]))
