"""The demo map: a jittered lattice of quadrilateral grids tiling one lng/lat box.

Neighbouring cells share their corner vertices exactly, so the grids cover the box with
no gaps and no overlaps however the interior vertices are moved. Interior vertices are
moved by less than a quarter of a cell, which keeps every quad convex; a convex quad
contains every bilinear blend of its corners, which is how sites are placed inside.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

Point = tuple[float, float]  # (lng, lat), WGS-84 degrees
Cell = tuple[int, int]  # (column west→east, row south→north)

# 6 decimals ≈ 0.1 m: precise enough for a map, short in JSON.
_DIGITS = 6


@dataclass(frozen=True)
class Lattice:
    """The (cols + 1) × (rows + 1) vertices of a cols × rows cell lattice."""

    cols: int
    rows: int
    vertices: dict[Cell, Point]

    def _corners(self, cell: Cell) -> list[Cell]:
        col, row = cell
        if not (0 <= col < self.cols and 0 <= row < self.rows):
            raise ValueError(f"cell {cell} lies outside the lattice")
        # Counter-clockwise, as RFC 7946 asks of exterior rings.
        return [(col, row), (col + 1, row), (col + 1, row + 1), (col, row + 1)]

    def cell_ring(self, cell: Cell) -> list[Point]:
        """The closed ring of one cell."""
        corners = self._corners(cell)
        return [self.vertices[v] for v in [*corners, corners[0]]]

    def outline(self, cells: Iterable[Cell]) -> list[Point]:
        """The closed outer ring of a connected, hole-free set of cells.

        Edges shared by two cells of the set run in both directions and cancel; the
        remaining directed edges chain into the outline, still counter-clockwise.
        """
        edges: set[tuple[Cell, Cell]] = set()
        for cell in cells:
            corners = self._corners(cell)
            edges.update(zip(corners, corners[1:] + corners[:1], strict=True))
        boundary = {a: b for a, b in edges if (b, a) not in edges}
        start = min(boundary)
        ring = [start]
        while (nxt := boundary[ring[-1]]) != start:
            ring.append(nxt)
        if len(ring) != len(boundary):
            raise ValueError("cells are not one connected, hole-free area")
        return [self.vertices[v] for v in [*ring, start]]

    def point_in_cell(self, cell: Cell, u: float, v: float) -> Point:
        """The bilinear blend of the cell's corners at (u, v) in [0, 1]²."""
        a, b, c, d = (self.vertices[x] for x in self._corners(cell))
        weights = ((1 - u) * (1 - v), u * (1 - v), u * v, (1 - u) * v)
        lng = sum(w * p[0] for w, p in zip(weights, (a, b, c, d), strict=True))
        lat = sum(w * p[1] for w, p in zip(weights, (a, b, c, d), strict=True))
        return round(lng, _DIGITS), round(lat, _DIGITS)


def make_lattice(
    rng: random.Random,
    *,
    west: float,
    south: float,
    east: float,
    north: float,
    cols: int,
    rows: int,
    jitter: float = 0.18,
) -> Lattice:
    """A lattice over the box whose inner vertices are moved by up to ``jitter`` of a cell.

    Vertices on the box's edges move only along the edge, so the outline stays the box.
    """
    if not 0 <= jitter < 0.25:
        raise ValueError("jitter must stay below a quarter cell to keep the quads convex")
    dx, dy = (east - west) / cols, (north - south) / rows
    vertices: dict[Cell, Point] = {}
    for row in range(rows + 1):
        for col in range(cols + 1):
            shift_x = rng.uniform(-jitter, jitter) if 0 < col < cols else 0.0
            shift_y = rng.uniform(-jitter, jitter) if 0 < row < rows else 0.0
            vertices[(col, row)] = (
                round(west + (col + shift_x) * dx, _DIGITS),
                round(south + (row + shift_y) * dy, _DIGITS),
            )
    return Lattice(cols, rows, vertices)


def polygon(ring: list[Point]) -> dict[str, Any]:
    """A GeoJSON Polygon with one exterior ring."""
    return {"type": "Polygon", "coordinates": [[[lng, lat] for lng, lat in ring]]}


def ring_contains(ring: list[Point], point: Point) -> bool:
    """Is ``point`` strictly inside the closed ``ring``? (even–odd ray casting)"""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside
