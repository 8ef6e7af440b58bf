/** The site page's files and the QR rotation: poster PNG/PDF paths, the grid's poster sheet, a new code. */
import { apiPath, request } from '../../api/http';
import type { Site } from '../../api/types';
import { refreshSite } from '../sites/data';

export const RISK_LEVEL_LABELS: Record<string, string> = {
  red: '红（重大风险）', orange: '橙（较大风险）', yellow: '黄（一般风险）', blue: '蓝（低风险）',
};

export function posterPath(siteId: number, kind: 'png' | 'pdf'): string {
  return apiPath(`/sites/${siteId}/poster.${kind}`);
}

/** A4 sheets with the codes of every active site of a grid. */
export function gridPostersPath(gridId: number): string {
  return apiPath(`/regions/${gridId}/posters.pdf`);
}

/** 更换二维码: the printed code stops working at once; the offline copy of the site is refreshed. */
export async function rotateQr(siteId: number): Promise<Site> {
  const rotated = (await request<Site>('POST', apiPath(`/sites/${siteId}/qr-token`))).data!;
  // The offline copy (scan without signal) must know the new code too.
  void refreshSite(siteId).catch(() => undefined);
  return rotated;
}
