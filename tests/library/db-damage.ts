/** Damage a real library.db the way a failing disk or a bad copy does (shared by the integrity tests and the fault campaign). */
import Database from 'better-sqlite3';
import { closeSync, openSync, writeSync } from 'node:fs';

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
