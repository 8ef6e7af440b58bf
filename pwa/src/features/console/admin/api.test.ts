import { describe, expect, it } from 'vitest';
import { type Region, grantText, regionPath } from './api';

const regions: Region[] = [
  { id: 1, parent_id: null, level: 'district', name: '拱墅区', code: '330105', path: '/1/' },
  { id: 4, parent_id: 1, level: 'street', name: '湖墅街道', code: null, path: '/1/4/' },
  { id: 9, parent_id: 4, level: 'community', name: '卖鱼桥社区', code: null, path: '/1/4/9/' },
  { id: 17, parent_id: 9, level: 'grid', name: '卖鱼桥社区第1网格', code: null, path: '/1/4/9/17/' },
];
const byId = new Map(regions.map((r) => [r.id, r]));

describe('regionPath', () => {
  it('names a grid by its street and community, without the district', () => {
    expect(regionPath(regions[3], byId)).toBe('湖墅街道 / 卖鱼桥社区 / 卖鱼桥社区第1网格');
  });
  it('names a grid from a street supervisor\'s list, which holds no district', () => {
    const mine = new Map(regions.slice(1).map((r) => [r.id, r]));
    expect(regionPath(regions[3], mine)).toBe('湖墅街道 / 卖鱼桥社区 / 卖鱼桥社区第1网格');
  });
  it('names the district itself', () => {
    expect(regionPath(regions[0], byId)).toBe('拱墅区');
  });
});

describe('grantText', () => {
  const labels = new Map([['grid_worker', '网格员'], ['inspector', '执法/检查人员'], ['admin', '系统管理员']]);
  it('shows the role with its scope and department in Chinese', () => {
    expect(grantText({ role: 'grid_worker', region_id: 17, department_id: null, site_id: null,
      region_name: '卖鱼桥社区第1网格' }, labels)).toBe('网格员（卖鱼桥社区第1网格）');
    expect(grantText({ role: 'inspector', region_id: 1, department_id: 2, site_id: null, region_name: '拱墅区',
      department_name: '消防救援大队' }, labels)).toBe('执法/检查人员（拱墅区 · 消防救援大队）');
    expect(grantText({ role: 'admin', region_id: null, department_id: null, site_id: null }, labels)).toBe('系统管理员');
  });
});
