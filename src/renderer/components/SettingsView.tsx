/**
 * Settings: appearance, and where captions travel (issue 8) — whether a caption the user saves
 * is also written next to the photo (XMP or .txt sidecar) or into it, which captions travel, and
 * one-off import / export over the whole library. Nothing is written to photo folders unless
 * the user picks it here.
 */
import { useState } from 'react';
import type { ApiClient, MetadataExportResult, MetadataImportResult, Settings } from '../../shared/api-contract.js';
import { plural } from '../format.js';
import { ThemeSelect } from './ThemeSelect.js';

export interface SettingsViewProps {
  client: ApiClient;
  settings: Settings;
  onSettings(patch: Partial<Settings>): void;
  onError(message: string): void;
}

const writeChoices: Array<{ value: Settings['metadataWrite']; label: string; hint: string }> = [
  { value: 'off', label: 'Only in Lenscribe', hint: 'Nothing is written to your photo folders.' },
  {
    value: 'xmp',
    label: 'XMP sidecar next to the photo',
    hint: 'photo.xmp (or photo.jpg.xmp, whichever your other apps use) — read by Lightroom, digiKam, darktable, Immich, PhotoPrism.',
  },
  { value: 'txt', label: 'Text file next to the photo', hint: 'photo.txt with the caption, for preparing datasets.' },
  {
    value: 'embedded',
    label: 'Inside the photo file',
    hint: 'XMP / IPTC description in the file itself; the pixels are not touched. Read-only files get a sidecar instead.',
  },
];

function exportLine(r: MetadataExportResult): string {
  const parts = [`${r.written} written`, `${r.unchanged} already up to date`];
  if (r.keptTheirs) parts.push(`${r.keptTheirs} kept (another app's description)`);
  if (r.conflicts) parts.push(`${r.conflicts} changed elsewhere (not overwritten)`);
  if (r.failed) parts.push(`${r.failed} failed`);
  if (r.skipped) parts.push(`${r.skipped} without a caption to write`);
  if (r.keywordsWritten) parts.push(`keywords written for ${plural(r.keywordsWritten, 'photo')}`);
  return `${plural(r.photos, 'photo')}: ${parts.join(', ')}.`;
}

