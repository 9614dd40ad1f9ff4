/** Who a caption is from, in the words the photo view shows ("yours", "from digiKam's sidecar", …). */
import type { CaptionEntry, CaptionKind, ImportedFrom } from '../shared/api-contract.js';

/** Where an imported description was read, as a person would say it. */
const PLACES: Record<string, string> = {
  xmp: "the photo's XMP description",
  iptc: "the photo's IPTC caption",
  exif: "the photo's EXIF description",
  'exif-xpcomment': "the photo's Windows comment",
  png: "the PNG's description",
  'caption-sidecar': 'the .caption file beside it',
  'txt-sidecar': 'the .txt file beside it',
};

export function importedLabel(from: ImportedFrom | null): string {
  if (!from) return 'imported';
  if (from.place === 'xmp-sidecar') return from.app ? `from ${from.app}'s sidecar` : 'from the XMP sidecar';
  return `from ${PLACES[from.place] ?? from.place}`;
}

export const ALTERNATIVE_LABEL = "chosen from the model's alternatives";

/** The tag beside the shown caption. */
export function captionLabel(kind: CaptionKind | null, from: ImportedFrom | null): string {
  if (kind === null) return '';
  if (kind === 'user') return 'yours';
  if (kind === 'imported') return importedLabel(from);
  if (kind === 'alternative') return ALTERNATIVE_LABEL;
  return 'by the model';
}

/** Who wrote a history entry (a model's caption names the model). */
export function entryLabel(c: CaptionEntry): string {
  if (c.kind === 'user') return 'you';
  if (c.kind === 'imported') return importedLabel(c.importedFrom);
  if (c.kind === 'alternative') return ALTERNATIVE_LABEL;
  return c.source;
}
