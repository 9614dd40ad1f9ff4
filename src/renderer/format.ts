/** Small display helpers shared by the views. */
import type { CameraFacts } from '../shared/api-contract.js';
import { SNIPPET_CLOSE, SNIPPET_OPEN } from '../shared/api-values.js';

export function basename(path: string): string {
  const parts = path.split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] ?? path;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function formatDate(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** Split a snippet with match marks into plain and highlighted runs. */
export function snippetRuns(snippet: string): Array<{ text: string; match: boolean }> {
  const runs: Array<{ text: string; match: boolean }> = [];
  let match = false;
  let buf = '';
  for (const ch of snippet) {
    if (ch === SNIPPET_OPEN || ch === SNIPPET_CLOSE) {
      if (buf) runs.push({ text: buf, match });
      buf = '';
      match = ch === SNIPPET_OPEN;
    } else buf += ch;
  }
  if (buf) runs.push({ text: buf, match });
  return runs;
}

export function plural(n: number, word: string): string {
  return `${n.toLocaleString()} ${word}${n === 1 ? '' : 's'}`;
}

/** "1/250 s · f/2.8 · ISO 400 · 50 mm (75 mm in 35 mm terms)", from what the file records; null when it records none of it. */
export function formatExposure(f: Pick<CameraFacts, 'exposureTime' | 'fNumber' | 'iso' | 'focalLength' | 'focalLength35'>): string | null {
  const parts: string[] = [];
  const t = f.exposureTime;
  if (t !== null) parts.push(t >= 0.3 ? `${Number(t.toFixed(1))} s` : `1/${Math.round(1 / t)} s`);
  if (f.fNumber !== null) parts.push(`f/${Number(f.fNumber.toFixed(1))}`);
  if (f.iso !== null) parts.push(`ISO ${Math.round(f.iso)}`);
  if (f.focalLength !== null) {
    const eq =
      f.focalLength35 !== null && Math.round(f.focalLength35) !== Math.round(f.focalLength)
        ? ` (${Math.round(f.focalLength35)} mm in 35 mm terms)`
        : '';
    parts.push(`${Number(f.focalLength.toFixed(1))} mm${eq}`);
  }
  return parts.length ? parts.join(' · ') : null;
}

/** "48.85837° N, 2.29448° E · 35 m". */
export function formatPlace(g: NonNullable<CameraFacts['gps']>): string {
  const lat = `${Math.abs(g.lat).toFixed(5)}° ${g.lat < 0 ? 'S' : 'N'}`;
  const lon = `${Math.abs(g.lon).toFixed(5)}° ${g.lon < 0 ? 'W' : 'E'}`;
  return `${lat}, ${lon}${g.altitude !== null ? ` · ${Math.round(g.altitude)} m` : ''}`;
}
