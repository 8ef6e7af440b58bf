/**
 * Picking a place without a QR code: the district's grid outlines drawn as SVG (no tile server),
 * dragged and pinched or zoomed with the buttons; a tap sets the point. The address field beside it
 * is the alternative for anyone who cannot or would rather not point.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { DistrictMap } from './api';
import { boundsOf, contains, pathData, projection, zoomView, type View } from './geometry';

export interface Point {
  lat: number;
  lng: number;
}

const TAP_SLOP_PX = 10;

export function MapPicker(props: { map: DistrictMap; value: Point | null; onChange: (point: Point) => void }) {
  const { map } = props;
  const bounds = useMemo(() => boundsOf([...(map.district ? [map.district.boundary] : []),
    ...map.grids.map((g) => g.boundary)]), [map]);
  if (!bounds) return <p class="muted" data-testid="map-empty">暂无辖区地图，请在下方填写地址。</p>;
  return <MapCanvas {...props} bounds={bounds} />;
}

function MapCanvas(props: { map: DistrictMap; value: Point | null; onChange: (point: Point) => void;
  bounds: NonNullable<ReturnType<typeof boundsOf>> }) {
  const proj = useMemo(() => projection(props.bounds), [props.bounds]);
  const full = useMemo<View>(() => {
    const pad = proj.width * 0.03;
    return { x: -pad, y: -pad, w: proj.width + 2 * pad, h: proj.height + 2 * pad };
  }, [proj]);
  const grids = useMemo(() => props.map.grids.map((g) => {
    const d = pathData(g.boundary, proj);
    const inner = boundsOf([g.boundary])!;
    const [x1, y1] = proj.toXY(inner.minLng, inner.maxLat);
    const [x2, y2] = proj.toXY(inner.maxLng, inner.minLat);
    return { name: g.name, boundary: g.boundary, d, cx: (x1 + x2) / 2, cy: (y1 + y2) / 2 };
  }), [props.map, proj]);
  const districtPath = useMemo(() => (props.map.district ? pathData(props.map.district.boundary, proj) : ''),
    [props.map, proj]);

  const [view, setViewState] = useState<View>(full);
  const viewRef = useRef(view);
  const setView = (v: View) => {
    viewRef.current = v;
    setViewState(v);
  };
  const svgRef = useRef<SVGSVGElement>(null);
  const pointers = useRef(new Map<number, { x: number; y: number }>());
  const gesture = useRef({ moved: 0, multi: false });
  const [note, setNote] = useState<string | null>(null);

  /** A screen point in the SVG's user units (the current viewBox). */
  const toSvg = (clientX: number, clientY: number): [number, number] => {
    const svg = svgRef.current!;
    const ctm = svg.getScreenCTM();
    if (!ctm) return [0, 0];
    const p = new DOMPoint(clientX, clientY).matrixTransform(ctm.inverse());
    return [p.x, p.y];
  };

  const zoomAt = (factor: number, cx?: number, cy?: number) => {
    const v = viewRef.current;
    setView(zoomView(v, factor, cx ?? v.x + v.w / 2, cy ?? v.y + v.h / 2, full));
  };

  useEffect(() => {
    const svg = svgRef.current;
    if (!svg) return undefined;
    // Not passive: the wheel zooms the map instead of scrolling the page.
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const [x, y] = toSvg(e.clientX, e.clientY);
      zoomAt(e.deltaY < 0 ? 1.25 : 0.8, x, y);
    };
    svg.addEventListener('wheel', onWheel, { passive: false });
    return () => svg.removeEventListener('wheel', onWheel);
  }, [full]);

  const onPointerDown = (e: PointerEvent) => {
    if (pointers.current.size === 0) gesture.current = { moved: 0, multi: false };
    pointers.current.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.current.size > 1) gesture.current.multi = true;
    try {
      svgRef.current?.setPointerCapture(e.pointerId);
    } catch {
      // capture is a nicety: panning still works while the finger stays on the map
    }
  };

  const onPointerMove = (e: PointerEvent) => {
    const before = pointers.current.get(e.pointerId);
    if (!before) return;
    const now = { x: e.clientX, y: e.clientY };
    gesture.current.moved += Math.hypot(now.x - before.x, now.y - before.y);
    if (pointers.current.size === 1) {
      const [x0, y0] = toSvg(before.x, before.y);
      const [x1, y1] = toSvg(now.x, now.y);
      const v = viewRef.current;
      setView({ ...v, x: v.x - (x1 - x0), y: v.y - (y1 - y0) });
    } else if (pointers.current.size === 2) {
      const other = [...pointers.current.entries()].find(([id]) => id !== e.pointerId)![1];
      const d0 = Math.hypot(before.x - other.x, before.y - other.y);
      const d1 = Math.hypot(now.x - other.x, now.y - other.y);
      if (d0 > 0 && d1 > 0) {
        const [mx, my] = toSvg((now.x + other.x) / 2, (now.y + other.y) / 2);
        zoomAt(d1 / d0, mx, my);
      }
    }
    pointers.current.set(e.pointerId, now);
  };

  const onPointerUp = (e: PointerEvent) => {
    const at = pointers.current.get(e.pointerId);
    pointers.current.delete(e.pointerId);
    if (!at || pointers.current.size > 0) return;
    if (gesture.current.multi || gesture.current.moved > TAP_SLOP_PX) return;
    const [x, y] = toSvg(e.clientX, e.clientY);
    const point = proj.toLngLat(x, y);
    const b = props.bounds;
    if (point.lng < b.minLng || point.lng > b.maxLng || point.lat < b.minLat || point.lat > b.maxLat) {
      setNote('这里不在本辖区内，请在辖区范围内选点，或填写地址。');
      return;
    }
    setNote(null);
    props.onChange({ lat: round(point.lat), lng: round(point.lng) });
  };

  const onPointerCancel = (e: PointerEvent) => {
    pointers.current.delete(e.pointerId);
  };

  const locate = () => {
    if (!('geolocation' in navigator)) {
      setNote('此浏览器无法定位，请在地图上点选或填写地址。');
      return;
    }
    setNote('正在定位…');
    navigator.geolocation.getCurrentPosition((p) => {
      const { latitude: lat, longitude: lng } = p.coords;
      const b = props.bounds;
      if (lng < b.minLng || lng > b.maxLng || lat < b.minLat || lat > b.maxLat) {
        setNote('您当前的位置不在本辖区内，请在地图上点选问题所在位置，或填写地址。');
        return;
      }
      setNote(null);
      props.onChange({ lat: round(lat), lng: round(lng) });
      const [x, y] = proj.toXY(lng, lat);
      const w = full.w / 6;
      const h = (full.h / full.w) * w;
      setView({ x: x - w / 2, y: y - h / 2, w, h });
    }, () => setNote('未能定位（可能未允许定位权限），请在地图上点选或填写地址。'),
    { enableHighAccuracy: true, timeout: 10_000, maximumAge: 60_000 });
  };

  const chosen = props.value ? proj.toXY(props.value.lng, props.value.lat) : null;
  const chosenGrid = props.value
    ? props.map.grids.find((g) => contains(g.boundary, props.value!.lng, props.value!.lat))?.name ?? null : null;
  const showLabels = view.w <= full.w * 0.6;
  const unit = view.w / 100;
  return (
    <div class="map-picker">
      <svg ref={svgRef} class="map" data-testid="map" viewBox={`${view.x} ${view.y} ${view.w} ${view.h}`}
        preserveAspectRatio="xMidYMid meet" role="img"
        aria-label="辖区网格地图：拖动平移，双指或按钮缩放，轻点选择问题所在位置。不便使用时请填写下方地址。"
        onPointerDown={onPointerDown} onPointerMove={onPointerMove} onPointerUp={onPointerUp}
        onPointerCancel={onPointerCancel}>
        {districtPath && <path d={districtPath} class="map-district" fill-rule="evenodd" />}
        {grids.map((g, i) => (
          <path key={i} d={g.d} class={g.name === chosenGrid ? 'map-grid chosen' : 'map-grid'}
            fill-rule="evenodd" data-name={g.name} stroke-width={unit * 0.25} />
        ))}
        {showLabels && grids.map((g, i) => (
          <text key={`t${i}`} x={g.cx} y={g.cy} class="map-label" font-size={unit * 2.6}
            text-anchor="middle" dominant-baseline="middle">{g.name}</text>
        ))}
        {chosen && (
          <g class="map-pin" data-testid="map-pin">
            <circle cx={chosen[0]} cy={chosen[1]} r={unit * 2.2} stroke-width={unit * 0.6} />
            <circle cx={chosen[0]} cy={chosen[1]} r={unit * 0.6} class="dot" />
          </g>
        )}
      </svg>
      <div class="map-tools">
        <button type="button" class="btn small" onClick={() => zoomAt(1.6)} aria-label="放大地图">＋ 放大</button>
        <button type="button" class="btn small" onClick={() => zoomAt(1 / 1.6)} aria-label="缩小地图">－ 缩小</button>
        <button type="button" class="btn small" onClick={() => setView(full)}>全图</button>
        <button type="button" class="btn small" onClick={locate}>我的位置</button>
      </div>
      {note && <p class="field-error" role="alert">{note}</p>}
      <p class="map-choice" data-testid="map-choice" aria-live="polite">
        {props.value
          ? `已选位置：${chosenGrid ?? '本辖区'}（纬度 ${props.value.lat.toFixed(5)}，经度 ${props.value.lng.toFixed(5)}）`
          : '请在地图上轻点问题所在的位置（可拖动、缩放）。'}
      </p>
    </div>
  );
}

/** Six decimals ≈ 0.1 m: more than a finger can point at, and short in the request. */
function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
