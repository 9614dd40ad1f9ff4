/** Shapes shared by the metadata reader and writer (captions that travel with the photos). */

/** Where a description was found. */
export type DescriptionSource =
  | 'xmp-sidecar' // photo.xmp or photo.jpg.xmp next to the photo
  | 'xmp' // XMP dc:description embedded in the photo
  | 'iptc' // IPTC Caption-Abstract
  | 'exif' // EXIF ImageDescription
  | 'exif-xpcomment' // EXIF XPComment (Windows Explorer "Comments")
  | 'png' // PNG tEXt/iTXt Description
  | 'caption-sidecar' // photo.caption
  | 'txt-sidecar'; // photo.txt

export type CaptionKind = 'user' | 'model';

export interface FoundDescription {
  text: string;
  source: DescriptionSource;
  /** The file the text was read from (the photo itself or a sidecar). */
  file: string;
  /** ExifTool tag it came from, e.g. `XMP-dc:Description`; absent for text sidecars. */
  tag?: string;
  /** XMP language alternative: `x-default`, `de`, `en-GB`…; absent for non-XMP sources. */
  lang?: string;
  /** For XMP sidecars: the program that wrote it (digiKam, darktable, Lightroom…), when the file says. */
  app?: string;
  /**
   * Who wrote it: `lenscribe` when Lenscribe's XMP namespace in the same file marks exactly this
   * text as ours (hash matches), otherwise `other` (the user, or another app).
   */
  writer: 'lenscribe' | 'other';
  /** For writer `lenscribe`: whether Lenscribe wrote a user caption or a model caption. */
  lenscribeKind?: CaptionKind;
}

export type IgnoreReason = 'empty' | 'boilerplate' | 'camera-name' | 'not-text' | 'too-long';

export interface IgnoredDescription {
  text: string;
  source: DescriptionSource;
  file: string;
  reason: IgnoreReason;
}

export interface DescriptionReport {
  photoPath: string;
  /** Every meaningful description, best first (sidecar XMP, embedded XMP, IPTC, EXIF, …). */
  descriptions: FoundDescription[];
  /**
   * The description to import as a user caption: the best one a person wrote (in another app,
   * or in Lenscribe), never one Lenscribe's model wrote. null when there is none.
   */
  primary: FoundDescription | null;
  /** Strings found but not taken, with the reason (camera boilerplate, blank, …). */
  ignored: IgnoredDescription[];
  /** Specific per-file problems (corrupt sidecar, unreadable photo); reading went on. */
  problems: string[];
  /**
   * Keywords other apps wrote (XMP dc:subject, IPTC Keywords, Lightroom lr:hierarchicalSubject,
   * digiKam TagsList; hierarchies as their leaf), once each, Lenscribe's own left out: the user's tags to import.
   */
  keywords: Array<{ tag: string; field: string; file: string }>;
}

/** Enough of a file's state to tell later whether someone else changed it. */
export interface FileSnapshot {
  path: string;
  exists: boolean;
  mtimeMs: number;
  size: number;
  /** sha256 (hex) of the whole file; '' when it does not exist. */
  sha256: string;
}

export type WriteTarget = 'xmp-sidecar' | 'embedded' | 'txt';
export type SidecarNaming = 'basename' | 'fullname';

export interface CaptionToWrite {
  text: string;
  kind: CaptionKind;
  /** Model id, recorded in the Lenscribe namespace for model captions. */
  model?: string;
}

/** A description Lenscribe knows to be at a write target. */
export interface KnownState {
  /** null: there was none. */
  text: string | null;
  /** Set when Lenscribe itself put `text` there, as a user or a model caption. */
  lenscribeKind?: CaptionKind;
}

export interface WriteOptions {
  /** Default `xmp-sidecar`. */
  target?: WriteTarget;
  /**
   * `photo.xmp` (basename: Lightroom, Capture One, Bridge) or `photo.jpg.xmp` (fullname: darktable,
   * digiKam). `auto` (default): the photo's existing sidecar, else what the folder already uses, else fullname.
   */
  sidecarNaming?: SidecarNaming | 'auto';
  /** Embedded writes: keep the photo's modification time. Default false. */
  preserveMtime?: boolean;
  /**
   * What Lenscribe last knew to be at this target (read on ingest, or written by an earlier
   * export). If the target now holds other text, another program changed it: the write is refused
   * as a `conflict` and their text returned. undefined = unknown (Lenscribe's XMP marks decide).
   */
  expected?: KnownState;
  /**
   * Let a *user* caption replace a description another app wrote that Lenscribe had not seen.
   * Model captions never replace one. Default false.
   */
  overwriteOthers?: boolean;
  /** Called after the new file is prepared and just before it replaces the target (observability, tests). */
  beforeCommit?: (targetPath: string) => Promise<void> | void;
}

export type WriteStatus = 'written' | 'unchanged' | 'kept-theirs' | 'conflict' | 'failed';

export type WriteErrorCode = 'missing' | 'read-only' | 'unsupported' | 'empty' | 'io' | 'exiftool';

export interface WriteOutcome {
  status: WriteStatus;
  photoPath: string;
  /** The target actually used (embedded may fall back to xmp-sidecar). */
  target: WriteTarget;
  /** The file written (or that would have been). */
  file: string;
  /** Set when Lenscribe did something other than asked, e.g. wrote a sidecar because the photo is read-only. */
  notice?: string;
  /** The text another program or the user put there (kept-theirs / conflict): nothing of it was lost. */
  theirs?: string;
  error?: { code: WriteErrorCode; message: string };
  /** The target file after the operation. */
  snapshot?: FileSnapshot;
  /** For `written` and `unchanged`: what the target now holds; pass it as `expected` next time. */
  state?: KnownState;
}
