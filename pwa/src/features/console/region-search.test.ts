import { describe, expect, it } from 'vitest';
import type { Region } from './admin/api';
import { searchRegions } from './region-search';

const region = (id: number, parent: number | null, level: string, name: string, path: string): Region =>
  ({ id, parent_id: parent, level, name, code: null, path });

const district = region(1, null, 'district', '拱墅区', '/1/');
const street = region(2, 1, 'street', '米市巷街道', '/1/2/');
const community = region(3, 2, 'community', '左家新村社区', '/1/2/3/');
const grids = Array.from({ length: 120 }, (_, i) =>
  region(10 + i, 3, 'grid', `左家新村社区第${i + 1}网格`, `/1/2/3/${10 + i}/`));
const other = region(200, 1, 'street', '湖墅街道', '/1/200/');
const all = [district, street, community, ...grids, other];
const byId = new Map(all.map((r) => [r.id, r]));
const onlyGrids = all.filter((r) => r.level === 'grid');

describe('区域选择', () => {
  it('shows each match with its path without the district, in natural order, and how many more there are', () => {
    const { matches, more } = searchRegions(onlyGrids, byId, '');
    expect(matches).toHaveLength(50);
    expect(more).toBe(70);
    expect(matches[0].path).toBe('米市巷街道 / 左家新村社区 / 左家新村社区第1网格');
    expect(matches[1].region.name).toBe('左家新村社区第2网格');
  });
  it('puts a name that matches exactly or at its start before one found in the path', () => {
    const { matches } = searchRegions(onlyGrids, byId, '左家新村社区第12网格');
    expect(matches.map((m) => m.region.name)).toEqual(['左家新村社区第12网格']);
    const streets = searchRegions(all, byId, '街道').matches.map((m) => m.region.name);
    expect(streets.slice(0, 2).sort()).toEqual(['湖墅街道', '米市巷街道']);
  });
  it('finds by a part of the path, spaces around the slashes ignored', () => {
    expect(searchRegions(onlyGrids, byId, '米市巷街道/左家').more).toBe(70);
    expect(searchRegions(onlyGrids, byId, '米市巷街道 / 左家新村社区 / 左家新村社区第7网格').matches).toHaveLength(1);
    expect(searchRegions(onlyGrids, byId, '湖墅').matches).toEqual([]);
  });
});
