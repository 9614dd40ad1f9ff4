/**
 * The live loss curve of a teaching run: training loss per step and validation loss per epoch,
 * on one epoch axis, drawn with uPlot. Colours come from the theme's CSS variables, so the chart
 * follows light and dark; the data is updated in place as points arrive (no re-creation).
 */
import { useEffect, useLayoutEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { LossPoint } from '../../shared/api-contract.js';

export interface LossChartProps {
  train: LossPoint[];
  validation: LossPoint[];
  /** Epochs planned: the x axis spans them from the start, so the curve grows into it. */
  epochs: number;
  /** Changes when the theme changes, to re-read the colours. */
  theme: string;
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** uPlot wants one shared, sorted x array: merge both curves, null where a series has no point. */
export function alignCurves(train: LossPoint[], validation: LossPoint[]): uPlot.AlignedData {
  const tx = train.map((p) => p.epoch);
  const vx = validation.map((p) => p.epoch);
  if (train.length === 0 && validation.length === 0) return [[], [], []];
  if (validation.length === 0) return [tx, train.map((p) => p.loss), tx.map(() => null)];
  if (train.length === 0) return [vx, vx.map(() => null), validation.map((p) => p.loss)];
  return uPlot.join([
    [tx, train.map((p) => p.loss)],
    [vx, validation.map((p) => p.loss)],
  ]);
}

export function LossChart({ train, validation, epochs, theme }: LossChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // What the chart shows now, for uPlot's callbacks (the range) and for a re-creation on a theme
  // change; kept in a layout effect, which runs before the effects below.
  const latest = useRef({ train, validation, epochs });
  useLayoutEffect(() => {
    latest.current = { train, validation, epochs };
  }, [train, validation, epochs]);

  // Create (again when the theme changes), sized to the container.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const text = cssVar('--text', '#222');
    const muted = cssVar('--muted', '#777');
    const grid = cssVar('--border', '#ddd');
    const accent = cssVar('--accent', '#2f6fde');
    const axis = { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: 260,
      scales: {
        x: { time: false, range: (_u, min, max) => [0, Math.max(latest.current.epochs, max ?? 1, 1)] },
        y: { range: (_u, min, max) => [0, Math.max(0.1, (max ?? 1) * 1.1)] },
      },
      axes: [
        { ...axis, label: 'epoch', labelSize: 20, font: '12px system-ui', labelFont: '12px system-ui' },
        { ...axis, label: 'loss', labelSize: 20, font: '12px system-ui', labelFont: '12px system-ui' },
      ],
      legend: { show: true, live: false },
      cursor: { show: true, drag: { x: false, y: false } },
      series: [
        { label: 'epoch', value: (_u, v) => (v === null ? '—' : v.toFixed(2)) },
        { label: 'training', stroke: accent, width: 1.5, value: (_u, v) => (v === null ? '—' : v.toFixed(3)), points: { show: false } },
        {
          label: 'validation',
          stroke: '#e0803a',
          width: 2,
          spanGaps: true,
          value: (_u, v) => (v === null ? '—' : v.toFixed(3)),
          points: { show: true, size: 7, fill: '#e0803a' },
        },
      ],
    };
    const u = new uPlot(opts, alignCurves(latest.current.train, latest.current.validation), el);
    u.root.style.color = text;
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(300, el.clientWidth), height: 260 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [theme]);

  // New points: update the data in place.
  useEffect(() => {
    plot.current?.setData(alignCurves(train, validation));
  }, [train, validation, epochs]);

  const last = train[train.length - 1];
  const lastVal = validation[validation.length - 1];
  return (
    <figure className="loss-chart" data-testid="loss-chart" data-train-points={train.length} data-validation-points={validation.length}>
      <div
        ref={box}
        role="img"
        aria-label={`Loss curve: ${train.length} training points${last ? `, latest ${last.loss.toFixed(3)}` : ''}; ${validation.length} validation points${lastVal ? `, latest ${lastVal.loss.toFixed(3)}` : ''}.`}
      />
    </figure>
  );
}
