/** Photos from the camera: resized on the phone, hashed, stored as Blobs with capture time and place. */
import { putPhoto, sha256Hex } from '../../db/photos';
import type { PhotoRecord, Position } from '../../db/types';
import { resizeToJpeg } from '../../ui/resize';

/** The device position now, with its accuracy; null when denied, unavailable or too slow. */
export function currentPosition(timeoutMs = 8000): Promise<Position | null> {
  if (!('geolocation' in navigator)) return Promise.resolve(null);
  return new Promise((resolve) => {
    const done = (value: Position | null) => resolve(value);
    const timer = setTimeout(() => done(null), timeoutMs + 500);
    navigator.geolocation.getCurrentPosition(
      (p) => {
        clearTimeout(timer);
        done({ lat: p.coords.latitude, lng: p.coords.longitude, accuracy_m: Math.round(p.coords.accuracy) });
      },
      () => {
        clearTimeout(timer);
        done(null);
      },
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 30_000 },
    );
  });
}

/**
 * Take the camera's file, keep only the resized JPEG (the original is never stored), and record
 * when and where it was taken. Position is asked for at once, in parallel with the resize.
 */
export async function capturePhoto(file: File): Promise<PhotoRecord> {
  const takenAt = new Date();
  // A camera capture's lastModified is the shutter time; a file picked from the gallery may be older.
  const capturedAt = file.lastModified && Math.abs(takenAt.getTime() - file.lastModified) < 10 * 60_000
    ? new Date(file.lastModified) : takenAt;
  const [position, resized] = await Promise.all([currentPosition(), resizeToJpeg(file)]);
  const id = await sha256Hex(resized.blob);
  const record: PhotoRecord = {
    id,
    blob: resized.blob,
    type: 'image/jpeg',
    size: resized.blob.size,
    width: resized.width,
    height: resized.height,
    capturedAt: capturedAt.toISOString(),
    position,
    createdAt: new Date().toISOString(),
  };
  await putPhoto(record);
  return record;
}

/**
 * The photo picker's change handler, for every page with a camera input: the one chosen file is
 * captured as above and handed to ``onPhoto``; the input is cleared so the same shot can be picked
 * again; ``setBusy`` brackets the work and a failure's message goes to ``onError``.
 */
export async function pickPhoto(event: Event, onPhoto: (photo: PhotoRecord) => void,
  setBusy: (busy: boolean) => void, onError: (message: string) => void): Promise<void> {
  const input = event.target as HTMLInputElement;
  const file = input.files?.[0];
  input.value = '';
  if (!file) return;
  setBusy(true);
  try {
    onPhoto(await capturePhoto(file));
  } catch (e) {
    onError((e as Error).message);
  } finally {
    setBusy(false);
  }
}

/** Store a canvas drawing (the signature) as a JPEG photo. */
export async function storeCanvas(canvas: HTMLCanvasElement): Promise<PhotoRecord> {
  const blob = await new Promise<Blob>((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('签名保存失败'))), 'image/jpeg', 0.9));
  const id = await sha256Hex(blob);
  const record: PhotoRecord = {
    id, blob, type: 'image/jpeg', size: blob.size, width: canvas.width, height: canvas.height,
    capturedAt: new Date().toISOString(), position: null, createdAt: new Date().toISOString(),
  };
  await putPhoto(record);
  return record;
}
