/**
 * The photo view's image, zoomable and pannable: the wheel zooms about the pointer, + and − about
 * the centre, a double-click and "1:1" show the file's own pixels, "Fit" (or 0) the whole photo;
 * dragging pans a zoomed photo, kept on screen. Scale 1 is the photo fitted to the stage.
 */
import { useEffect, useRef, useState, type PointerEvent as ReactPointerEvent, type RefObject } from 'react';

const STEP = 1.25;
const MAX_SCALE = 16;

interface View {
  scale: number;
  x: number;
  y: number;
}
const FIT: View = { scale: 1, x: 0, y: 0 };

/** The stage's size and how the fitted photo relates to the file's pixels (fit = displayed / natural). */
function measure(stage: HTMLElement | null, img: HTMLImageElement | null): { w: number; h: number; fit: number } | null {
  if (!stage || !img?.naturalWidth) return null;
  const w = stage.clientWidth;
  const h = stage.clientHeight;
  return { w, h, fit: Math.min(w / img.naturalWidth, h / img.naturalHeight) };
}

/** Pans no further than the photo's edges reach (a photo no larger than the stage stays centred). */
function clamp(v: View, stage: { w: number; h: number }): View {
  const mx = Math.max(0, ((v.scale - 1) * stage.w) / 2);
  const my = Math.max(0, ((v.scale - 1) * stage.h) / 2);
  return { scale: v.scale, x: Math.max(-mx, Math.min(mx, v.x)), y: Math.max(-my, Math.min(my, v.y)) };
}

export function useZoom(photoId: number) {
  const stageRef = useRef<HTMLDivElement>(null);
  const imgRef = useRef<HTMLImageElement>(null);
  const [view, setView] = useState<View>(FIT);
  // Another photo starts fitted (during render, so the last photo's zoom is never shown on it).
  const [viewFor, setViewFor] = useState(photoId);
  if (viewFor !== photoId) {
    setViewFor(photoId);
    setView(FIT);
  }
  /** Zoom to `scale`, keeping the point (px from the stage's centre) under the pointer where it is. */
  const zoomTo = (scale: number, at = { x: 0, y: 0 }) => {
    const m = measure(stageRef.current, imgRef.current);
    if (!m) return;
    setView((v) => {
      // Below the fit only as far as the file's own pixels (a photo smaller than the window, at 1:1).
      const s = Math.max(Math.min(1, 1 / m.fit), Math.min(MAX_SCALE, scale));
      const k = s / v.scale;
      return clamp({ scale: s, x: at.x - (at.x - v.x) * k, y: at.y - (at.y - v.y) * k }, m);
    });
  };
  const actual = () => {
    const m = measure(stageRef.current, imgRef.current);
    return m ? 1 / m.fit : 1;
  };
  return {
    stageRef,
    imgRef,
    view,
    setView,
    zoomTo,
    zoomIn: () => zoomTo(view.scale * STEP),
    zoomOut: () => zoomTo(view.scale / STEP),
    fit: () => setView(FIT),
    /** The file's own pixels, one per screen pixel (CSS pixels). */
    actualSize: (at?: { x: number; y: number }) => zoomTo(actual(), at),
    /** A double-click on a fitted photo: its own pixels, or twice the fit when those are no larger. */
    closer: (at?: { x: number; y: number }) => zoomTo(actual() > 1.05 ? actual() : 2, at),
    /** Percent of the file's own pixels shown, for the label. */
    percent: () => {
      const m = measure(stageRef.current, imgRef.current);
      return m ? Math.round(view.scale * m.fit * 100) : null;
    },
  };
}

export type Zoom = ReturnType<typeof useZoom>;

/** A point of a pointer event, in px from the stage's centre. */
function fromCentre(stage: RefObject<HTMLDivElement | null>, e: { clientX: number; clientY: number }) {
  const r = stage.current!.getBoundingClientRect();
  return { x: e.clientX - r.left - r.width / 2, y: e.clientY - r.top - r.height / 2 };
}

export function ZoomableImage({ zoom, src, alt }: { zoom: Zoom; src: string; alt: string }) {
  const { stageRef, imgRef, view, setView, zoomTo } = zoom;
  const drag = useRef<{ x: number; y: number; vx: number; vy: number } | null>(null);
  const [, setLoaded] = useState(0);
  // The wheel listener is added by hand: React's is passive, and the page must not scroll instead.
  const scaleRef = useRef(view.scale);
  const zoomRef = useRef(zoomTo);
  useEffect(() => {
    scaleRef.current = view.scale;
    zoomRef.current = zoomTo;
  });
  useEffect(() => {
    const el = stageRef.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      zoomRef.current(scaleRef.current * (e.deltaY < 0 ? STEP : 1 / STEP), fromCentre(stageRef, e));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [stageRef]);
  const onPointerDown = (e: ReactPointerEvent<HTMLDivElement>) => {
    if (view.scale <= 1 || e.button !== 0) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y };
  };
  const onPointerMove = (e: ReactPointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    const el = stageRef.current;
    if (!d || !el) return;
    setView(clamp({ scale: view.scale, x: d.vx + e.clientX - d.x, y: d.vy + e.clientY - d.y }, { w: el.clientWidth, h: el.clientHeight }));
  };
  return (
    <div
      ref={stageRef}
      className={`zoom-stage${view.scale > 1 ? ' zoomed' : ''}`}
      onDoubleClick={(e) => (view.scale !== 1 ? zoom.fit() : zoom.closer(fromCentre(stageRef, e)))}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={() => (drag.current = null)}
      onPointerCancel={() => (drag.current = null)}
      data-testid="zoom-stage"
      data-scale={view.scale.toFixed(3)}
    >
      <img
        ref={imgRef}
        src={src}
        alt={alt}
        draggable={false}
        onLoad={() => setLoaded((n) => n + 1)}
        style={{ transform: `translate(${view.x}px, ${view.y}px) scale(${view.scale})` }}
      />
    </div>
  );
}

/** The zoom buttons over the stage: −, the percentage (Fit), 1:1, +. */
export function ZoomControls({ zoom }: { zoom: Zoom }) {
  const pct = zoom.percent();
  return (
    <div className="zoom-controls" role="group" aria-label="Zoom">
      <button onClick={zoom.zoomOut} aria-label="Zoom out (−)" data-testid="zoom-out">
        −
      </button>
      <button onClick={zoom.fit} title="Fit the photo (0)" data-testid="zoom-fit">
        {pct === null ? 'Fit' : `${pct} %`}
        <span className="visually-hidden">, fit the photo (0)</span>
      </button>
      <button onClick={() => zoom.actualSize()} title="Actual pixels (1)" data-testid="zoom-actual">
        1:1<span className="visually-hidden">, actual pixels (1)</span>
      </button>
      <button onClick={zoom.zoomIn} aria-label="Zoom in (+)" data-testid="zoom-in">
        +
      </button>
    </div>
  );
}
