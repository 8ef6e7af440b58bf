"""Point in GeoJSON Polygon / MultiPolygon, holes included."""

from __future__ import annotations

import pytest

from hazardloop.public.point_in_region import contains

SQUARE = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
HOLE = [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]


@pytest.mark.parametrize(("geometry", "lng", "lat", "inside"), [
    ({"type": "Polygon", "coordinates": [SQUARE]}, 5, 5, True),
    ({"type": "Polygon", "coordinates": [SQUARE]}, 11, 5, False),
    ({"type": "Polygon", "coordinates": [SQUARE, HOLE]}, 5, 5, False),
    ({"type": "Polygon", "coordinates": [SQUARE, HOLE]}, 2, 2, True),
    ({"type": "MultiPolygon", "coordinates": [[SQUARE], [[[20, 20], [30, 20], [30, 30], [20, 20]]]]}, 28, 22, True),
    ({"type": "MultiPolygon", "coordinates": [[SQUARE]]}, 15, 15, False),
    # A concave "L": the notch is outside.
    ({"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 4], [4, 4], [4, 10], [0, 10], [0, 0]]]}, 7, 7, False),
    ({"type": "Point", "coordinates": [5, 5]}, 5, 5, False),
    ({"type": "Polygon", "coordinates": "garbage"}, 5, 5, False),
    (None, 5, 5, False),
])
def test_contains(geometry, lng, lat, inside):
    assert contains(geometry, lat=lat, lng=lng) is inside
