/** Date taken, orientation and GPS position from a photo's EXIF, via exifr. */
import exifr from 'exifr';

export interface PhotoExif {
  /** Milliseconds since the epoch, from DateTimeOriginal (else CreateDate/ModifyDate). */
  takenAt: number | null;
  /** EXIF orientation 1–8. */
  orientation: number | null;
  lat: number | null;
  lon: number | null;
}

const EMPTY: PhotoExif = { takenAt: null, orientation: null, lat: null, lon: null };

/** Never throws: a photo without (or with broken) EXIF simply has none. */
export async function readExif(path: string): Promise<PhotoExif> {
  let tags: Record<string, unknown> | undefined;
  try {
    tags = await exifr.parse(path, {
      tiff: true,
      exif: true,
      gps: true,
      ifd1: false,
      interop: false,
      xmp: false,
      icc: false,
      iptc: false,
      jfif: false,
      ihdr: false,
      translateValues: false,
      reviveValues: true,
      pick: ['DateTimeOriginal', 'CreateDate', 'ModifyDate', 'Orientation', 'GPSLatitude', 'GPSLatitudeRef', 'GPSLongitude', 'GPSLongitudeRef'],
    });
  } catch {
    return EMPTY;
  }
  if (!tags) return EMPTY;
  const date = [tags.DateTimeOriginal, tags.CreateDate, tags.ModifyDate].find((d) => d instanceof Date && !Number.isNaN(d.getTime())) as Date | undefined;
  const o = Number(tags.Orientation);
  const lat = typeof tags.latitude === 'number' && Number.isFinite(tags.latitude) ? tags.latitude : null;
  const lon = typeof tags.longitude === 'number' && Number.isFinite(tags.longitude) ? tags.longitude : null;
  return {
    takenAt: date ? date.getTime() : null,
    orientation: Number.isInteger(o) && o >= 1 && o <= 8 ? o : null,
    lat,
    lon,
  };
}
