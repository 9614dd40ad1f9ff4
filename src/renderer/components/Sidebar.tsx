/** Library folders with counts, status and their subfolder trees, the add-folder control, jobs, and display settings. */
import { useState } from 'react';
import type { ApiClient, Folder, Job, Settings, Subfolder, TeachRun } from '../../shared/api-contract.js';
import { basename, plural } from '../format.js';
import { AddFolder } from './AddFolder.js';
import { FolderTree, useSubfolders } from './FolderTree.js';
import { FolderWatchNote, watchNote } from './FolderWatchNote.js';
import { JobsPanel } from './JobsPanel.js';
import { TagFilter } from './TagFilter.js';
import { ThemeSelect } from './ThemeSelect.js';
import type { Drawer } from './NarrowBar.js';

const statusLabel: Record<Folder['status'], string> = {
  scanning: 'Scanning',
  captioning: 'Captioning',
  paused: 'Paused',
  ready: 'Ready',
  missing: 'Missing',
  error: 'Error',
};

export type View = 'photos' | 'teach' | 'settings';

export interface SidebarProps {
  /** After finished jobs were cleared: the jobs left. */
  onJobsCleared(jobs: Job[]): void;
  /** On a narrow window the sidebar is a drawer: shown while open, closed by Escape. */
  menu?: Drawer;
  view: View;
  onView(view: View): void;
  teachRun: TeachRun | null;
  client: ApiClient;
  folders: Folder[];
  jobs: Job[];
  selected: number | null;
  /** The subfolder of the selected folder shown now, or null for the whole folder. */
  selectedUnder: string | null;
  settings: Settings;
  onSelect(folderId: number | null, under?: string): void;
  onAdd(path: string): Promise<boolean>;
  onRescan(id: number): void;
  onRemove(folder: Folder): void;
  /** Caption a paused folder's waiting photos again. */
  onResume(id: number): void;
  onSettings(patch: Partial<Settings>): void;
  /** Show the "?" overlay of keyboard shortcuts. */
  onShortcuts(): void;
  onError(message: string): void;
  /** Bumped when the library reports changes (the tag list refreshes). */
  refresh: number;
  /** The grid's tag filter, or null. */
  tag: string | null;
  onTag(tag: string | null): void;
}

/** The Teach tab's one-line state. */
function teachStateLabel(run: TeachRun | null): string {
  if (run?.state === 'running') return `learning… ${run.steps > 0 ? Math.round((run.step / run.steps) * 100) : 0} %`;
  if (run?.state === 'ready') return 'a new version is ready';
  if (run?.state === 'interrupted') return 'interrupted: resume or discard';
  if (run?.state === 'idle' && run.message) return 'the last run failed';
  return 'learn your words';
}

function ViewTabs({ view, onView, teachRun }: Pick<SidebarProps, 'view' | 'onView' | 'teachRun'>) {
  return (
    <ul className="view-list">
      <li>
        <button
          className={`folder view-tab${view === 'teach' ? ' active' : ''}`}
          onClick={() => onView('teach')}
          aria-current={view === 'teach'}
          data-testid="nav-teach"
        >
          <span className="folder-name">Teach</span>
          <span className="folder-counts small muted" data-testid="nav-teach-state">
            {teachStateLabel(teachRun)}
          </span>
        </button>
      </li>
      <li>
        <button
          className={`folder view-tab${view === 'settings' ? ' active' : ''}`}
          onClick={() => onView('settings')}
          aria-current={view === 'settings'}
          data-testid="nav-settings"
        >
          <span className="folder-name">Settings</span>
        </button>
      </li>
    </ul>
  );
}