/** Where saved captions are also written, which ones, and whether embedded writes keep the file dates. */
function MetadataChoices({ settings, onSettings }: { settings: Settings; onSettings(patch: Partial<Settings>): void }) {
  return (
    <>
      <fieldset className="choice-list" aria-labelledby="metadata-heading" data-testid="metadata-write">
        <legend className="small muted">When you write or change a caption, also save it:</legend>
        {writeChoices.map((c) => (
          <label key={c.value} className="choice">
            <input
              type="radio"
              name="metadataWrite"
              value={c.value}
              checked={settings.metadataWrite === c.value}
              onChange={() => onSettings({ metadataWrite: c.value })}
            />
            <span>
              {c.label}
              <span className="hint">{c.hint}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <fieldset className="choice-list" disabled={settings.metadataWrite === 'off'}>
        <legend className="small muted">Which captions:</legend>
        <label className="choice">
          <input
            type="radio"
            name="metadataOnly"
            value="user"
            checked={settings.metadataOnly === 'user'}
            onChange={() => onSettings({ metadataOnly: 'user' })}
          />
          <span>Only the ones I wrote</span>
        </label>
        <label className="choice">
          <input
            type="radio"
            name="metadataOnly"
            value="all"
            checked={settings.metadataOnly === 'all'}
            onChange={() => onSettings({ metadataOnly: 'all' })}
          />
          <span>
            Mine, and the model's where I wrote none
            <span className="hint">A model caption never replaces a description you or another app wrote.</span>
          </span>
        </label>
      </fieldset>
      <label className="choice">
        <input
          type="checkbox"
          checked={settings.metadataKeepMtime}
          disabled={settings.metadataWrite !== 'embedded'}
          onChange={(e) => onSettings({ metadataKeepMtime: e.target.checked })}
        />
        <span>Keep the photo files' modification dates when writing inside them</span>
      </label>
      <label className="choice">
        <span>Tags go to the keywords too: yours always, the model's when it is at least</span>{' '}
        <input
          type="number"
          min={0}
          max={100}
          step={5}
          value={Math.round(settings.metadataTagMinScore * 100)}
          disabled={settings.metadataWrite === 'off' || settings.metadataWrite === 'txt'}
          onChange={(e) => {
            const percent = Number(e.target.value);
            if (Number.isFinite(percent) && percent >= 0 && percent <= 100) onSettings({ metadataTagMinScore: percent / 100 });
          }}
          aria-label="Lowest model tag score written to keywords, in percent"
          data-testid="settings-tag-min-score"
        />{' '}
        <span>% sure</span>
      </label>
    </>
  );
}

/** The desktop app only (`lenscribe serve` never updates itself): whether it looks for new versions. */
function UpdateChoice({ settings, onSettings }: { settings: Settings; onSettings(patch: Partial<Settings>): void }) {
  return (
    <section className="teach-section">
      <h2>Updates</h2>
      <label className="choice">
        <input
          type="checkbox"
          checked={settings.checkForUpdates}
          onChange={(e) => onSettings({ checkForUpdates: e.target.checked })}
          data-testid="settings-check-updates"
        />
        <span>
          Check for updates
          <span className="hint">Asks GitHub's releases page for a newer Lenscribe. Nothing is downloaded until you say yes.</span>
        </span>
      </label>
    </section>
  );
}

export function SettingsView({ client, settings, onSettings, onError }: SettingsViewProps) {
  const [busy, setBusy] = useState<'import' | 'export' | null>(null);
  const [report, setReport] = useState<{ line: string; notes: string[] } | null>(null);

  const runImport = async () => {
    setBusy('import');
    setReport(null);
    try {
      const r: MetadataImportResult = await client.call('metadata.import');
      setReport({
        line: `${plural(r.photos, 'photo')} read: ${r.imported} descriptions imported as your captions, ${r.unchanged} already there, ${r.withProblems} with problems.`,
        notes: r.problems,
      });
    } catch (err) {
      onError((err as Error).message);
    } finally {
      setBusy(null);
    }
  };
  const runExport = async () => {
    setBusy('export');
    setReport(null);
    try {
      const r = await client.call('metadata.export', {});
      setReport({ line: exportLine(r), notes: r.notes });
    } catch (err) {
      onError((err as Error).message);
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="settings-view" data-testid="settings">
      <h1>Settings</h1>
      <section className="teach-section">
        <h2>Appearance</h2>
        <label>
          Theme <ThemeSelect theme={settings.theme} onSettings={onSettings} testId="settings-theme" />
        </label>
      </section>
      <section className="teach-section">
        <h2 id="metadata-heading">Captions that travel with your photos</h2>
        <MetadataChoices settings={settings} onSettings={onSettings} />
        <div className="button-row">
          <button onClick={runImport} disabled={busy !== null} data-testid="metadata-import">
            {busy === 'import' ? 'Reading…' : 'Import descriptions from the photos'}
          </button>
          <button onClick={runExport} disabled={busy !== null || settings.metadataWrite === 'off'} data-testid="metadata-export">
            {busy === 'export' ? 'Writing…' : 'Write all captions now'}
          </button>
        </div>
        {report && (
          <div className="metadata-report" role="status" data-testid="metadata-report">
            <p>{report.line}</p>
            {report.notes.length > 0 && (
              <ul className="small">
                {report.notes.map((n, i) => (
                  <li key={i}>{n}</li>
                ))}
              </ul>
            )}
          </div>
        )}
      </section>
      {client.transport === 'ipc' && <UpdateChoice settings={settings} onSettings={onSettings} />}
    </div>
  );
}
