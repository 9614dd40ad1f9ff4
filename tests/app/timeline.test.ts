/** The timeline's bars: every month between the first photo's and the last's, or years when those are too many. */
import { describe, expect, it } from 'vitest';
import { buckets, monthsRange } from '../../src/renderer/components/Timeline.js';

describe('timeline buckets', () => {
  it('fills the empty months and gives each bar the days it covers', () => {
    const b = buckets([
      { month: '2023-11', count: 2 },
      { month: '2024-02', count: 5 },
    ]);
    expect(b.map((x) => [x.key, x.count, x.from, x.to])).toEqual([
      ['2023-11', 2, '2023-11-01', '2023-11-30'],
      ['2023-12', 0, '2023-12-01', '2023-12-31'],
      ['2024-01', 0, '2024-01-01', '2024-01-31'],
      ['2024-02', 5, '2024-02-01', '2024-02-29'], // a leap year
    ]);
    expect(monthsRange('2024-02', '2023-11')).toEqual({ from: '2023-11-01', to: '2024-02-29' });
  });

  it('counts by year when the photos span more than ten years', () => {
    const b = buckets([
      { month: '2001-06', count: 1 },
      { month: '2001-07', count: 2 },
      { month: '2015-01', count: 4 },
    ]);
    expect(b).toHaveLength(15);
    expect(b[0]).toEqual({ key: '2001', label: '2001', count: 3, from: '2001-01-01', to: '2001-12-31' });
    expect(b[1]!.count).toBe(0);
    expect(b[14]).toMatchObject({ key: '2015', count: 4 });
  });
});
