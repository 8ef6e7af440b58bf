/**
 * Photos made small on the phone before they are kept or sent: long side ≤ 1600 px, JPEG 0.8, EXIF
 * orientation applied. Re-encoding also drops the camera's metadata (GPS, serial). No storage imports:
 * the public pages use it too.
 */

export const MAX_SIDE = 1600;
export const JPEG_QUALITY = 0.8;

/** Fit (width, height) inside maxSide on the long side, never enlarging. */
export function fitWithin(width: number, height: number, maxSide = MAX_SIDE): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

interface Decoded {
  source: CanvasImageSource;
  width: number;
  height: number;
  release: () => void;
}

function loadImage(file: Blob): Promise<Decoded> {
  const url = URL.createObjectURL(file);
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve({ source: img, width: img.naturalWidth, height: img.naturalHeight,
      release: () => URL.revokeObjectURL(url) });
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error('无法读取这张照片，请换一张（支持 JPG、PNG 格式）。'));
    };
    img.src = url;
  });
}

async function decode(file: Blob): Promise<Decoded> {
  // Older in-app browsers lack createImageBitmap or its options: an <img> turns by EXIF orientation too.
  if (typeof createImageBitmap === 'function') {
    try {
      const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
      return { source: bitmap, width: bitmap.width, height: bitmap.height, release: () => bitmap.close() };
    } catch {
      // fall back to <img>
    }
  }
  return loadImage(file);
}

/** The camera's (or gallery's) file as a resized JPEG, with its new size. */
export async function resizeToJpeg(file: Blob): Promise<{ blob: Blob; width: number; height: number }> {
  const image = await decode(file);
  try {
    const size = fitWithin(image.width, image.height);
    const canvas = document.createElement('canvas');
    canvas.width = size.width;
    canvas.height = size.height;
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, size.width, size.height);
    ctx.drawImage(image.source, 0, 0, size.width, size.height);
    const blob = await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('照片压缩失败，请换一张再试。'))), 'image/jpeg', JPEG_QUALITY));
    canvas.width = canvas.height = 0;
    return { blob, ...size };
  } finally {
    image.release();
  }
}
