/** The last-resort export of everything unsent or given up (photos as base64 in one JSON file) and its import. */
import { listDrafts } from '../../db/drafts';
import { getPhoto, putPhoto, sha256Hex } from '../../db/photos';
import { withDB } from '../../db/schema';
import type { Draft, OutboxItem, PhotoRecord } from '../../db/types';
import { importItems, listExportable } from '../../outbox/outbox';

export const EXPORT_FORMAT = 'hazardloop-unsent';

interface ExportedPhoto extends Omit<PhotoRecord, 'blob'> {
  base64: string;
}

export interface ExportFile {
  format: typeof EXPORT_FORMAT;
  version: 1;
  exported_at: string;
  user: string | null;
  items: OutboxItem[];
  drafts: Draft[];
  photos: ExportedPhoto[];
}

async function blobToBase64(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function base64ToBlob(base64: string, type: string): Blob {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type });
}

function photoIdsOfDraft(d: Draft): string[] {
  return [...Object.values(d.answers).flatMap((a) => [...a.photoIds, ...a.afterPhotoIds]),
    ...(d.signaturePhotoId ? [d.signaturePhotoId] : [])];
}

export async function buildExport(user: string | null): Promise<ExportFile> {
  const items = await listExportable();
  const drafts = await listDrafts();
  const ids = new Set([...items.flatMap((i) => i.photoIds), ...drafts.flatMap(photoIdsOfDraft)]);
  const photos: ExportedPhoto[] = [];
  for (const id of ids) {
    const photo = await getPhoto(id);
    if (!photo) continue;
    const { blob, ...rest } = photo;
    photos.push({ ...rest, base64: await blobToBase64(blob) });
  }
  return { format: EXPORT_FORMAT, version: 1, exported_at: new Date().toISOString(), user, items, drafts, photos };
}

export function downloadExport(file: ExportFile): void {
  const blob = new Blob([JSON.stringify(file)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `未发送数据-${file.exported_at.slice(0, 19).replace(/[:T]/g, '')}.json`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export interface ImportResult {
  items: number;
  drafts: number;
  photos: number;
}

/** Load an export file: photos are checked against their hash, known UUIDs are left alone. */
export async function importExport(text: string): Promise<ImportResult> {
  let file: ExportFile;
  try {
    file = JSON.parse(text);
  } catch {
    throw new Error('文件不是有效的导出文件（JSON 格式错误）。');
  }
  if (file?.format !== EXPORT_FORMAT || !Array.isArray(file.items)) throw new Error('这不是本应用导出的未发送数据文件。');
  let photos = 0;
  for (const p of file.photos ?? []) {
    const { base64, ...rest } = p;
    const blob = base64ToBlob(base64, p.type || 'image/jpeg');
    if ((await sha256Hex(blob)) !== p.id) throw new Error(`照片 ${p.id.slice(0, 8)} 已损坏，导入中止。`);
    await putPhoto({ ...rest, blob });
    photos++;
  }
  const items = await importItems(file.items);
  let drafts = 0;
  for (const d of file.drafts ?? []) {
    const added = await withDB(async (db) => {
      if (await db.get('drafts', d.id)) return false;
      await db.put('drafts', d);
      return true;
    });
    if (added) drafts++;
  }
  return { items, drafts, photos };
}
