/**
 * Numbered schema migrations. Migration N brings a database from version N-1 to N
 * (`PRAGMA user_version`). Append only: never edit a migration that has shipped.
 */
import { PHOTO_COUNTS_MIGRATION } from './photo-counts-sql.js';

export interface Migration {
  version: number;
  sql: string;
}

/**
 * SQLite's application_id of a Lenscribe library ('LnSc'), set by migration 7: db.ts opens only
 * databases carrying it, or, from builds before it, holding Lenscribe's own tables.
 */
export const LENSCRIBE_APPLICATION_ID = 0x4c6e5363;

export const migrations: Migration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE folders (
  id        INTEGER PRIMARY KEY,
  path      TEXT NOT NULL UNIQUE,
  added_at  INTEGER NOT NULL
);

-- One row per file on disk. A deleted file is kept as status 'missing' (its user captions
-- survive, and a file that reappears with the same content — a move — gets them back).
CREATE TABLE photos (
  id           INTEGER PRIMARY KEY,
  folder_id    INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
  path         TEXT NOT NULL UNIQUE,
  name         TEXT NOT NULL,
  size         INTEGER NOT NULL DEFAULT 0,
  mtime_ms     INTEGER NOT NULL DEFAULT 0,
  hash         TEXT,
  width        INTEGER,
  height       INTEGER,
  format       TEXT,
  taken_at     INTEGER,
  orientation  INTEGER,
  gps_lat      REAL,
  gps_lon      REAL,
  status       TEXT NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'captioned', 'error', 'missing')),
  error_kind   TEXT,
  error        TEXT,
  thumb        TEXT,
  -- The shown caption, kept by triggers on captions: the newest user caption, else the newest model caption.
  caption_id   INTEGER,
  caption      TEXT,
  caption_source TEXT,
  -- Row id of the photo in photos_fts: (shown caption length << 40) | id. FTS5 walks matches
  -- in rowid order, so the first matches it yields are the shortest captions — the ones bm25
  -- ranks highest — and a search can stop early instead of scoring every match.
  fts_key      INTEGER,
  added_at     INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX photos_folder ON photos(folder_id);
CREATE INDEX photos_hash ON photos(hash);
CREATE INDEX photos_status ON photos(status);
CREATE INDEX photos_taken ON photos(taken_at);
CREATE UNIQUE INDEX photos_fts_key ON photos(fts_key);

-- Caption history: rows are only ever added (or removed with their photo).
CREATE TABLE captions (
  id          INTEGER PRIMARY KEY,
  photo_id    INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
  text        TEXT NOT NULL,
  source      TEXT NOT NULL,            -- 'user', 'import:<where>' or a model id
  is_user     INTEGER NOT NULL DEFAULT 0,
  score       REAL,
  alternatives TEXT,                    -- JSON [{text, score}] from beam search
  created_at  INTEGER NOT NULL
);
CREATE INDEX captions_photo ON captions(photo_id, is_user, id);
CREATE INDEX captions_source ON captions(source, photo_id);

CREATE TRIGGER captions_shown_ai AFTER INSERT ON captions BEGIN
  UPDATE photos SET
    caption_id = c.id, caption = c.text, caption_source = c.source
  FROM (SELECT id, text, source FROM captions WHERE photo_id = NEW.photo_id
        ORDER BY is_user DESC, id DESC LIMIT 1) AS c
  WHERE photos.id = NEW.photo_id AND photos.caption_id IS NOT c.id;
END;
CREATE TRIGGER captions_shown_ad AFTER DELETE ON captions BEGIN
  UPDATE photos SET
    caption_id = (SELECT id FROM captions WHERE photo_id = OLD.photo_id ORDER BY is_user DESC, id DESC LIMIT 1),
    caption = (SELECT text FROM captions WHERE photo_id = OLD.photo_id ORDER BY is_user DESC, id DESC LIMIT 1),
    caption_source = (SELECT source FROM captions WHERE photo_id = OLD.photo_id ORDER BY is_user DESC, id DESC LIMIT 1)
  WHERE photos.id = OLD.photo_id AND photos.caption_id = OLD.id;
END;

-- Full-text index over the shown caption and the file name (external content: photos, keyed
-- by fts_key). Photos whose file is gone ('missing') are left out, so searches need no join.
CREATE VIRTUAL TABLE photos_fts USING fts5(
  caption, name,
  content = 'photos', content_rowid = 'fts_key',
  tokenize = 'porter unicode61 remove_diacritics 2',
  prefix = '2 3 4'
);
CREATE TRIGGER photos_fts_ai AFTER INSERT ON photos BEGIN
  UPDATE photos SET fts_key = (min(length(coalesce(NEW.caption, '')), 4095) << 40) | NEW.id WHERE id = NEW.id;
  INSERT INTO photos_fts(rowid, caption, name)
    SELECT fts_key, coalesce(caption, ''), name FROM photos WHERE id = NEW.id AND status != 'missing';
END;
CREATE TRIGGER photos_fts_ad AFTER DELETE ON photos WHEN OLD.status != 'missing' BEGIN
  INSERT INTO photos_fts(photos_fts, rowid, caption, name) VALUES ('delete', OLD.fts_key, coalesce(OLD.caption, ''), OLD.name);
