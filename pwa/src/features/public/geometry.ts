/** The report map's arithmetic: GeoJSON polygons to SVG paths, screen points back to 经纬度, point-in-polygon. */
import type { Geometry } from './api';

type Ring = [number, number][];

/** The polygons of a Polygon / MultiPolygon as lists of rings (outer first, then holes); others hold none. */
export function polygons(geometry: Geometry | null | undefined): Ring[][] {
  if (!geometry || !Array.isArray(geometry.coordinates)) return [];
  const valid = (ring: unknown): ring is Ring => Array.isArray(ring) && ring.length >= 3
    && ring.every((p) => Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number');
  const polygon = (rings: unknown): Ring[] => (Array.isArray(rings) ? rings.filter(valid) : []);
  if (geometry.type === 'Polygon') return [polygon(geometry.coordinates)].filter((p) => p.length);
  if (geometry.type === 'MultiPolygon') return (geometry.coordinates as unknown[]).map(polygon).filter((p) => p.length);
  return [];
}

export interface Bounds {
  minLng: number;
  minLat: number;
  maxLng: number;
  maxLat: number;
}

export function boundsOf(geometries: Geometry[]): Bounds | null {
  let b: Bounds | null = null;
  for (const g of geometries) {
    for (const polygon of polygons(g)) {
      for (const [lng, lat] of polygon[0]) {
        b = b ? { minLng: Math.min(b.minLng, lng), minLat: Math.min(b.minLat, lat),
          maxLng: Math.max(b.maxLng, lng), maxLat: Math.max(b.maxLat, lat) }
          : { minLng: lng, minLat: lat, maxLng: lng, maxLat: lat };
      }
    }
  }
  return b;
}

/**
 * An equirectangular projection scaled so the district is WIDTH units wide; east is right, north up.
 * Over a district (a few km) the distortion is far below what a finger can point at.
 */
export const WIDTH = 1000;

export interface Projection {
  width: number;
  height: number;
  toXY(lng: number, lat: number): [number, number];
  toLngLat(x: number, y: number): { lng: number; lat: number };
}

export function projection(b: Bounds): Projection {
  const k = Math.cos(((b.minLat + b.maxLat) / 2) * Math.PI / 180);
  const spanX = Math.max((b.maxLng - b.minLng) * k, 1e-9);
  const scale = WIDTH / spanX;
  const height = Math.max(1, (b.maxLat - b.minLat) * scale);
  return {
    width: WIDTH,
    height,
    toXY: (lng, lat) => [(lng - b.minLng) * k * scale, (b.maxLat - lat) * scale],
    toLngLat: (x, y) => ({ lng: b.minLng + x / (k * scale), lat: b.maxLat - y / scale }),
  };
}

/** SVG path data (even-odd fill keeps holes open). */
export function pathData(geometry: Geometry, p: Projection): string {
  return polygons(geometry).flatMap((polygon) => polygon.map((ring) => ring.map(([lng, lat], i) => {
    const [x, y] = p.toXY(lng, lat);
    return `${i ? 'L' : 'M'}${x.toFixed(1)} ${y.toFixed(1)}`;
  }).join('') + 'Z')).join('');
}

function inRing(lng: number, lat: number, ring: Ring): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > lat) !== (yj > lat) && lng < xi + ((lat - yi) * (xj - xi)) / (yj - yi)) inside = !inside;
  }
  return inside;
}

/** Same rule as the server's (backend/hazardloop/public/point_in_region.py): inside the outer ring and outside every hole. */
export function contains(geometry: Geometry, lng: number, lat: number): boolean {
  return polygons(geometry).some(([outer, ...holes]) => inRing(lng, lat, outer)
    && !holes.some((hole) => inRing(lng, lat, hole)));
}

/** A viewBox after zooming by `factor` (> 1 zooms in) around the point (cx, cy), kept within sane limits. */
export function zoomView(view: View, factor: number, cx: number, cy: number, full: View): View {
  const w = Math.min(full.w * 1.5, Math.max(full.w / 40, view.w / factor));
  const f = view.w / w;
  const h = view.h / f;
  return { x: cx - (cx - view.x) / f, y: cy - (cy - view.y) / f, w, h };
}

export interface View {
  x: number;
  y: number;
  w: number;
  h: number;
}
