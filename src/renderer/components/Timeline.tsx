/**
 * The timeline above the grid: how many photos were taken each month (a bar each), and a date
 * range chosen on it — click a month, Shift-click or drag to another for a range, arrow keys and
 * Enter from the keyboard (Shift+arrows extend). The range narrows the grid and searches
 * (photos.list and search from/to); "All dates" takes it away. Months are UTC, as the API's days.
 */
import { useEffect, useRef, useState, type CSSProperties, type KeyboardEvent } from 'react';
import type { ApiClient, ApiInput } from '../../shared/api-contract.js';

export interface DateRange {
  from: string;
  to: string;
}
type Month = { month: string; count: number };
type Filter = ApiInput<'photos.months'>;

const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const monthLabel = (m: string) => `${MONTH_NAMES[Number(m.slice(5, 7)) - 1]} ${m.slice(0, 4)}`;
const lastDay = (m: string) => new Date(Date.UTC(Number(m.slice(0, 4)), Number(m.slice(5, 7)), 0)).getUTCDate();
/** The days from the first of one month to the last of another (either order). */
export function monthsRange(a: string, b: string): DateRange {
  const [lo, hi] = a <= b ? [a, b] : [b, a];
  return { from: `${lo}-01`, to: `${hi}-${String(lastDay(hi)).padStart(2, '0')}` };
}
const photosWord = (n: number) => (n === 1 ? '1 photo' : `${n.toLocaleString()} photos`);

/** Beyond this many months the bars are years. */
const MAX_MONTH_BARS = 120;

/** A bar: a month ('YYYY-MM') or a year ('YYYY'), with the days it covers. */
interface Bucket {
  key: string;
  label: string;
  count: number;
  from: string;
  to: string;
}

const nextMonth = (m: string) => {
  const [y, mo] = [Number(m.slice(0, 4)), Number(m.slice(5, 7))];
  return mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
};

/** Every month from the first photo's to the last's, empty ones too (a gap in time shows as one); years when that is too many. */
export function buckets(months: Month[]): Bucket[] {
  if (months.length === 0) return [];
  const counts = new Map(months.map((m) => [m.month, m.count]));
  const all: string[] = [];
  for (let m = months[0]!.month; m <= months[months.length - 1]!.month && all.length <= MAX_MONTH_BARS; m = nextMonth(m)) all.push(m);
  if (all.length <= MAX_MONTH_BARS)
    return all.map((m) => ({ key: m, label: monthLabel(m), count: counts.get(m) ?? 0, ...monthsRange(m, m) }));
  const years = new Map<string, number>();
  for (const m of months) years.set(m.month.slice(0, 4), (years.get(m.month.slice(0, 4)) ?? 0) + m.count);
  const out: Bucket[] = [];
  for (let y = Number(months[0]!.month.slice(0, 4)); y <= Number(months[months.length - 1]!.month.slice(0, 4)); y++) {
    const key = String(y);
    out.push({ key, label: key, count: years.get(key) ?? 0, from: `${key}-01-01`, to: `${key}-12-31` });
  }
  return out;
}

/**
 * The months of the list, fetched again when the list's conditions or the library change; not
 * before `ready` (the grid's first page has come): the library answers one call at a time, and
 * counting 100k photos by month must not hold up the first paint.
 */
function useMonths(client: ApiClient, filter: Filter, refresh: number, ready: boolean): Month[] | null {
  const [months, setMonths] = useState<Month[] | null>(null);
  const key = JSON.stringify(filter);
  useEffect(() => {
    if (!ready) return;
    let live = true;
    client.call('photos.months', JSON.parse(key) as Filter).then(
      (m) => live && setMonths(m),
      () => live && setMonths(null),
    );
    return () => {
      live = false;
    };
  }, [client, key, refresh, ready]);
  return months;
}

