// The reference photo, large, with its blueprint drawn over it as toggles: mesh, skeleton,
// key-light arrow, thirds and palette. The drawing is SVG over the photo, in the photo's pixels.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { api, StudioError, type Blueprint, type Json, type Reference } from './api.js';
import { roles } from './BriefEditor.js';

const layers = [
  { id: 'mesh', label: 'Mesh', key: 'M' },
  { id: 'skeleton', label: 'Skeleton', key: 'S' },
  { id: 'light', label: 'Key light', key: 'L' },
  { id: 'thirds', label: 'Thirds', key: 'T' },
  { id: 'palette', label: 'Palette', key: 'C' },
] as const;
type Layer = (typeof layers)[number]['id'];

const bones: [string, string][] = [
  ['leftShoulder', 'rightShoulder'],
  ['leftShoulder', 'leftElbow'],
  ['leftElbow', 'leftWrist'],
  ['rightShoulder', 'rightElbow'],
  ['rightElbow', 'rightWrist'],
  ['leftShoulder', 'leftHip'],
  ['rightShoulder', 'rightHip'],
  ['leftHip', 'rightHip'],
  ['leftHip', 'leftKnee'],
  ['leftKnee', 'leftAnkle'],
  ['rightHip', 'rightKnee'],
  ['rightKnee', 'rightAnkle'],
  ['nose', 'leftEye'],
  ['nose', 'rightEye'],
  ['leftEye', 'leftEar'],
  ['rightEye', 'rightEar'],
];

export interface StageReference {
  reference: Reference;
  src: string;
  blueprint: Blueprint | null;
  brief: Json | null;
  error: string | null;
}

