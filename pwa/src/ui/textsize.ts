/** 大字模式 (长辈版): larger type and touch targets for this device, remembered in localStorage. */
const KEY = 'hazardloop-large-text';
const CLASS = 'large-text';

/** Whether large text is on for this device (localStorage may be unavailable: then it is off). */
export function largeTextOn(): boolean {
  try {
    return localStorage.getItem(KEY) === '1';
  } catch {
    return false;
  }
}

/** Apply the remembered choice to the page (call once at start, before the first paint). */
export function applyTextSize(root: HTMLElement = document.documentElement): void {
  root.classList.toggle(CLASS, largeTextOn());
}

/** Switch large text on or off and remember it on this device. */
export function setLargeText(on: boolean, root: HTMLElement = document.documentElement): void {
  try {
    if (on) localStorage.setItem(KEY, '1');
    else localStorage.removeItem(KEY);
  } catch {
    // Private mode without storage: the switch still works for this visit.
  }
  root.classList.toggle(CLASS, on);
}
