/**
 * Finding a region among hundreds (区域选择): by any part of its name or of its path 街道 / 社区 / 网格, the
 * closest matches first. Pure, so the picker's order is tested without a browser.
 */
import { regionPath, type Region } from './admin/api';

export interface RegionMatch {
  region: Region;
  /** 「米市巷街道 / 左家新村社区 / 左家新村社区第1网格」: where it is, without the district. */
  path: string;
}

/** How many matches the list shows at once; more are narrowed by typing. */
export const SHOWN = 50;

/** The regions among `choices` matching `query` (every one when it is empty), best first, and how many more. */
export function searchRegions(choices: Region[], byId: Map<number, Region>, query: string,
  limit = SHOWN): { matches: RegionMatch[]; more: number } {
  const needle = query.trim().toLowerCase().replace(/\s*\/\s*/g, '/');
  const ranked: [number, RegionMatch][] = [];
  for (const region of choices) {
    const path = regionPath(region, byId);
    const name = region.name.toLowerCase();
    let rank: number;
    if (!needle) rank = 3;
    else if (name === needle) rank = 0;
    else if (name.startsWith(needle)) rank = 1;
    else if (name.includes(needle)) rank = 2;
    else if (path.toLowerCase().replace(/\s*\/\s*/g, '/').includes(needle)) rank = 3;
    else continue;
    ranked.push([rank, { region, path }]);
  }
  ranked.sort((a, b) => a[0] - b[0] || a[1].path.localeCompare(b[1].path, 'zh-CN', { numeric: true }));
  return { matches: ranked.slice(0, limit).map(([, m]) => m), more: Math.max(0, ranked.length - limit) };
}
