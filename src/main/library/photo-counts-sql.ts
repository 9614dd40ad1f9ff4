/**
 * The SQL of the photo counts table (photo-counts.ts): its migration, and the recount that the
 * migration, a repair and the daily check share. Apart from photo-counts.ts so that migrations.ts
 * needs no database module.
 */
const dirOf = (row: string) => `rtrim(${row}.path, replace(replace(${row}.path, '/', ''), '\\', ''))`;
const monthOf = (row: string) => `coalesce(strftime('%Y-%m', coalesce(${row}.taken_at, ${row}.mtime_ms) / 1000, 'unixepoch'), '')`;

const add = (row: string) => `
  INSERT INTO photo_counts (folder_id, dir, status, month, n) VALUES (${row}.folder_id, ${dirOf(row)}, ${row}.status, ${monthOf(row)}, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;`;
const take = (row: string) => `
  UPDATE photo_counts SET n = n - 1
    WHERE folder_id = ${row}.folder_id AND dir = ${dirOf(row)} AND status = ${row}.status AND month = ${monthOf(row)};
  DELETE FROM photo_counts
    WHERE folder_id = ${row}.folder_id AND dir = ${dirOf(row)} AND status = ${row}.status AND month = ${monthOf(row)} AND n <= 0;`;

/** The counts the photos hold now, as rows of the table. */
export const RECOUNT = `SELECT folder_id, ${dirOf('photos')}, status, ${monthOf('photos')}, count(*) FROM photos GROUP BY 1, 2, 3, 4`;
/** The counts the table holds. */
export const KEPT = 'SELECT folder_id, dir, status, month, n FROM photo_counts';
/** Fills the (empty) table from the photos: the migration's first fill and a rebuild. */
export const FILL = `INSERT INTO photo_counts (folder_id, dir, status, month, n) ${RECOUNT}`;

/** Migration 13: the table, filled from the photos there are, and the triggers that keep it. */
export const PHOTO_COUNTS_MIGRATION = `
CREATE TABLE photo_counts (
  folder_id INTEGER NOT NULL,
  dir       TEXT NOT NULL,
  status    TEXT NOT NULL,
  month     TEXT NOT NULL,
  n         INTEGER NOT NULL,
  PRIMARY KEY (folder_id, dir, status, month)
) WITHOUT ROWID;
${FILL};
CREATE TRIGGER photo_counts_ai AFTER INSERT ON photos BEGIN ${add('NEW')}
END;
CREATE TRIGGER photo_counts_ad AFTER DELETE ON photos BEGIN ${take('OLD')}
END;
CREATE TRIGGER photo_counts_au AFTER UPDATE OF folder_id, path, status, taken_at, mtime_ms ON photos
  WHEN OLD.folder_id IS NOT NEW.folder_id OR OLD.status IS NOT NEW.status
    OR ${dirOf('OLD')} IS NOT ${dirOf('NEW')} OR ${monthOf('OLD')} IS NOT ${monthOf('NEW')} BEGIN ${take('OLD')} ${add('NEW')}
END;
-- The newest user caption of each photo (what teaching learns from), without a walk over every photo.
CREATE INDEX captions_user ON captions(photo_id, id) WHERE is_user = 1;
`;
