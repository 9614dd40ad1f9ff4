/**
 * What the grid's selection can have done to it (the selection bar and the right-click menu share
 * this): a caption for all of it (replacing or appended), a tag added or taken away, captioned
 * again, failed files read again, metadata written. Each action reports what it did in one line;
 * a caption given to many photos can be undone from that report.
 */
import { useState } from 'react';
import type { ApiClient, BulkTagResult } from '../shared/api-contract.js';

/** The actions, as the bar and the menu list them; those ending in "…" ask for a word first. */
export const BULK_ACTIONS = [
  { id: 'caption', label: 'Caption…' },
  { id: 'addTag', label: 'Add tag…' },
  { id: 'removeTag', label: 'Remove tag…' },
  { id: 'recaption', label: 'Re-caption' },
  { id: 'retry', label: 'Retry failed' },
  { id: 'writeMetadata', label: 'Write metadata' },
] as const;
export type BulkActionId = (typeof BULK_ACTIONS)[number]['id'];
/** The actions that open a form in the selection bar. */
export type BulkForm = Extract<BulkActionId, 'caption' | 'addTag' | 'removeTag'>;
export const isFormAction = (id: BulkActionId): id is BulkForm => id === 'caption' || id === 'addTag' || id === 'removeTag';

export interface BulkReport {
  message: string;
  level: 'warning' | 'error';
  /** The caption rows to take back (captions.undoMany), when the action gave captions. */
  undo?: number[];
}

const photosWord = (n: number) => `${n} photo${n === 1 ? '' : 's'}`;
const also = (parts: Array<[number, string]>) =>
  parts
    .filter(([n]) => n > 0)
    .map(([n, what]) => `${photosWord(n)} ${what}`)
    .join(', ');
const sentence = (main: string, extra: string) => (extra ? `${main} (${extra}).` : `${main}.`);

function tagReport(r: BulkTagResult, tag: string, added: boolean): string {
  const extra = also([
    [r.unchanged, added ? 'had it already' : 'did not have it'],
    [r.notFound, 'no longer in the library'],
  ]);
  return sentence(`${added ? 'Tag' : 'Removed tag'} “${tag}” ${added ? 'added to' : 'from'} ${photosWord(r.changed)}`, extra);
}

export function useBulkActions(client: ApiClient, marked: ReadonlySet<number>) {
  const [form, setForm] = useState<BulkForm | null>(null);
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<BulkReport | null>(null);
  const photoIds = [...marked];

  const run = async (what: string, action: () => Promise<BulkReport>) => {
    setBusy(true);
    try {
      setReport(await action());
      setForm(null);
    } catch (err) {
      setReport({ message: `${what}: ${(err as Error).message}`, level: 'error' });
    } finally {
      setBusy(false);
    }
  };

  const caption = (text: string, mode: 'replace' | 'append') =>
    run('Caption', async () => {
      const r = await client.call('captions.setMany', { photoIds, text, mode });
      const extra = also([
        [r.unchanged, 'showed it already'],
        [r.notFound, 'no longer in the library'],
      ]);
      const did = mode === 'append' ? `Added “${text.trim()}” to the captions of` : `Caption “${text.trim()}” given to`;
      return { message: sentence(`${did} ${photosWord(r.changed)}`, extra), level: 'warning', ...(r.undo.length ? { undo: r.undo } : {}) };
    });
  const undo = (captionIds: number[]) =>
    run('Undo', async () => {
      const r = await client.call('captions.undoMany', { captionIds });
      return {
        message: sentence(`Caption taken back on ${photosWord(r.undone)}`, also([[r.keptLater, 'kept a caption written since']])),
        level: 'warning',
      };
    });
  const tag = (text: string, add: boolean) =>
    run(add ? 'Add tag' : 'Remove tag', async () => {
      const r = await client.call(add ? 'tags.addMany' : 'tags.removeMany', { photoIds, tag: text });
      return { message: tagReport(r, text.trim(), add), level: 'warning' };
    });
  const recaption = () =>
    run('Re-caption', async () => {
      const r = await client.call('photos.recaption', { photoIds });
      return r.queued > 0
        ? { message: `Re-captioning ${photosWord(r.queued)}: the Jobs panel shows the progress.`, level: 'warning' }
        : { message: 'Nothing to re-caption: no caption model is active, or the photos are already waiting for one.', level: 'warning' };
    });
  const retry = () =>
    run('Retry', async () => {
      const r = await client.call('photos.retryMany', { photoIds });
      if (r.queued === 0 && r.stillFailing === 0) return { message: 'None of the selected photos had failed.', level: 'warning' };
      return { message: sentence(`Reading ${photosWord(r.queued)} again`, also([[r.stillFailing, 'still unreadable']])), level: 'warning' };
    });
  const writeMetadata = () =>
    run('Write metadata', async () => {
      const r = await client.call('metadata.export', { photoIds });
      const extra = also([
        [r.unchanged, 'unchanged'],
        [r.keptTheirs, "kept another app's description"],
        [r.conflicts, 'changed by another program: not written'],
        [r.skipped, 'without a caption to write'],
        [r.failed, 'failed'],
      ]);
      return { message: sentence(`Metadata written for ${photosWord(r.written)}`, extra), level: r.failed ? 'error' : 'warning' };
    });

  const start = (id: BulkActionId) => {
    if (isFormAction(id)) setForm(id);
    else if (id === 'recaption') void recaption();
    else if (id === 'retry') void retry();
    else void writeMetadata();
  };
  return { form, setForm, busy, report, dismissReport: () => setReport(null), start, caption, undo, tag };
}

export type BulkActions = ReturnType<typeof useBulkActions>;
