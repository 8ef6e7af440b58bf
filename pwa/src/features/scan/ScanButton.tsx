/** 扫码: a button that opens the rear camera and, on a site code, goes to /s/<token>. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { navigate } from '../../router';
import { Banner } from '../../ui/components';
import { makeDecoder, siteTokenFrom } from './decode';

function Scanner(props: { onClose: () => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [engine, setEngine] = useState<string>('');

  useEffect(() => {
    let stream: MediaStream | null = null;
    let stopped = false;
    const canvas = document.createElement('canvas');
    const frame = () => {
      const v = video.current;
      if (!v || !v.videoWidth) return null;
      // Decode a reduced frame: enough for a poster-sized code, and cheap on a slow phone.
      const scale = Math.min(1, 640 / Math.max(v.videoWidth, v.videoHeight));
      canvas.width = Math.round(v.videoWidth * scale);
      canvas.height = Math.round(v.videoHeight * scale);
      const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
      ctx.drawImage(v, 0, 0, canvas.width, canvas.height);
      return ctx.getImageData(0, 0, canvas.width, canvas.height);
    };
    void (async () => {
      if (!navigator.mediaDevices?.getUserMedia) {
        setError('此浏览器不能使用相机扫码，请用手机自带相机扫描海报上的二维码。');
        return;
      }
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
      } catch {
        setError('无法打开相机：请允许本应用使用相机，或用手机自带相机扫码。');
        return;
      }
      if (stopped || !video.current) return;
      video.current.srcObject = stream;
      await video.current.play().catch(() => undefined);
      const { decode, engine: name } = await makeDecoder();
      setEngine(name);
      while (!stopped) {
        const text = video.current ? await decode(video.current, frame).catch(() => null) : null;
        if (text) {
          const token = siteTokenFrom(text);
          if (token) {
            navigate(`/s/${token}`);
            return;
          }
          setError('这不是场所二维码。');
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    return () => {
      stopped = true;
      stream?.getTracks().forEach((t) => t.stop());
    };
  }, []);

  return (
    <div class="scanner" role="dialog" aria-label="扫描场所二维码">
      <video ref={video} playsInline muted />
      <p>将场所海报上的二维码放入取景框{engine ? `（${engine}）` : ''}</p>
      {error && <Banner kind="error">{error}</Banner>}
      <button type="button" class="btn block" onClick={props.onClose}>关闭</button>
    </div>
  );
}

export function ScanButton() {
  const [open, setOpen] = useState(false);
  return <>
    <button type="button" class="btn block" data-testid="scan" onClick={() => setOpen(true)}>扫码（场所二维码）</button>
    {open && <Scanner onClose={() => setOpen(false)} />}
  </>;
}
