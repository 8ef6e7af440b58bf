import { describe, expect, it } from 'vitest';
import { boundsOf, contains, pathData, polygons, projection, zoomView } from './geometry';

const square = { type: 'Polygon', coordinates: [[[120.1, 30.3], [120.2, 30.3], [120.2, 30.4], [120.1, 30.4], [120.1, 30.3]]] };
const withHole = {
  type: 'Polygon',
  coordinates: [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]], [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]],
};

describe('report map geometry', () => {
  it('reads Polygon and MultiPolygon, and ignores anything else', () => {
    expect(polygons(square)).toHaveLength(1);
    expect(polygons({ type: 'MultiPolygon', coordinates: [square.coordinates, square.coordinates] })).toHaveLength(2);
    expect(polygons({ type: 'Point', coordinates: [1, 2] })).toEqual([]);
    expect(polygons({ type: 'Polygon', coordinates: 'garbage' })).toEqual([]);
  });

  it('projects north up and back again to the same point', () => {
    const p = projection(boundsOf([square])!);
    expect(p.width).toBe(1000);
    const [x, y] = p.toXY(120.1, 30.4);
    expect(x).toBeCloseTo(0);
    expect(y).toBeCloseTo(0);
    expect(p.toXY(120.1, 30.3)[1]).toBeCloseTo(p.height);
    const back = p.toLngLat(...p.toXY(120.15, 30.33));
    expect(back.lng).toBeCloseTo(120.15, 9);
    expect(back.lat).toBeCloseTo(30.33, 9);
    // A degree of longitude is shorter than one of latitude at 30°N.
    expect(p.height).toBeGreaterThan(p.width);
    // The square starts at its south-west corner: bottom left.
    expect(pathData(square, p)).toMatch(new RegExp(`^M0\\.0 ${p.height.toFixed(1)}L1000\\.0 ${p.height.toFixed(1)}L.*Z$`));
  });

  it('tells whether a point lies in a polygon, holes excluded (like the server)', () => {
    expect(contains(square, 120.15, 30.35)).toBe(true);
    expect(contains(square, 120.25, 30.35)).toBe(false);
    expect(contains(withHole, 5, 5)).toBe(false);
    expect(contains(withHole, 2, 2)).toBe(true);
  });

  it('zooms around the pointer and keeps the point under it', () => {
    const full = { x: 0, y: 0, w: 1000, h: 800 };
    const zoomed = zoomView(full, 2, 250, 200, full);
    expect(zoomed.w).toBe(500);
    expect(zoomed.h).toBe(400);
    // (250, 200) was at a quarter of the view and still is.
    expect((250 - zoomed.x) / zoomed.w).toBeCloseTo(0.25);
    expect(zoomView(full, 1000, 0, 0, full).w).toBe(25);
  });
});