END;
-- One trigger, statements in order (SQLite runs separate triggers newest first, and the old
-- row must leave the index before the new one enters).
CREATE TRIGGER photos_fts_au AFTER UPDATE OF caption, name, status ON photos
  WHEN OLD.caption IS NOT NEW.caption OR OLD.name IS NOT NEW.name OR (OLD.status = 'missing') != (NEW.status = 'missing') BEGIN
  INSERT INTO photos_fts(photos_fts, rowid, caption, name)
    SELECT 'delete', OLD.fts_key, coalesce(OLD.caption, ''), OLD.name WHERE OLD.status != 'missing';
  UPDATE photos SET fts_key = (min(length(coalesce(NEW.caption, '')), 4095) << 40) | NEW.id WHERE id = NEW.id;
  INSERT INTO photos_fts(rowid, caption, name)
    SELECT fts_key, coalesce(caption, ''), name FROM photos WHERE id = NEW.id AND NEW.status != 'missing';
END;

-- Encoder output cached by content: duplicates and re-captioning never encode twice.
CREATE TABLE features (
  hash        TEXT NOT NULL,
  encoder_id  TEXT NOT NULL,
  dim         INTEGER NOT NULL,
  data        BLOB NOT NULL,            -- little-endian float32 × dim
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (hash, encoder_id)
) WITHOUT ROWID;

CREATE TABLE models (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  path        TEXT NOT NULL,
  active      INTEGER NOT NULL DEFAULT 0,
  added_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX models_one_active ON models(active) WHERE active = 1;

CREATE TABLE jobs (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL,            -- 'caption'
  state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'paused', 'done', 'cancelled', 'failed')),
  model_id    TEXT,
  folder_id   INTEGER REFERENCES folders(id) ON DELETE SET NULL,
  message     TEXT,
  total       INTEGER NOT NULL DEFAULT 0,
  done        INTEGER NOT NULL DEFAULT 0,
  failed      INTEGER NOT NULL DEFAULT 0,
  error       TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE TABLE job_items (
  job_id      INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  photo_id    INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
  state       TEXT NOT NULL DEFAULT 'todo' CHECK (state IN ('todo', 'done', 'error', 'skipped')),
  PRIMARY KEY (job_id, photo_id)
) WITHOUT ROWID;
CREATE INDEX job_items_todo ON job_items(job_id, state);
CREATE INDEX job_items_photo ON job_items(photo_id);

-- UI and library settings, one JSON value per key.
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`,
  },
  {
    // What Lenscribe last read from or wrote to each photo's metadata (src/main/metadata), so a
    // later write can tell a description another app made from its own. IF NOT EXISTS: builds
    // before this migration created the table on first use.
    version: 2,
    sql: `
CREATE TABLE IF NOT EXISTS metadata_ledger (
  photo_path     TEXT NOT NULL,
  target         TEXT NOT NULL CHECK (target IN ('xmp-sidecar', 'embedded', 'txt')),
  file           TEXT NOT NULL,
  text           TEXT,
  lenscribe_kind TEXT CHECK (lenscribe_kind IN ('user', 'model')),
  updated_at     INTEGER NOT NULL,
  PRIMARY KEY (photo_path, target)
) WITHOUT ROWID;
`,
  },
  {
    // Who a caption is from, beyond shown-over-the-model (is_user): the user's words, a description
    // imported from the photo's metadata (with the program that wrote it, when the file says), or
    // one of the model's alternatives the user picked — shown like the user's, but not a teaching label.
    version: 3,
    sql: `
ALTER TABLE captions ADD COLUMN kind TEXT NOT NULL DEFAULT 'model' CHECK (kind IN ('model', 'user', 'imported', 'alternative'));
ALTER TABLE captions ADD COLUMN app TEXT;
UPDATE captions SET kind = CASE WHEN source LIKE 'import:%' THEN 'imported' WHEN is_user = 1 THEN 'user' ELSE 'model' END;
`,
  },
  {
    // The user's captions of photos whose folder was removed (kept-captions.ts): by path and
    // content hash, each a JSON copy of its caption row, back in the history when the photo returns.
    version: 4,
    sql: `
CREATE TABLE kept_captions (
  id         INTEGER PRIMARY KEY,
  path       TEXT NOT NULL,
  hash       TEXT,
  caption    TEXT NOT NULL,
  removed_at INTEGER NOT NULL
);
CREATE INDEX kept_captions_path ON kept_captions(path);
CREATE INDEX kept_captions_hash ON kept_captions(hash);
`,
  },
  {
    // Tags per photo (tags.ts): what the encoders are confident of (kind 'model', source = the
    // model id), the user's own or imported keywords ('user'), and tags the user took away
    // ('removed': a re-derivation must not bring them back). One row per photo and tag, any case.
    // tag_derivations: which model last derived a photo's tags, so a model change re-derives them.
    version: 5,
    sql: `
