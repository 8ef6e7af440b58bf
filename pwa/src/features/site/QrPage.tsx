/** /s/<token>: a printed QR code opens the app at its site (resolved online, or from the offline copy). */
import { useEffect, useState } from 'preact/hooks';
import { HttpError } from '../../api/http';
import { resolveQrToken } from '../../api/qr';
import { navigate } from '../../router';
import { Banner } from '../../ui/components';
import { isoWithOffset } from '../inspection/form';
import { siteByQrTokenOffline } from '../sites/data';

export function QrPage(props: { token: string }) {
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const scannedAt = isoWithOffset(new Date());
    const go = (id: number) => navigate(
      `/sites/${id}?qr=${encodeURIComponent(props.token)}&at=${encodeURIComponent(scannedAt)}`, { replace: true });
    resolveQrToken(props.token).then((site) => go(site.id)).catch(async (e) => {
      if (e instanceof HttpError && e.status === 404) {
        setError('二维码无效或已更换，请向网格员索取新的二维码。');
        return;
      }
      if (e instanceof HttpError) {
        setError(e.problem.detail);
        return;
      }
      const site = await siteByQrTokenOffline(props.token);
      if (site) go(site.id);
      else setError('当前离线，且本机没有该二维码对应场所的数据。请联网后重新扫码。');
    });
  }, [props.token]);
  return error ? <Banner kind="error" testid="qr-error">{error}</Banner> : <p>正在识别二维码…</p>;
}