function FolderItem({ folder: f, subfolders, p }: { folder: Folder; subfolders: Subfolder[]; p: SidebarProps }) {
  const [open, setOpen] = useState(true);
  const here = p.view === 'photos' && p.selected === f.id;
  const watchNoteId = `folder-watch-${f.id}`;
  return (
    <li className="folder-item">
      {subfolders.length > 0 && (
        <button
          className="tree-toggle icon-button folder-toggle"
          onClick={() => setOpen(!open)}
          aria-expanded={open}
          aria-label={`${open ? 'Collapse' : 'Expand'} ${basename(f.path)}`}
        >
          {open ? '▾' : '▸'}
        </button>
      )}
      <button
        className={`folder${here && p.selectedUnder === null ? ' active' : ''}`}
        onClick={() => p.onSelect(f.id)}
        title={f.path}
        aria-current={p.selected === f.id}
        aria-describedby={watchNote(f.watch) ? watchNoteId : undefined}
        data-testid="folder"
      >
        <span className="folder-name">
          {basename(f.path)} <span className={`status status-${f.status}`}>{statusLabel[f.status]}</span>
        </span>
        <span className="folder-counts small muted">
          {plural(f.photoCount, 'photo')} · {f.captionedCount.toLocaleString()} captioned
          {f.pendingCount > 0 && (
            <span data-testid="folder-waiting">
              {f.status === 'paused' ? ' — ' : ' · '}
              {f.pendingCount.toLocaleString()} waiting
            </span>
          )}
          {f.errorCount > 0 && <span className="error-text"> · {f.errorCount.toLocaleString()} failed</span>}
        </span>
      </button>
      <div className="folder-actions">
        <button className="icon-button" onClick={() => p.onRescan(f.id)} aria-label={`Rescan ${basename(f.path)}`} title="Rescan">
          ⟳
        </button>
        <button
          className="icon-button"
          onClick={() => p.onRemove(f)}
          aria-label={`Remove ${basename(f.path)} from the library`}
          title="Remove from library"
        >
          ✕
        </button>
      </div>
      <FolderWatchNote id={watchNoteId} watch={f.watch} />
      {f.status === 'paused' && (
        <div className="folder-resume small">
          <span className="muted">Captioning paused or cancelled</span>
          <button onClick={() => p.onResume(f.id)} aria-label={`Resume captioning ${basename(f.path)}`} data-testid="folder-resume">
            Resume
          </button>
        </div>
      )}
      {open && (
        <FolderTree folder={f} subfolders={subfolders} selected={here ? p.selectedUnder : null} onSelect={(u) => p.onSelect(f.id, u)} />
      )}
    </li>
  );
}

export function Sidebar(p: SidebarProps) {
  const total = p.folders.reduce((n, f) => n + f.photoCount, 0);
  const trees = useSubfolders(p.client, p.folders);
  return (
    <nav
      className={`sidebar${p.menu?.open ? ' open' : ''}`}
      id="sidebar"
      aria-label="Library"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && p.menu?.open) p.menu.setOpen(false);
      }}
    >
      <div className="brand">Lenscribe</div>
      <ViewTabs view={p.view} onView={p.onView} teachRun={p.teachRun} />
      <ul className="folder-list" data-testid="folders">
        <li>
          <button
            className={`folder${p.view === 'photos' && p.selected === null ? ' active' : ''}`}
            onClick={() => p.onSelect(null)}
            aria-current={p.view === 'photos' && p.selected === null}
          >
            <span className="folder-name">All photos</span>
            <span className="folder-counts small muted">{plural(total, 'photo')}</span>
          </button>
        </li>
        {p.folders.map((f) => (
          <FolderItem key={f.id} folder={f} subfolders={trees.get(f.id) ?? []} p={p} />
        ))}
      </ul>
      {/* The first-run screen has the one add-folder form while there is no folder. */}
      {(p.folders.length > 0 || p.view !== 'photos') && (
        <div className="sidebar-add">
          <AddFolder client={p.client} onAdd={p.onAdd} />
        </div>
      )}
      <TagFilter client={p.client} refresh={p.refresh} tag={p.tag} onTag={p.onTag} />
      <JobsPanel client={p.client} jobs={p.jobs} folders={p.folders} onCleared={p.onJobsCleared} onError={p.onError} />
      <div className="sidebar-footer">
        <label className="small">
          Theme <ThemeSelect theme={p.settings.theme} onSettings={p.onSettings} />
        </label>
        <button className="link-like small" onClick={p.onShortcuts} data-testid="show-shortcuts">
          Keyboard shortcuts <kbd>?</kbd>
        </button>
      </div>
    </nav>
  );
}
