/**
 * Report photos, made small on the phone before upload like the field app's (ui/resize.ts), which also
 * drops the camera's EXIF (GPS, serial) before it leaves the reporter's phone. Nothing is stored here.
 */

import { resizeToJpeg } from '../../ui/resize';

export const MAX_PHOTOS = 3;

export interface ReportPhoto {
  blob: Blob;
  /** An object URL for the thumbnail; revoke it when the photo is removed. */
  url: string;
}

/** The camera's (or gallery's) file as a resized JPEG ready to upload. */
export async function preparePhoto(file: Blob): Promise<ReportPhoto> {
  const { blob } = await resizeToJpeg(file);
  return { blob, url: URL.createObjectURL(blob) };
}
