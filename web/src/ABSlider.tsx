// An A/B slider: two pictures laid exactly over each other in one box (same fit, same zoom), the
// second one clipped at a divider the artist drags (or moves with the arrow keys). Used to compare
// two candidates and for the darkroom's before/after.
import { useRef, useState, type KeyboardEvent, type PointerEvent, type ReactNode } from 'react';

export function ABSlider(props: {
  /** The picture left of the divider. */
  a: ReactNode;
  /** The picture right of the divider. */
  b: ReactNode;
  labelA: string;
  labelB: string;
  /** Where the divider starts, 0..100 (default 50). */
  initial?: number;
  testId?: string;
}) {
  const [position, setPosition] = useState(props.initial ?? 50);
  const [scale, setScale] = useState(1);
  const box = useRef<HTMLDivElement>(null);
  const dragging = useRef(false);

  const moveTo = (clientX: number) => {
    const rect = box.current?.getBoundingClientRect();
    if (rect === undefined || rect.width === 0) return;
    setPosition(Math.min(100, Math.max(0, ((clientX - rect.left) / rect.width) * 100)));
  };
  const down = (event: PointerEvent) => {
    dragging.current = true;
    (event.currentTarget as HTMLElement).setPointerCapture(event.pointerId);
    moveTo(event.clientX);
  };
  const move = (event: PointerEvent) => {
    if (dragging.current) moveTo(event.clientX);
  };
  const key = (event: KeyboardEvent) => {
    const step = event.shiftKey ? 10 : 2;
    if (event.key === 'ArrowLeft') setPosition((p) => Math.max(0, p - step));
    else if (event.key === 'ArrowRight') setPosition((p) => Math.min(100, p + step));
    else if (event.key === 'Home') setPosition(0);
    else if (event.key === 'End') setPosition(100);
    else return;
    event.preventDefault();
  };
  // Both layers carry the same transform, so they stay aligned at any zoom.
  const transform = { transform: `scale(${scale})` };
  return (
    <div
      className="ab"
      ref={box}
      data-testid={props.testId ?? 'ab-slider'}
      onPointerDown={down}
      onPointerMove={move}
      onPointerUp={() => (dragging.current = false)}
      onPointerCancel={() => (dragging.current = false)}
      onWheel={(event) =>
        setScale((s) => Math.min(8, Math.max(1, s * (event.deltaY < 0 ? 1.2 : 1 / 1.2))))
      }
      onDoubleClick={() => setScale(1)}
    >
      <div className="ab-layer" data-testid="ab-a">
        <div className="ab-zoom" style={transform}>
          {props.a}
        </div>
      </div>
      <div
        className="ab-layer"
        data-testid="ab-b"
        style={{ clipPath: `inset(0 0 0 ${position}%)` }}
      >
        <div className="ab-zoom" style={transform}>
          {props.b}
        </div>
      </div>
      <span className="ab-label ab-label-a">{props.labelA}</span>
      <span className="ab-label ab-label-b">{props.labelB}</span>
      <div
        className="ab-divider"
        role="slider"
        tabIndex={0}
        aria-label={`${props.labelA} | ${props.labelB}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(position)}
        data-testid="ab-divider"
        style={{ left: `${position}%` }}
        onKeyDown={key}
      >
        <span className="ab-handle">⇔</span>
      </div>
    </div>
  );
}
