/**
 * Text-only captions: captions of photos we do not have (../shared/datasets/captions-text), which
 * train a concept decoder's language and its concept path (src/model/decoder.ts: a text-only row
 * reaches h0 only through its concepts). A caption's concepts are read from its own words
 * (conceptVectorFromCaption); the trainer corrupts them per batch like a detector would
 * (src/training/concept-noise.ts).
 *
 * File format, one JSON object a line: {"id": "<source>:<photo id>", "captions": ["…", …]}.
 * A bad line is reported with its line number and skipped (never the whole file); a file with no
 * usable line is an error. These captions are research-use data: read them, never copy them into
 * the project.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../shared/errors.js';
import { conceptVectorFromCaption } from '../model/concepts/caption-concepts.js';
import type { Rng } from '../model/rng.js';
import type { Vocabulary } from '../model/vocab.js';
import type { DatasetProblem } from './datasets.js';
import type { TokenCaption } from './trainer.js';

export interface TextCaptionFile {
  /** Absolute path of the file. */
  source: string;
  /** Every usable caption, in file order, with the id of the photo it describes. */
  captions: Array<{ id: string; text: string }>;
  /** Skipped lines and captions, one specific message each. */
  problems: DatasetProblem[];
}

/** The captions of one parsed line, or the reason it is skipped. */
function parseLine(line: string): { id: string; captions: string[]; skipped: number } | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return `not valid JSON (${(err as Error).message})`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected an object {"id", "captions"}';
  const { id, captions } = value as { id?: unknown; captions?: unknown };
  if (typeof id !== 'string' || id.trim() === '') return '"id" must be a non-empty string';
  if (!Array.isArray(captions)) return `"captions" of ${id} must be an array of strings`;
  const texts = captions.filter((c): c is string => typeof c === 'string').map((c) => c.replace(/\s+/g, ' ').trim());
  const kept = texts.filter((c) => c.length > 0);
  if (kept.length === 0) return `${id} has no caption (an array of non-empty strings)`;
  return { id, captions: kept, skipped: captions.length - kept.length };
}

/** Reads one text-only caption file; UserError when it cannot be read or has no usable line. */
export function loadTextCaptions(path: string): TextCaptionFile {
  const source = resolve(path);
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (err) {
    throw new UserError(`--text ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const captions: TextCaptionFile['captions'] = [];
  const problems: DatasetProblem[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const parsed = parseLine(line);
    if (typeof parsed === 'string') {
      problems.push({ line: i + 1, message: parsed });
      return;
    }
    if (parsed.skipped > 0)
      problems.push({ line: i + 1, message: `${parsed.skipped} caption(s) of ${parsed.id} are not non-empty strings` });
    for (const c of parsed.captions) captions.push({ id: parsed.id, text: c });
  });
  if (captions.length === 0) {
    const first = problems[0] ? ` (line ${problems[0].line}: ${problems[0].message})` : ' (the file is empty)';
    throw new UserError(`--text ${path}: no usable caption${first}`);
  }
  return { source, captions, problems };
}

/**
 * `count` captions drawn without replacement (all of them when there are fewer), in a seeded
 * order: the text-only share of the training set, so an epoch's length stays bounded.
 */
export function sampleTextCaptions<T>(captions: readonly T[], count: number, rng: Rng): T[] {
  if (count >= captions.length) return [...captions];
  const order = Int32Array.from(captions.keys());
  rng.shuffle(order);
  return Array.from(order.subarray(0, count), (i) => captions[i]!);
}

/**
 * Text-only training captions: word ids (without <start>/<end>), `hasImage: false`, and the clean
 * concept vector their words name (unless `concepts: false`: words only, for a language-model
 * pass). Captions without a word are left out.
 */
export function textTokenCaptions(texts: readonly string[], vocab: Vocabulary, options: { concepts?: boolean } = {}): TokenCaption[] {
  const withConcepts = options.concepts ?? true;
  const out: TokenCaption[] = [];
  for (const text of texts) {
    const ids = vocab.encode(text);
    if (ids.length <= 2) continue; // no words
    const tokens = ids.slice(1, -1);
    out.push(
      withConcepts
        ? { image: -1, hasImage: false, tokens, concepts: conceptVectorFromCaption(text) }
        : { image: -1, hasImage: false, tokens },
    );
  }
  return out;
}