CREATE TABLE tags (
  photo_id   INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
  tag        TEXT NOT NULL COLLATE NOCASE,
  kind       TEXT NOT NULL CHECK (kind IN ('model', 'user', 'removed')),
  source     TEXT NOT NULL,
  score      REAL,
  count      INTEGER,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (photo_id, tag)
) WITHOUT ROWID;
-- Search walks one tag's photos best first and stops after a page's worth (tags.ts bestHits);
-- removed rows are never searched or listed. photo_id last: PHOTO_HAS_TAG_SQL reads it from here.
CREATE INDEX tags_by_tag ON tags(tag, coalesce(score, 1) DESC, photo_id) WHERE kind != 'removed';
CREATE TABLE tag_derivations (
  photo_id   INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
  source     TEXT NOT NULL,
  derived_at INTEGER NOT NULL
);
`,
  },
  {
    // The user's tags of photos whose folder was removed (kept-captions.ts), beside their captions:
    // the tags they wrote and the ones they took away, by path and content hash, back when the photo returns.
    version: 6,
    sql: `
CREATE TABLE kept_tags (
  id         INTEGER PRIMARY KEY,
  path       TEXT NOT NULL,
  hash       TEXT,
  tag        TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('user', 'removed')),
  source     TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  removed_at INTEGER NOT NULL
);
CREATE INDEX kept_tags_path ON kept_tags(path);
CREATE INDEX kept_tags_hash ON kept_tags(hash);
`,
  },
  {
    // Mark the file as a Lenscribe library (db.ts refuses another application's library.db).
    version: 7,
    sql: `PRAGMA application_id = ${LENSCRIBE_APPLICATION_ID};`,
  },
  {
    // Search reads the caption and file name of ~200 candidates per keystroke by fts_key: with them
    // in the index it reads the index alone, not the index and then the photo's row (43% less time
    // at 100k photos). fts_key stays unique (it holds the photo id); the index grows by the captions.
    version: 8,
    sql: `
DROP INDEX photos_fts_key;
CREATE UNIQUE INDEX photos_fts_key ON photos(fts_key, caption, name);
`,
  },
  {
    // The grid's other orders (photos.list sort 'name' and 'taken'), read page by page from an
    // index instead of sorting the whole library for every page.
    version: 9,
    sql: `
CREATE INDEX photos_by_name ON photos(name COLLATE NOCASE, path);
CREATE INDEX photos_by_taken ON photos(coalesce(taken_at, mtime_ms) DESC, id);
`,
  },
  {
    // Folder order (photos.list sort 'path') as a file manager walks it: each folder's own photos,
    // then each subfolder's tree whole. Plain path order splits a folder's photos around its
    // subfolders ("a.jpg", "sub/c.jpg", "z.jpg"). The key turns separators into char(2) and the
    // last one into char(1), which sort below every character of a name (photos.ts FOLDER_ORDER).
    version: 10,
    sql: `
CREATE INDEX photos_by_folder_order ON photos(
  replace(replace(substr(path, 1, length(path) - length(name) - 1), '/', char(2)), '\\', char(2)) || char(1) || name, id);
`,
  },
  {
    // Captions fill the grid top-down, what is on screen first: a job's photos are taken in folder
    // order (rank), and the ones the user is looking at (wanted: when they were last on screen) before the rest.
    version: 11,
    sql: `
ALTER TABLE job_items ADD COLUMN rank INTEGER NOT NULL DEFAULT 0;
ALTER TABLE job_items ADD COLUMN wanted INTEGER NOT NULL DEFAULT 0;
CREATE INDEX job_items_next ON job_items(job_id, state, wanted DESC, rank);
`,
  },
  {
    // Adding a tag looks up how the user first spelled it: without this index a scan of every tag
    // per photo (a tag given to 10k selected photos took 12-15 s; tags_by_tag is partial on kind != 'removed').
    version: 12,
    sql: `
CREATE INDEX tags_user_spelling ON tags(tag, created_at) WHERE kind = 'user';
`,
  },
  {
    // Counts per folder, directory, status and month kept by triggers (photo-counts.ts): the sidebar,
    // the subfolder tree, the timeline and a list's total no longer count every photo.
    version: 13,
    sql: PHOTO_COUNTS_MIGRATION,
  },
  {
    // A deep page of the grid (photos.list at offset 99,700 of 100k) walked its order's index and
    // read every skipped photo's row for its status: 150 ms in folder order. Each order's index now
    // ends in status, so PhotoStore.page skips along the index alone and reads only the page's rows.
    version: 14,
    sql: `
DROP INDEX photos_by_folder_order;
CREATE INDEX photos_by_folder_order ON photos(
  replace(replace(substr(path, 1, length(path) - length(name) - 1), '/', char(2)), '\\', char(2)) || char(1) || name, id, status);
DROP INDEX photos_by_name;
CREATE INDEX photos_by_name ON photos(name COLLATE NOCASE, path, status);
DROP INDEX photos_by_taken;
CREATE INDEX photos_by_taken ON photos(coalesce(taken_at, mtime_ms) DESC, id, status);
CREATE INDEX photos_by_added ON photos(id DESC, status);
`,
  },
];

export const latestVersion = migrations[migrations.length - 1].version;
