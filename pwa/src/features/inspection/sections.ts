/**
 * Rendering a very long checklist in steps: the first pass at once, the rest while the phone is idle or as
 * they scroll into reach. Items not rendered yet are placeholders of about their final height.
 */
import type { ChecklistSection } from '../../api/types';

/**
 * Items rendered in the first pass. A whole checklist of up to 120 items renders at once (100 items: ~130 ms to
 * paint at 4× CPU, benchmarks/pwa_lighthouse.py); only longer ones continue while the phone is idle.
 */
export const FIRST_SCREEN_ITEMS = 120;
/** Items added per idle moment: a few frames' work on a slow phone, never a long task. */
export const IDLE_STEP_ITEMS = 10;
/** A placeholder's height per item, matching the cards' contain-intrinsic-size. */
export const ITEM_REM = 11;

type Sections = Pick<ChecklistSection, 'items'>[];

export function itemCount(sections: Sections): number {
  return sections.reduce((n, s) => n + s.items.length, 0);
}

/** How many items (in document order) to render in the first pass. */
export function firstPassItems(sections: Sections, minItems = FIRST_SCREEN_ITEMS): number {
  return Math.min(minItems, itemCount(sections));
}

/** How many items must be rendered for this one to be (its position counted from 1), or 0 if unknown. */
export function itemsThrough(sections: Sections, itemCode: string | null): number {
  let n = 0;
  for (const section of sections) {
    for (const item of section.items) {
      n += 1;
      if (item.code === itemCode) return n;
    }
  }
  return 0;
}

type IdleHandle = { cancel: () => void };

/** requestIdleCallback where the browser has it (not Safari), else a short timeout. */
export function whenIdle(fn: () => void): IdleHandle {
  const w = globalThis as unknown as {
    requestIdleCallback?: (cb: () => void, opts?: { timeout: number }) => number;
    cancelIdleCallback?: (id: number) => void;
  };
  if (w.requestIdleCallback && w.cancelIdleCallback) {
    const id = w.requestIdleCallback(fn, { timeout: 500 });
    return { cancel: () => w.cancelIdleCallback!(id) };
  }
  const id = setTimeout(fn, 30);
  return { cancel: () => clearTimeout(id) };
}
