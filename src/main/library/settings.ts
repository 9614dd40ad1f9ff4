/**
 * The settings table: UI and library settings, one JSON value per key. Only keys the contract
 * knows (defaultSettings) are read or written; a value that does not parse keeps its default.
 */
import type { Settings } from '../../shared/api-contract.js';
import { defaultSettings } from '../../shared/api-contract.js';
import type { DB } from './db.js';

export class SettingsStore {
  constructor(private readonly db: DB) {}

  get(): Settings {
    const rows = this.db.prepare('SELECT key, value FROM settings').all() as Array<{ key: string; value: string }>;
    const out: Record<string, unknown> = { ...defaultSettings };
    for (const r of rows) {
      if (r.key in defaultSettings) {
        try {
          out[r.key] = JSON.parse(r.value);
        } catch {
          // keep the default
        }
      }
    }
    return out as unknown as Settings;
  }

  set(patch: Partial<Settings>): Settings {
    const put = this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    this.db.transaction(() => {
      for (const [k, v] of Object.entries(patch)) if (k in defaultSettings && v !== undefined) put.run(k, JSON.stringify(v));
    })();
    return this.get();
  }
}
