/**
 * Reading a site QR code with the camera: the browser's BarcodeDetector where it exists (Chrome on
 * Android), otherwise jsQR, loaded only when a scan starts so it never weighs on the first screen.
 */

/** The token of a site code: a URL whose path is /s/<token> (any host — the printed base may differ). */
export function siteTokenFrom(text: string): string | null {
  const value = text.trim();
  let path: string;
  try {
    path = new URL(value, 'http://local.invalid').pathname;
  } catch {
    return null;
  }
  const m = /^\/s\/([A-Za-z0-9_-]{8,64})\/?$/.exec(path);
  return m ? m[1] : null;
}

type Frame = ImageData;
export type Decoder = (source: HTMLVideoElement, frame: () => Frame | null) => Promise<string | null>;

interface BarcodeDetectorLike {
  detect(source: CanvasImageSource): Promise<{ rawValue: string }[]>;
}
interface BarcodeDetectorCtor {
  new (options: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats?: () => Promise<string[]>;
}

/** The best decoder this browser has; jsQR is fetched on first use only. */
export async function makeDecoder(): Promise<{ decode: Decoder; engine: 'BarcodeDetector' | 'jsQR' }> {
  const Detector = (globalThis as unknown as { BarcodeDetector?: BarcodeDetectorCtor }).BarcodeDetector;
  if (Detector) {
    const formats = Detector.getSupportedFormats ? await Detector.getSupportedFormats() : ['qr_code'];
    if (formats.includes('qr_code')) {
      const detector = new Detector({ formats: ['qr_code'] });
      return {
        engine: 'BarcodeDetector',
        decode: async (video) => (await detector.detect(video))[0]?.rawValue ?? null,
      };
    }
  }
  const { default: jsQR } = await import('jsqr');
  return {
    engine: 'jsQR',
    decode: async (_video, frame) => {
      const image = frame();
      return image ? jsQR(image.data, image.width, image.height, { inversionAttempts: 'dontInvert' })?.data ?? null : null;
    },
  };
}
