"""Which region a map point falls in: point-in-polygon over GeoJSON Polygon / MultiPolygon boundaries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Ring = Sequence[Sequence[float]]


def _in_ring(lng: float, lat: float, ring: Ring) -> bool:
    """Ray casting (even-odd rule); a point exactly on an edge may fall either way."""
    inside = False
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i][0], ring[i][1]
        x2, y2 = ring[(i + 1) % n][0], ring[(i + 1) % n][1]
        if (y1 > lat) != (y2 > lat):
            x_cross = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lng < x_cross:
                inside = not inside
    return inside


def _in_polygon(lng: float, lat: float, rings: Sequence[Ring]) -> bool:
    """Inside the outer ring and outside every hole."""
    if not rings or not _in_ring(lng, lat, rings[0]):
        return False
    return not any(_in_ring(lng, lat, hole) for hole in rings[1:])


def contains(geometry: dict[str, Any] | None, *, lat: float, lng: float) -> bool:
    """Does a GeoJSON Polygon or MultiPolygon (WGS-84, [lng, lat]) contain the point?"""
    if not isinstance(geometry, dict):
        return False
    coordinates = geometry.get("coordinates") or []
    try:
        if geometry.get("type") == "Polygon":
            return _in_polygon(lng, lat, coordinates)
        if geometry.get("type") == "MultiPolygon":
            return any(_in_polygon(lng, lat, polygon) for polygon in coordinates)
    except (TypeError, IndexError):
        return False  # a malformed boundary holds nothing
    return False
