"""WGS-84 ↔ GCJ-02 against published reference conversions."""

from __future__ import annotations

import pytest

from hazardloop.geo import gcj02_to_wgs84, wgs84_to_gcj02

# (wgs_lat, wgs_lng, gcj_lat, gcj_lng): the test vectors of googollee/eviltransform (python/test.py),
# the reference implementation most Chinese-map libraries are checked against.
REFERENCE = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


@pytest.mark.parametrize(("wgs_lat", "wgs_lng", "gcj_lat", "gcj_lng"), REFERENCE)
def test_wgs84_to_gcj02_matches_the_reference(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    assert wgs84_to_gcj02(wgs_lat, wgs_lng) == pytest.approx((gcj_lat, gcj_lng), abs=1e-9)


@pytest.mark.parametrize(("wgs_lat", "wgs_lng", "gcj_lat", "gcj_lng"), REFERENCE)
def test_gcj02_to_wgs84_inverts_it_within_a_centimetre(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    assert gcj02_to_wgs84(gcj_lat, gcj_lng) == pytest.approx((wgs_lat, wgs_lng), abs=1e-7)


@pytest.mark.parametrize(("lat", "lng"), [(51.5007, -0.1246), (0.0, 0.0), (-33.86, 151.21)])
def test_outside_china_nothing_moves(lat, lng):
    assert wgs84_to_gcj02(lat, lng) == (lat, lng)
    assert gcj02_to_wgs84(lat, lng) == (lat, lng)
