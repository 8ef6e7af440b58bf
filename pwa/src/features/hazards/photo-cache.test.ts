import { describe, expect, it } from 'vitest';
import type { Hazard, HazardDetail } from '../../api/types';
import { photoCacheKey, photoKind, photosToKeep } from './photo-cache';

const id = (n: number) => n.toString(16).padStart(64, '0');

function hazard(n: number, status: Hazard['status'], photos: string[]): Hazard {
  return {
    id: n, number: `YH${n}`, site_id: 1, site_name: '场所', source: 'grid_patrol', covert: false, status,
    level: 'general', description: '', deadline_at: null, overdue: false, photo_ids: photos,
  } as unknown as Hazard;
}

describe('which photo URLs the service worker keeps', () => {
  it('recognises thumbnails and evidence copies of a photo id, nothing else', () => {
    const base = 'http://127.0.0.1:8000/api/v1/photos/';
    expect(photoKind(new URL(`${base}${id(1)}/thumbnail`))).toBe('thumbnail');
    expect(photoKind(new URL(`${base}${id(1)}/evidence?v=3`))).toBe('evidence');
    expect(photoKind(new URL(`${base}${id(1)}/original`))).toBeNull(); // the original with its GPS stays online only
    expect(photoKind(new URL(`${base}${id(1)}`))).toBeNull();
    expect(photoKind(new URL(`${base}../hazards/${id(1)}/thumbnail`))).toBeNull();
  });

  it('keeps one entry per photo, whatever the ?v= query', () => {
    expect(photoCacheKey(new URL(`http://h/api/v1/photos/${id(2)}/evidence?v=7`)))
      .toBe(`http://h/api/v1/photos/${id(2)}/evidence`);
  });
});

describe('photos to keep for offline work', () => {
  it('thumbnails of open hazards; evidence before and after for those awaiting 复查', () => {
    const awaiting = hazard(1, 'awaiting_verification', [id(1), id(2)]);
    const detail = { ...awaiting, rectification: { photo_ids: [id(2)] } } as unknown as HazardDetail;
    const rectifying = hazard(2, 'rectifying', [id(3)]);
    const closed = hazard(3, 'closed', [id(4)]);
    const wanted = photosToKeep([awaiting, rectifying, closed], new Map([[1, detail]]));
    expect(wanted).toEqual({ thumbnail: [id(1), id(2), id(3)], evidence: [id(1), id(2)] });
  });

  it('stops at the cache sizes, most urgent first, and ignores ids that are not photo hashes', () => {
    const list = [hazard(1, 'awaiting_verification', [id(1), 'not-a-hash', id(2)]),
      hazard(2, 'awaiting_verification', [id(3)])];
    expect(photosToKeep(list, new Map(), { thumbnail: 2, evidence: 1 }))
      .toEqual({ thumbnail: [id(1), id(2)], evidence: [id(1)] });
  });
});
