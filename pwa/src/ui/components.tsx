/** Shared presentational pieces (no data access): top bar, tab bar, banners, progress, photo strip. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export function TopBar(props: { title: string; back?: string; right?: ComponentChildren }) {
  return (
    <header class="topbar">
      {props.back && <a href={props.back} aria-label="返回" style="font-size:1.4rem;text-decoration:none;padding:0 .4rem">‹</a>}
      <h1>{props.title}</h1>
      {props.right}
    </header>
  );
}

export function TabBar(props: { path: string; unsent: number; enterprise?: boolean; console?: boolean }) {
  const tabs = [
    { href: '/', label: props.enterprise ? '首页' : '今日任务', active: props.path === '/' },
    { href: '/hazards', label: '隐患', active: props.path.startsWith('/hazards') },
    { href: '/sites', label: '场所', active: props.path.startsWith('/sites') || props.path.startsWith('/drafts') },
    ...(props.enterprise ? [] : [{ href: '/snap', label: '随手拍', active: props.path.startsWith('/snap') }]),
    { href: '/outbox', label: props.unsent ? `待发送 ${props.unsent}` : '待发送', active: props.path.startsWith('/outbox') },
    ...(props.console ? [{ href: '/console', label: '监管', active: props.path.startsWith('/console') }] : []),
  ];
  return (
    <nav class="tabbar" aria-label="主导航" style={{ gridTemplateColumns: `repeat(${tabs.length}, 1fr)` }}>
      {tabs.map((t) => (
        <a key={t.href} href={t.href} aria-current={t.active ? 'page' : undefined}>{t.label}</a>
      ))}
    </nav>
  );
}

export function Banner(props: { kind?: 'warn' | 'error' | 'info'; children: ComponentChildren; testid?: string }) {
  return <div class={`banner ${props.kind ?? 'warn'}`} role={props.kind === 'error' ? 'alert' : 'status'}
    data-testid={props.testid}>{props.children}</div>;
}

export function Progress(props: { value: number; max: number; label: string }) {
  const pct = props.max ? Math.round((props.value / props.max) * 100) : 0;
  return (
    <div class="progress" role="progressbar" aria-label={props.label} aria-valuemin={0} aria-valuemax={100}
      aria-valuenow={pct}>
      <span style={{ width: `${pct}%` }} />
    </div>
  );
}

/** "N 分钟前" for a timestamp, in Chinese. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '从未';
  const s = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (s < 60) return '刚刚';
  if (s < 3600) return `${Math.floor(s / 60)} 分钟前`;
  if (s < 86400) return `${Math.floor(s / 3600)} 小时前`;
  return `${Math.floor(s / 86400)} 天前`;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  return new Date(iso).toLocaleString('zh-CN', { hour12: false });
}

/** A thumbnail of a stored Blob; the object URL is released when it goes away. */
export function BlobImage(props: { blob: Blob | null; alt: string }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!props.blob) return undefined;
    const u = URL.createObjectURL(props.blob);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [props.blob]);
  return url ? <img src={url} alt={props.alt} /> : <span class="muted">照片</span>;
}

export function SignaturePad(props: { onDone: (canvas: HTMLCanvasElement) => void; onCancel: () => void }) {
  const [canvas, setCanvas] = useState<HTMLCanvasElement | null>(null);
  const [drawn, setDrawn] = useState(false);
  useEffect(() => {
    if (!canvas) return undefined;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = canvas.clientWidth * ratio;
    canvas.height = canvas.clientHeight * ratio;
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.lineWidth = 3 * ratio;
    ctx.lineCap = ctx.lineJoin = 'round';
    ctx.strokeStyle = '#000';
    let down = false;
    const at = (e: PointerEvent) => {
      const r = canvas.getBoundingClientRect();
      return [(e.clientX - r.left) * ratio, (e.clientY - r.top) * ratio] as const;
    };
    const start = (e: PointerEvent) => {
      down = true;
      canvas.setPointerCapture(e.pointerId);
      ctx.beginPath();
      ctx.moveTo(...at(e));
    };
    const move = (e: PointerEvent) => {
      if (!down) return;
      ctx.lineTo(...at(e));
      ctx.stroke();
      setDrawn(true);
    };
    const end = () => {
      down = false;
    };
    canvas.addEventListener('pointerdown', start);
    canvas.addEventListener('pointermove', move);
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
    return () => {
      canvas.removeEventListener('pointerdown', start);
      canvas.removeEventListener('pointermove', move);
      canvas.removeEventListener('pointerup', end);
      canvas.removeEventListener('pointercancel', end);
    };
  }, [canvas]);
  return (
    <div>
      <canvas class="sig" ref={setCanvas} aria-label="签名区域：请用手指签名" />
      <div style="display:flex;gap:.5rem">
        <button type="button" class="btn primary" disabled={!drawn} onClick={() => canvas && props.onDone(canvas)}>确认签名</button>
        <button type="button" class="btn" onClick={props.onCancel}>取消</button>
      </div>
    </div>
  );
}

/**
 * A confirmation in the page (not window.confirm, which some in-app browsers suppress): what will happen, and two
 * clear buttons. Focus moves to it so screen readers announce it.
 */
export function ConfirmDialog(props: { title: string; children: ComponentChildren; confirmLabel: string;
  cancelLabel?: string; danger?: boolean; onConfirm: () => void; onCancel: () => void; testid?: string }) {
  const [box, setBox] = useState<HTMLDivElement | null>(null);
  useEffect(() => {
    box?.focus();
  }, [box]);
  const titleId = `dlg-${props.testid ?? 'confirm'}`;
  return (
    <div class="dialog-backdrop">
      <div class="dialog" role="alertdialog" aria-modal="true" aria-labelledby={titleId} tabIndex={-1} ref={setBox}
        data-testid={props.testid ?? 'confirm-dialog'}
        onKeyDown={(e) => { if (e.key === 'Escape') props.onCancel(); }}>
        <h2 id={titleId}>{props.title}</h2>
        <div>{props.children}</div>
        <div class="dialog-buttons">
          <button type="button" class="btn" onClick={props.onCancel}>{props.cancelLabel ?? '取消'}</button>
          <button type="button" class={`btn ${props.danger ? 'danger' : 'primary'}`} onClick={props.onConfirm}
            data-testid="confirm">{props.confirmLabel}</button>
        </div>
      </div>
    </div>
  );
}
