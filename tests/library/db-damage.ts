/** Damage a real library.db the way a failing disk or a bad copy does (shared by the integrity tests and the fault campaign). */
import Database from 'better-sqlite3';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { isCorruption } from '../../src/main/library/db-health.js';
import { cutShort, readableCopy } from '../../src/main/library/db-repair.js';

/**
 * Write bytes into the `leaf`-th leaf page of `table`: 'content' overwrites cells at the page's end
 * (the b-tree walks, its data is garbage), 'header' overwrites the page header (the page is unreadable).
 * Returns how many leaf pages the table has.
 */
export function damage(dbFile: string, table: string, how: 'content' | 'header', leaf = 0): number {
  const db = new Database(dbFile, { readonly: true });
  const pages = db.prepare(`SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno`).pluck().all(table) as number[];
  const size = db.pragma('page_size', { simple: true }) as number;
  db.close();
  if (pages.length <= leaf) throw new Error(`${table} has ${pages.length} leaf pages, no leaf ${leaf} to damage`);
  const at = (pages[leaf]! - 1) * size;
  const fd = openSync(dbFile, 'r+');
  if (how === 'content') writeSync(fd, Buffer.alloc(1500, 0x5a), 0, 1500, at + size - 1600);
  else writeSync(fd, Buffer.alloc(64, 0xff), 0, 64, at);
  closeSync(fd);
  return pages.length;
}

/**
 * Of the user's captions `written` (photo id -> text), those the cut-short `file` still holds on a
 * readable page (its history row, or the photo row that shows it), and how many only the photo row
 * holds. Read as the repair reads it, through a copy whose header counts only the pages present.
 */
export function stillHeld(file: string, written: ReadonlyMap<number, string>): { held: Set<number>; photoRowOnly: number } {
  const short = cutShort(file);
  if (!short) return { held: new Set(written.keys()), photoRowOnly: 0 };
  const copy = readableCopy(file, short, `${file}.probe`);
  const db = new Database(copy, { readonly: true });
  const holds = (sql: string, id: number, text: string) => {
    try {
      return db.prepare(sql).get(id, text) !== undefined;
    } catch (err) {
      if (isCorruption(err)) return false;
      throw err; // a wrong query must fail the check, not count as a lost caption
    }
  };
  try {
    const held = new Set<number>();
    let photoRowOnly = 0;
    for (const [id, text] of written) {
      const inHistory = holds(`SELECT 1 FROM captions WHERE photo_id = ? AND kind = 'user' AND text = ?`, id, text);
      const inPhotoRow = holds(`SELECT 1 FROM photos WHERE id = ? AND caption = ? AND caption_source = 'user'`, id, text);
      if (inHistory || inPhotoRow) held.add(id);
      if (inPhotoRow && !inHistory) photoRowOnly++;
    }
    return { held, photoRowOnly };
  } finally {
    db.close();
    rmSync(copy);
  }
}