export function ReferenceStage(props: {
  onBriefFromPhoto: (brief: Json) => void;
  onAddReference: (blob: string, role: string) => void;
}) {
  const [stage, setStage] = useState<StageReference | null>(null);
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [on, setOn] = useState<Record<Layer, boolean>>({
    mesh: true,
    skeleton: true,
    light: true,
    thirds: true,
    palette: true,
  });
  const [role, setRole] = useState('identity');
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const key = (event: KeyboardEvent) => {
      if (event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement)
        return;
      const layer = layers.find((l) => l.key === event.key.toUpperCase());
      if (layer !== undefined) setOn((state) => ({ ...state, [layer.id]: !state[layer.id] }));
    };
    window.addEventListener('keydown', key);
    return () => window.removeEventListener('keydown', key);
  }, []);

  const upload = async (file: File) => {
    setUploadError(null);
    setBusy(true);
    try {
      const reference = await api.upload(file, file.name);
      const src = await api.imageUrl(`/api/blobs/${reference.blob}`);
      setStage({ reference, src, blueprint: null, brief: null, error: null });
      try {
        const read = await api.blueprint(reference.blob);
        setStage({ reference, src, blueprint: read.blueprint, brief: read.brief, error: null });
      } catch (error) {
        setStage({ reference, src, blueprint: null, brief: null, error: messageOf(error) });
      }
    } catch (error) {
      setUploadError(messageOf(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div
      className="stage"
      onDragOver={(event) => event.preventDefault()}
      onDrop={(event) => {
        event.preventDefault();
        const file = event.dataTransfer.files[0];
        if (file !== undefined) void upload(file);
      }}
    >
      <input
        ref={input}
        type="file"
        accept="image/jpeg,image/png,image/webp,image/avif"
        data-testid="upload"
        hidden
        onChange={(event) => {
          const file = event.target.files?.[0];
          if (file !== undefined) void upload(file);
          event.target.value = '';
        }}
      />
      <div className="stage-toolbar">
        <button type="button" className="button" onClick={() => input.current?.click()}>
          {stage === null ? 'Upload reference' : 'Replace'}
        </button>
        {stage !== null && (
          <div className="toggles" role="group" aria-label="overlay">
            {layers.map((layer) => (
              <button
                key={layer.id}
                type="button"
                aria-pressed={on[layer.id]}
                className={`toggle toggle-${layer.id}${on[layer.id] ? ' toggle-on' : ''}`}
                title={`${layer.label} (${layer.key})`}
                onClick={() => setOn({ ...on, [layer.id]: !on[layer.id] })}
              >
                {layer.label}
              </button>
            ))}
          </div>
        )}
        {busy && <span className="dim">reading…</span>}
      </div>
      {uploadError !== null && <div className="banner-error">{uploadError}</div>}
      {stage === null ? (
        <button type="button" className="dropzone" onClick={() => input.current?.click()}>
          <span className="dropzone-title">Drop a reference photo</span>
          <span className="dim">
            JPEG, PNG, WebP or AVIF · its face, pose, light and palette are read and drawn over it
          </span>
        </button>
      ) : (
        <div className="stage-main">
          <FittedPhoto width={stage.reference.width} height={stage.reference.height}>
            <img src={stage.src} alt={stage.reference.name} />
            {stage.blueprint !== null && <Overlay blueprint={stage.blueprint} on={on} />}
          </FittedPhoto>
          <aside className="stage-side">
            <div className="meta">
              <div className="meta-name">{stage.reference.name}</div>
              <div className="dim">
                {stage.reference.width}×{stage.reference.height} ·{' '}
                {stage.reference.format.toUpperCase()} · {(stage.reference.bytes / 1024).toFixed(0)}{' '}
                KB
              </div>
            </div>
            {stage.blueprint === null && stage.error === null && (
              <p className="dim">Reading the photo…</p>
            )}
            {stage.error !== null && <div className="banner-error">{stage.error}</div>}
            {stage.blueprint !== null && (
              <Readings blueprint={stage.blueprint} showPalette={on.palette} />
            )}
            {stage.brief !== null && (
              <button
                type="button"
                className="button"
                data-testid="brief-from-photo"
                onClick={() => stage.brief && props.onBriefFromPhoto(stage.brief)}
              >
                Make a brief from this photo
              </button>
            )}
            {stage.blueprint !== null && (
              <button
                type="button"
                className="button"
                data-testid="save-overlay"
                onClick={() => void saveOverlay(stage.reference)}
              >
                Save overlay PNG
              </button>
            )}
            <div className="add-ref">
              <select
                className="select"
                value={role}
                onChange={(event) => setRole(event.target.value)}
              >
                {roles.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
              <button
                type="button"
                className="button"
                onClick={() => props.onAddReference(stage.reference.blob, role)}
              >
                Add as reference
              </button>
            </div>
          </aside>
        </div>
      )}
    </div>
  );
}

/** A box of the photo's aspect ratio, as large as the frame allows, so the overlay lies exactly on it. */
function FittedPhoto(props: { width: number; height: number; children: ReactNode }) {
  const frame = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState<{ width: number; height: number } | null>(null);
  useEffect(() => {
    const element = frame.current;
    if (element === null) return;
    const fit = () => {
      const scale = Math.min(
        element.clientWidth / props.width,
        element.clientHeight / props.height,
      );
      setSize({ width: Math.floor(props.width * scale), height: Math.floor(props.height * scale) });
    };
    fit();
    const observer = new ResizeObserver(fit);
    observer.observe(element);
    return () => observer.disconnect();
  }, [props.width, props.height]);
  return (
    <div className="photo-frame" ref={frame}>
      {size !== null && (
        <div className="photo" style={{ width: size.width, height: size.height }}>
          {props.children}
        </div>
      )}
    </div>
  );
}

/** Downloads the server-drawn overlay (every layer) at full size. */
async function saveOverlay(reference: Reference): Promise<void> {
  const url = await api.imageUrl(`/api/references/${reference.blob}/overlay.png`, true);
  const link = document.createElement('a');
  link.href = url;
  link.download = `${reference.name.replace(/\.[a-z0-9]+$/i, '')}-blueprint.png`;
  link.click();
  URL.revokeObjectURL(url);
}

function messageOf(error: unknown): string {
  if (error instanceof StudioError) {
    const issue = error.error.issues[0];
    return `${error.error.code}: ${issue?.message ?? error.error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

const signed = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(Math.round(value))}°`;

function Readings({ blueprint, showPalette }: { blueprint: Blueprint; showPalette: boolean }) {
  const face = blueprint.faceIndex === null ? undefined : blueprint.faces[blueprint.faceIndex];
  const light = blueprint.light;
  return (
    <div className="readings" data-testid="readings">
      {face !== undefined && (
        <div className="reading">
          <span className="reading-label">Head</span>
          <span>
            yaw {signed(face.headPose.yaw)} · pitch {signed(face.headPose.pitch)} · roll{' '}
            {signed(face.headPose.roll)}
          </span>
        </div>
      )}
      {light !== null && (
        <div className="reading">
          <span className="reading-label">Key</span>
          <span>
            {signed(light.azimuth)} az · {signed(light.elevation)} el · {light.fillRatio.toFixed(1)}
            :1 · {Math.round(light.colorTemperature)} K
            {light.confidence < 0.4 && <span className="dim"> (unsure)</span>}
          </span>
        </div>
      )}
      {blueprint.composition !== null && (
        <div className="reading">
          <span className="reading-label">Shot</span>
          <span>{blueprint.composition.shot}</span>
        </div>
      )}
      {showPalette && (
        <div className="palette" data-testid="palette">
          {blueprint.palette.frame.map((swatch) => (
            <span
              key={swatch.hex}
              className="swatch"
              title={`${swatch.hex} · ${Math.round(swatch.weight * 100)}%`}
              style={{ background: swatch.hex, flexGrow: Math.max(0.05, swatch.weight) }}
            />
          ))}
        </div>
      )}
      {blueprint.warnings.map((warning) => (
        <div key={warning.code} className="warning">
          {warning.message}
        </div>
      ))}
    </div>
  );
}

function Overlay({ blueprint, on }: { blueprint: Blueprint; on: Record<Layer, boolean> }) {
  const { width, height } = blueprint.image;
  const unit = Math.max(width, height) / 900;
  const face = blueprint.faceIndex === null ? undefined : blueprint.faces[blueprint.faceIndex];
  const points = new Map(
    (blueprint.body?.keypoints ?? []).filter((k) => k.score >= 0.3).map((k) => [k.part, k]),
  );
  return (
    <svg
      className="overlay"
      viewBox={`0 0 ${width} ${height}`}
      preserveAspectRatio="none"
      data-testid="overlay"
    >
      {on.thirds && (
        <g className="ov-thirds" strokeWidth={unit}>
          {[1, 2].map((i) => (
            <g key={i}>
              <line x1={(width * i) / 3} y1={0} x2={(width * i) / 3} y2={height} />
              <line x1={0} y1={(height * i) / 3} x2={width} y2={(height * i) / 3} />
            </g>
          ))}
        </g>
      )}
      {on.mesh && face !== undefined && (
        <g className="ov-mesh">
          {face.mesh.map(([x, y], i) => (
            <circle
              key={i}
              cx={x}
              cy={y}
              r={i >= 468 ? unit * 1.6 : unit * 1.1}
              className={i >= 468 ? 'ov-iris' : undefined}
            />
          ))}
        </g>
      )}
      {on.skeleton && (
        <g className="ov-skeleton" strokeWidth={unit * 3}>
          {bones.map(([a, b]) => {
            const p = points.get(a);
            const q = points.get(b);
            if (p === undefined || q === undefined) return null;
            const side = a.startsWith('left')
              ? 'ov-left'
              : a.startsWith('right')
                ? 'ov-right'
                : 'ov-centre';
            return <line key={`${a}-${b}`} className={side} x1={p.x} y1={p.y} x2={q.x} y2={q.y} />;
          })}
          {[...points.values()].map((k) => (
            <circle key={k.part} cx={k.x} cy={k.y} r={unit * 4} />
          ))}
        </g>
      )}
      {on.light && face !== undefined && blueprint.light !== null && (
        <KeyArrow face={face} light={blueprint.light} unit={unit} />
      )}
    </svg>
  );
}

/** An arrow from where the key stands toward the face (azimuth + toward the image's right). */
function KeyArrow(props: {
  face: Blueprint['faces'][number];
  light: NonNullable<Blueprint['light']>;
  unit: number;
}) {
  const { box } = props.face;
  const { azimuth, elevation } = props.light;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const rad = Math.PI / 180;
  let dx = Math.sin(azimuth * rad);
  let dy = -Math.sin(elevation * rad);
  const length = Math.hypot(dx, dy);
  const u = props.unit;
  if (length < 0.15) {
    // From the camera: a target mark over the face instead of an arrow.
    return (
      <g className="ov-light" strokeWidth={u * 3}>
        <circle cx={cx} cy={cy - box.height * 0.7} r={u * 14} fill="none" />
        <circle cx={cx} cy={cy - box.height * 0.7} r={u * 4} />
      </g>
    );
  }
  dx /= length;
  dy /= length;
  const reach = Math.max(box.width, box.height) * 0.95;
  const sx = cx + dx * reach;
  const sy = cy + dy * reach;
  const ex = cx + dx * box.width * 0.45;
  const ey = cy + dy * box.height * 0.45;
  const head = u * 16;
  const angle = Math.atan2(ey - sy, ex - sx);
  const wing = (turn: number) =>
    `${ex - head * Math.cos(angle + turn)},${ey - head * Math.sin(angle + turn)}`;
  return (
    <g className="ov-light" strokeWidth={u * 4}>
      <line x1={sx} y1={sy} x2={ex} y2={ey} />
      <polygon points={`${ex},${ey} ${wing(0.45)} ${wing(-0.45)}`} />
      <circle cx={sx} cy={sy} r={u * 9} />
      <text x={sx} y={sy - u * 16} fontSize={u * 22} textAnchor="middle">
        key {Math.round(Math.abs(azimuth))}° {Math.round(elevation)}°
      </text>
    </g>
  );
}