export function Timeline(props: {
  client: ApiClient;
  filter: Filter;
  refresh: number;
  /** The grid's first page has come. */
  ready: boolean;
  range: DateRange | null;
  onRange(r: DateRange | null): void;
}) {
  const { range, onRange } = props;
  const months = useMonths(props.client, props.filter, props.refresh, props.ready);
  const [focus, setFocus] = useState(0);
  const anchor = useRef<string | null>(null);
  const dragging = useRef(false);
  const bars = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const up = () => (dragging.current = false);
    window.addEventListener('pointerup', up);
    return () => window.removeEventListener('pointerup', up);
  }, []);
  const bucketList = buckets(months ?? []);
  if (bucketList.length < 2) return null;
  const max = Math.max(...bucketList.map((b) => b.count));
  const inRange = (b: Bucket) => !!range && b.from >= range.from && b.to <= range.to;
  const chosen = bucketList.filter(inRange).reduce((n, b) => n + b.count, 0);
  const pick = (b: Bucket, extend: boolean) => {
    const a = (extend && bucketList.find((x) => x.key === anchor.current)) || b;
    anchor.current = a.key;
    onRange(a.from <= b.from ? { from: a.from, to: b.to } : { from: b.from, to: a.to });
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const step = { ArrowLeft: -1, ArrowRight: 1, Home: -bucketList.length, End: bucketList.length }[e.key];
    if (step !== undefined) {
      e.preventDefault();
      const next = Math.max(0, Math.min(bucketList.length - 1, focus + step));
      setFocus(next);
      bars.current?.querySelectorAll<HTMLElement>('button')[next]?.focus();
      if (e.shiftKey) pick(bucketList[next]!, true);
    } else if (e.key === 'Escape' && range) {
      e.preventDefault();
      onRange(null);
    }
  };
  return (
    <div className="timeline" data-testid="timeline">
      <div className="timeline-bars" ref={bars} role="group" aria-label="Photos taken each month" onKeyDown={onKeyDown}>
        {bucketList.map((b, i) => (
          <button
            key={b.key}
            className={`timeline-bar${inRange(b) ? ' in-range' : ''}${b.count === 0 ? ' none-taken' : ''}`}
            tabIndex={i === focus ? 0 : -1}
            aria-pressed={inRange(b)}
            aria-label={`${b.label}: ${b.count === 0 ? 'no photos' : photosWord(b.count)}`}
            title={`${b.label}: ${b.count === 0 ? 'no photos' : photosWord(b.count)}`}
            onPointerDown={(e) => {
              dragging.current = true;
              setFocus(i);
              pick(b, e.shiftKey);
            }}
            onPointerEnter={() => dragging.current && pick(b, true)}
            onClick={(e) => e.detail === 0 && pick(b, e.shiftKey)} // Enter or Space (a pointer already picked)
            data-month={b.key}
            // The bar is drawn in the button's background: the whole height stays a target to click.
            style={{ '--bar': b.count === 0 ? '2px' : `${Math.max(8, (b.count / max) * 100)}%` } as CSSProperties}
          />
        ))}
      </div>
      <div className="timeline-axis small muted" aria-hidden="true">
        <span>{bucketList[0]!.label}</span>
        <span>{bucketList[bucketList.length - 1]!.label}</span>
      </div>
      {range && <DateRangeNote range={range} count={chosen} onClear={() => onRange(null)} />}
    </div>
  );
}

/** "Taken Mar 2019 – Jun 2021 · 120 photos · All dates": the range the grid (or a search) keeps to, and the way out of it. */
export function DateRangeNote({ range, count, onClear }: { range: DateRange; count?: number; onClear(): void }) {
  const [a, b] = [range.from.slice(0, 7), range.to.slice(0, 7)];
  return (
    <p className="small timeline-range" role="status" data-testid="timeline-range">
      Taken {monthLabel(a)}
      {a !== b ? ` – ${monthLabel(b)}` : ''}
      {count !== undefined ? ` · ${photosWord(count)}` : ''}{' '}
      <button type="button" className="link-like" onClick={onClear} data-testid="timeline-clear">
        All dates
      </button>
    </p>
  );
}
