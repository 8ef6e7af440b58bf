/** Browser contexts that cannot keep field data safe, detected at start, with what the user should do. */

export function blockingProblem(): string | null {
  const ua = navigator.userAgent;
  if (/MicroMessenger|\bQQ\/|DingTalk|AlipayClient/i.test(ua)) {
    return '当前是微信等应用的内置浏览器，无法可靠地离线保存数据。请点击右上角“…”，选择“在浏览器中打开”。';
  }
  if (typeof indexedDB === 'undefined') {
    return '此浏览器无法在本机保存数据（可能处于无痕/隐私模式）。请用普通模式的 Chrome、Edge 或 Safari 打开。';
  }
  return null;
}

export function isIos(): boolean {
  return /iPhone|iPad|iPod/.test(navigator.userAgent)
    || (navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1);
}

function isStandalone(): boolean {
  return window.matchMedia?.('(display-mode: standalone)').matches
    || (navigator as Navigator & { standalone?: boolean }).standalone === true;
}

/** Non-blocking advice shown as banners. */
export function startupWarnings(): string[] {
  const out: string[] = [];
  if (!('serviceWorker' in navigator)) {
    out.push('此浏览器不支持离线打开本应用。请用系统自带的 Chrome、Edge 或 Safari 打开。');
  }
  if (isIos() && !isStandalone()) {
    out.push('iPhone 用户请点击 Safari 底部“分享”→“添加到主屏幕”，从主屏幕打开，否则长时间不用时 Safari 可能清除本机数据。');
  }
  return out;
}

/** Ask the browser not to evict our data under storage pressure (granted silently on installed apps). */
export async function requestPersistence(): Promise<boolean> {
  try {
    if (!navigator.storage?.persist) return false;
    if (await navigator.storage.persisted()) return true;
    return await navigator.storage.persist();
  } catch {
    return false;
  }
}
