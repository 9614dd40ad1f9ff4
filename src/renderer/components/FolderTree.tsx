/**
 * The subfolders of a library folder as a tree under it in the sidebar (expand, collapse, click
 * to show that subtree's photos). The tree comes from the photos' paths (`folders.subfolders`),
 * so folders the library absorbed when their parent was added stay browsable.
 */
import { useEffect, useState } from 'react';
import type { ApiClient, Folder, Subfolder } from '../../shared/api-contract.js';

/** Each folder's subfolders, fetched again when a folder's photo count changes (a scan found files). */
export function useSubfolders(client: ApiClient, folders: Folder[]): Map<number, Subfolder[]> {
  const [trees, setTrees] = useState<Map<number, Subfolder[]>>(new Map());
  const key = folders.map((f) => `${f.id}:${f.photoCount}`).join(',');
  useEffect(() => {
    let live = true;
    const ids = key ? key.split(',').map((k) => Number(k.split(':')[0])) : [];
    const fetchOne = (id: number): Promise<[number, Subfolder[]]> =>
      client.call('folders.subfolders', { id }).then(
        (list) => [id, list],
        () => [id, []],
      );
    void Promise.all(ids.map(fetchOne)).then((pairs) => live && setTrees(new Map(pairs)));
    return () => {
      live = false;
    };
  }, [client, key]);
  return trees;
}

const nameOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const parentOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');

export interface FolderTreeProps {
  folder: Folder;
  subfolders: Subfolder[];
  /** The subfolder shown now (of this folder), or null. */
  selected: string | null;
  onSelect(under: string): void;
}

/** The toggle that opens or closes a node's children. */
function Toggle({ open, label, onToggle }: { open: boolean; label: string; onToggle(): void }) {
  return (
    <button
      className="tree-toggle icon-button"
      onClick={onToggle}
      aria-expanded={open}
      aria-label={`${open ? 'Collapse' : 'Expand'} ${label}`}
    >
      {open ? '▾' : '▸'}
    </button>
  );
}

/** Subfolders one level below the folder are shown; deeper levels open on demand. */
export function FolderTree({ folder, subfolders, selected, onSelect }: FolderTreeProps) {
  const [toggled, setToggled] = useState<ReadonlySet<string>>(new Set());
  if (subfolders.length === 0) return null;
  const hasChildren = new Set(subfolders.map((s) => parentOf(s.path)).filter(Boolean));
  const isOpen = (path: string) => toggled.has(path);
  const visible = subfolders.filter((s) => {
    for (let p = parentOf(s.path); p; p = parentOf(p)) if (!isOpen(p)) return false;
    return true;
  });
  const toggle = (path: string) =>
    setToggled((t) => {
      const next = new Set(t);
      if (!next.delete(path)) next.add(path);
      return next;
    });
  return (
    <ul className="folder-tree" aria-label={`Subfolders of ${nameOf(folder.path)}`} data-testid="subfolders">
      {visible.map((s) => (
        <li key={s.path} className="subfolder-item" style={{ paddingLeft: `${(s.path.split('/').length - 1) * 0.9}rem` }}>
          {hasChildren.has(s.path) ? (
            <Toggle open={isOpen(s.path)} label={nameOf(s.path)} onToggle={() => toggle(s.path)} />
          ) : (
            <span className="tree-toggle" aria-hidden="true" />
          )}
          <button
            className={`subfolder${selected === s.path ? ' active' : ''}`}
            onClick={() => onSelect(s.path)}
            aria-current={selected === s.path}
            title={`${folder.path}/${s.path}`}
            data-testid="subfolder"
          >
            <span className="folder-name">{nameOf(s.path)}</span>
            <span className="small muted"> {s.photoCount.toLocaleString()}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}
