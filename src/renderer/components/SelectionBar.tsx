/**
 * The selection bar, above the grid while photos are selected: how many, the bulk actions
 * (useBulkActions.ts), the form an action asks for (a caption, replacing or appended; a tag), and
 * the report of what the last action did, with Undo after captions.
 */
import { useState, type FormEvent } from 'react';
import { BULK_ACTIONS, type BulkActions, type BulkForm } from '../useBulkActions.js';
import { Toast } from './Toast.js';

const FORM_LABEL: Record<BulkForm, string> = {
  caption: 'Caption for the selected photos',
  addTag: 'Tag to add',
  removeTag: 'Tag to remove',
};

export function SelectionBar({
  count,
  bulk,
  onSelectAll,
  onClear,
}: {
  count: number;
  bulk: BulkActions;
  onSelectAll(): void;
  onClear(): void;
}) {
  return (
    <>
      {count > 0 && (
        <div className="selection-bar" role="toolbar" aria-label="Selected photos" data-testid="selection-bar">
          <span className="selection-count" aria-live="polite" data-testid="selection-count">
            {count} selected
          </span>
          {BULK_ACTIONS.map((a) => (
            <button key={a.id} disabled={bulk.busy} onClick={() => bulk.start(a.id)} data-testid={`bulk-${a.id}`}>
              {a.label}
            </button>
          ))}
          <button className="link-like" onClick={onSelectAll} data-testid="select-all">
            Select all
          </button>
          <button className="link-like" onClick={onClear} data-testid="select-none">
            Unselect
          </button>
          {bulk.form && <BulkFormRow key={bulk.form} form={bulk.form} bulk={bulk} />}
        </div>
      )}
      {bulk.report && (
        <Toast
          message={bulk.report.message}
          level={bulk.report.level}
          onDismiss={bulk.dismissReport}
          testId="bulk-report"
          {...(bulk.report.undo ? { action: { label: 'Undo', run: () => void bulk.undo(bulk.report!.undo!) } } : {})}
        />
      )}
    </>
  );
}

/** The word an action asks for, with Apply and Cancel (Esc cancels). */
function BulkFormRow({ form, bulk }: { form: BulkForm; bulk: BulkActions }) {
  const [text, setText] = useState('');
  const [mode, setMode] = useState<'replace' | 'append'>('replace');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim()) return;
    if (form === 'caption') void bulk.caption(text, mode);
    else void bulk.tag(text, form === 'addTag');
  };
  return (
    <form className="selection-form" onSubmit={submit} onKeyDown={(e) => e.key === 'Escape' && bulk.setForm(null)} data-testid="bulk-form">
      <label>
        <span className="visually-hidden">{FORM_LABEL[form]}</span>
        <input
          autoFocus
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={form === 'caption' ? 'Biscuit on the sofa' : 'tag'}
          maxLength={form === 'caption' ? 500 : 64}
          aria-label={FORM_LABEL[form]}
          data-testid="bulk-input"
        />
      </label>
      {form === 'caption' && (
        <select value={mode} onChange={(e) => setMode(e.target.value as 'replace' | 'append')} aria-label="How" data-testid="bulk-mode">
          <option value="replace">Replace the caption</option>
          <option value="append">Add after the caption</option>
        </select>
      )}
      <button type="submit" disabled={bulk.busy || !text.trim()} data-testid="bulk-apply">
        Apply
      </button>
      <button type="button" onClick={() => bulk.setForm(null)}>
        Cancel
      </button>
    </form>
  );
}
