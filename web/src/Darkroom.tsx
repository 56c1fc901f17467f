// The darkroom tab: one photo (a reference or a candidate), panels of sliders (relight, expression,
// lens, grade) and a live preview at screen size after every change, rendered by the server
// (debounced, one request at a time, the newest sliders next; another photo aborts). Lightroom
// habits: hold \ (or press "Before") to see the photo untouched, Y for a before/after A/B slider,
// double-click a slider's name to reset it, Reset on each panel, every value shown.
// Export renders the same sliders at full resolution into the library.
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { ABSlider } from './ABSlider.js';
import {
  api,
  StudioError,
  type Candidate,
  type DarkroomSettings,
  type VocabEntry,
  type Vocabulary,
} from './api.js';
import { ApiImage } from './Rounds.js';

/** A photo the darkroom can open. */
export interface DarkroomSource {
  blob: string;
  label: string;
}

interface Relight {
  rig: string | null;
  side: 'left' | 'right';
  intensity: number;
  fill: number | null;
  softness: number | null;
  rim: boolean | null;
  temperature: number | null;
}
interface GradePanel {
  grade: string | null;
  film: string | null;
  temperature: number | null;
  contrast: number;
  saturation: number;
}
interface Sliders {
  relight: Relight;
  smile: number;
  aperture: number | null;
  grade: GradePanel;
}

const neutral: Sliders = {
  relight: {
    rig: null,
    side: 'left',
    intensity: 0.7,
    fill: null,
    softness: null,
    rim: null,
    temperature: null,
  },
  smile: 0,
  aperture: null,
  grade: { grade: null, film: null, temperature: null, contrast: 0, saturation: 0 },
};

/** The f-stops of the lens slider; the first position is "off" (no simulated lens). */
const stops = [null, 1.2, 1.4, 1.8, 2, 2.8, 4, 5.6, 8, 11, 16] as const;

/** The sliders as the preview route takes them: a stage at its neutral value is left out. */
export function settingsOf(s: Sliders): DarkroomSettings {
  const r = s.relight;
  const g = s.grade;
  const grade = {
    ...(g.grade === null ? {} : { grade: g.grade }),
    ...(g.film === null ? {} : { film: g.film }),
    ...(g.temperature === null ? {} : { temperature: g.temperature }),
    ...(g.contrast === 0 ? {} : { contrast: g.contrast }),
    ...(g.saturation === 0 ? {} : { saturation: g.saturation }),
  };
  return {
    ...(r.rig === null
      ? {}
      : {
          key: {
            rig: r.rig,
            side: r.side,
            intensity: r.intensity,
            ...(r.fill === null ? {} : { fill: r.fill }),
            ...(r.softness === null ? {} : { softness: r.softness }),
            ...(r.rim === null ? {} : { rim: r.rim }),
            ...(r.temperature === null ? {} : { temperature: r.temperature }),
          },
        }),
    ...(s.smile === 0 ? {} : { smile: s.smile }),
    ...(s.aperture === null ? {} : { aperture: s.aperture }),
    ...(Object.keys(grade).length === 0 ? {} : { grade }),
  };
}

function Slider(props: {
  name: string;
  label: string;
  min: number;
  max: number;
  step: number;
  value: number;
  /** What the value reads as ("f/2.8", "+0.30", "rig's"). */
  shown: string;
  disabled?: boolean;
  onChange: (value: number) => void;
  onReset: () => void;
}) {
  return (
    <label className="dr-slider" data-testid={`dr-${props.name}`}>
      <span
        className="dr-slider-name"
        title="double-click to reset"
        onDoubleClick={(event) => {
          event.preventDefault();
          props.onReset();
        }}
      >
        {props.label}
      </span>
      <span className="dr-slider-value" data-testid={`dr-${props.name}-value`}>
        {props.shown}
      </span>
      <input
        type="range"
        min={props.min}
        max={props.max}
        step={props.step}
        value={props.value}
        disabled={props.disabled}
        onChange={(event) => props.onChange(Number(event.target.value))}
        onDoubleClick={props.onReset}
      />
    </label>
  );
}

function Panel(props: {
  title: string;
  name: string;
  changed: boolean;
  onReset: () => void;
  children: ReactNode;
}) {
  return (
    <section className="dr-panel" data-testid={`dr-panel-${props.name}`}>
      <h3 className="dr-panel-title">
        <span className={props.changed ? 'dr-changed' : ''}>{props.title}</span>
        <button
          type="button"
          className="link dr-reset"
          data-testid={`dr-reset-${props.name}`}
          disabled={!props.changed}
          onClick={props.onReset}
        >
          Reset
        </button>
      </h3>
      {props.children}
    </section>
  );
}

function Choice(props: {
  name: string;
  label: string;
  value: string | null;
  options: VocabEntry[];
  none: string;
  onChange: (value: string | null) => void;
}) {
  const chosen = props.options.find((o) => o.id === props.value);
  return (
    <label className="dr-choice">
      <span className="dr-slider-name">{props.label}</span>
      <select
        className="select"
        data-testid={`dr-${props.name}`}
        value={props.value ?? ''}
        onChange={(event) => props.onChange(event.target.value === '' ? null : event.target.value)}
      >
        <option value="">{props.none}</option>
        {props.options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
      {chosen !== undefined && <span className="dim dr-effect">{chosen.effect}</span>}
    </label>
  );
}

const signed = (value: number) => `${value > 0 ? '+' : ''}${value.toFixed(2)}`;

/** The long side a preview needs for a stage of this size (device pixels, stepped, ≤ 1600). */
function previewSize(stage: HTMLElement | null): number {
  const rect = stage?.getBoundingClientRect();
  const long = Math.max(rect?.width ?? 800, rect?.height ?? 800) * (window.devicePixelRatio || 1);
  return Math.min(1600, Math.max(256, Math.ceil(long / 200) * 200));
}

export function Darkroom(props: {
  references: DarkroomSource[];
  sessionId: string | null;
  vocabulary: Vocabulary | null;
}) {
  const [candidates, setCandidates] = useState<Candidate[]>([]);
  const [uploaded, setUploaded] = useState<DarkroomSource[]>([]);
  const [blob, setBlob] = useState<string | null>(null);
  const [sliders, setSliders] = useState<Sliders>(neutral);
  const [after, setAfter] = useState<string | null>(null);
  const [before, setBefore] = useState<string | null>(null);
  const [showBefore, setShowBefore] = useState(false);
  const [holding, setHolding] = useState(false);
  const [split, setSplit] = useState(false);
  const [rendering, setRendering] = useState(false);
  const [took, setTook] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [exported, setExported] = useState<{ blob: string; width: number; height: number } | null>(
    null,
  );
  const [exporting, setExporting] = useState(false);
  const stage = useRef<HTMLDivElement>(null);
  const size = useRef(800);
  const inFlight = useRef<AbortController | null>(null);
  /** The newest sliders not yet sent. */
  const wanted = useRef<{ blob: string; settings: DarkroomSettings } | null>(null);
  const opener = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (props.sessionId === null) return;
    void api
      .session(props.sessionId)
      .then((detail) => setCandidates(detail.candidates))
      .catch(() => undefined);
  }, [props.sessionId]);

  const sources: DarkroomSource[] = useMemo(
    () => [
      ...props.references,
      ...uploaded,
      ...candidates.map((c) => ({
        blob: c.image,
        label: `Candidate #${c.index + 1} · seed ${c.seed}`,
      })),
    ],
    [props.references, uploaded, candidates],
  );

  // Object URLs are revoked when replaced (a moment later, once the new one shows) and on close.
  const current = useRef<{ after: string | null; before: string | null }>({
    after: null,
    before: null,
  });
  const swap = (slot: 'after' | 'before', next: string | null) => {
    const old = current.current[slot];
    current.current[slot] = next;
    (slot === 'after' ? setAfter : setBefore)(next);
    if (old !== null) window.setTimeout(() => URL.revokeObjectURL(old), 1000);
  };
  useEffect(() => {
    const urls = current.current;
    return () => {
      inFlight.current?.abort();
      for (const url of [urls.after, urls.before]) if (url !== null) URL.revokeObjectURL(url);
    };
  }, []);

  const open = (next: string) => {
    if (next === blob) return;
    // The other photo's render is of no use now.
    wanted.current = null;
    inFlight.current?.abort();
    inFlight.current = null;
    size.current = previewSize(stage.current);
    swap('after', null);
    setBlob(next);
    setSliders(neutral);
    setExported(null);
    setError(null);
    setTook(null);
  };

  // The photo untouched, at the same size as the previews (the "before").
  useEffect(() => {
    if (blob === null) return;
    const controller = new AbortController();
    swap('before', null);
    api
      .darkroomPreview({ blob, settings: {}, maxSize: size.current }, controller.signal)
      .then((jpeg) => swap('before', URL.createObjectURL(jpeg)))
      .catch(() => undefined);
    return () => controller.abort();
  }, [blob]);

  const request = useMemo(() => settingsOf(sliders), [sliders]);
  const requestKey = JSON.stringify(request);

  // The live preview. The server renders on its CPU, so an aborted request would still cost it a
  // render: at most one request is in flight, and the newest sliders wait for it (the ones in
  // between are dropped). A request for another photo, or after the tab closes, is aborted.
  const pump = () => {
    const job = wanted.current;
    if (inFlight.current !== null || job === null) return;
    wanted.current = null;
    const controller = new AbortController();
    inFlight.current = controller;
    setRendering(true);
    const started = performance.now();
    api
      .darkroomPreview(
        { blob: job.blob, settings: job.settings, maxSize: size.current },
        controller.signal,
      )
      .then((jpeg) => {
        if (controller.signal.aborted) return;
        // Shown even when newer sliders wait: the picture follows the drag.
        swap('after', URL.createObjectURL(jpeg));
        setTook(Math.round(performance.now() - started));
        setError(null);
      })
      .catch((e: unknown) => {
        if (controller.signal.aborted || wanted.current !== null) return;
        setError(
          e instanceof StudioError
            ? `${e.error.issues.map((i) => i.path).join(', ') || e.error.code}: ${e.error.message}`
            : String(e),
        );
      })
      .finally(() => {
        if (inFlight.current === controller) inFlight.current = null;
        if (inFlight.current === null && wanted.current === null) setRendering(false);
        pump();
      });
  };

  useEffect(() => {
    if (blob === null) return;
    const timer = window.setTimeout(() => {
      wanted.current = { blob, settings: request };
      pump();
    }, 60);
    return () => window.clearTimeout(timer);
    // requestKey stands for request (the same sliders give the same key).
  }, [blob, requestKey]);

  // Hold \ to see the photo before; Y toggles the before/after slider (not while typing).
  useEffect(() => {
    const typing = (target: EventTarget | null) =>
      target instanceof HTMLElement &&
      (target.tagName === 'TEXTAREA' ||
        target.tagName === 'SELECT' ||
        (target.tagName === 'INPUT' && (target as HTMLInputElement).type !== 'range'));
    const down = (event: KeyboardEvent) => {
      if (typing(event.target)) return;
      if (event.key === '\\') {
        setHolding(true);
        event.preventDefault();
      } else if (event.key.toLowerCase() === 'y' && !event.repeat) setSplit((s) => !s);
    };
    const up = (event: KeyboardEvent) => {
      if (event.key === '\\') setHolding(false);
    };
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
    };
  }, []);

  const setRelight = (patch: Partial<Relight>) =>
    setSliders((s) => ({ ...s, relight: { ...s.relight, ...patch } }));
  const setGrade = (patch: Partial<GradePanel>) =>
    setSliders((s) => ({ ...s, grade: { ...s.grade, ...patch } }));

  const doExport = async () => {
    if (blob === null) return;
    setExporting(true);
    setError(null);
    try {
      const answer = await api.darkroomExport(blob, request);
      setExported(answer);
      const url = await api.imageUrl(`/api/blobs/${answer.blob}`, true);
      const link = document.createElement('a');
      link.href = url;
      link.download = `darkroom-${answer.blob.slice(0, 12)}.png`;
      link.click();
      URL.revokeObjectURL(url);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setExporting(false);
    }
  };

  const upload = async (file: File) => {
    try {
      const reference = await api.upload(file, file.name);
      setUploaded((list) => [...list, { blob: reference.blob, label: reference.name }]);
      open(reference.blob);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  const rigs = props.vocabulary?.fields['light.rig'] ?? [];
  const grades = props.vocabulary?.fields['aesthetic.grade'] ?? [];
  const films = props.vocabulary?.fields['camera.film'] ?? [];
  const r = sliders.relight;
  const g = sliders.grade;
  const lit = r.rig === null;
  const seeingBefore = showBefore || holding;
  const stopIndex = Math.max(
    0,
    stops.findIndex((s) => s === sliders.aperture),
  );
  const changed = requestKey !== '{}';

  return (
    <div className="darkroom" data-testid="darkroom">
      <aside className="panel dr-sources">
        <h2 className="panel-title">
          Photos
          <button type="button" className="link count" onClick={() => opener.current?.click()}>
            open…
          </button>
        </h2>
        <input
          ref={opener}
          type="file"
          hidden
          accept="image/jpeg,image/png,image/webp,image/avif"
          data-testid="dr-upload"
          onChange={(event) => {
            const file = event.target.files?.[0];
            if (file !== undefined) void upload(file);
            event.target.value = '';
          }}
        />
        {sources.length === 0 && (
          <p className="dim">
            Add a reference to the brief or run a round; its photos and candidates appear here.
          </p>
        )}
        <ul className="dr-source-list">
          {sources.map((source) => (
            <li key={source.blob}>
              <button
                type="button"
                className={`dr-source${source.blob === blob ? ' dr-source-on' : ''}`}
                data-testid="dr-source"
                onClick={() => open(source.blob)}
              >
                <ApiImage
                  path={`/api/blobs/${source.blob}`}
                  alt={source.label}
                  className="dr-thumb"
                />
                <span>{source.label}</span>
              </button>
            </li>
          ))}
        </ul>
      </aside>
      <section className="dr-main">
        <div className="compare-toolbar">
          <strong>Darkroom</strong>
          <span className="dim" title="double-click a slider's name to reset it">
            hold \ before · Y split
          </span>
          <div className="spacer" />
          <span className="dim" data-testid="dr-status">
            {blob === null
              ? ''
              : rendering
                ? after === null
                  ? 'reading the photo (face mesh, person mask)…'
                  : 'rendering…'
                : took === null
                  ? ''
                  : `preview in ${took} ms`}
          </span>
          <button
            type="button"
            className={`button-ghost${seeingBefore ? ' dr-before-on' : ''}`}
            data-testid="dr-before"
            aria-pressed={showBefore}
            disabled={blob === null}
            onClick={() => setShowBefore((b) => !b)}
          >
            Before (\)
          </button>
          <button
            type="button"
            className={`button-ghost${split ? ' dr-before-on' : ''}`}
            data-testid="dr-split"
            aria-pressed={split}
            disabled={blob === null}
            onClick={() => setSplit((s) => !s)}
          >
            A/B (Y)
          </button>
          <button
            type="button"
            className="button"
            data-testid="dr-export"
            disabled={blob === null || exporting}
            onClick={() => void doExport()}
          >
            {exporting ? 'Exporting…' : 'Export full size'}
          </button>
        </div>
        {error !== null && (
          <p className="issue-line dr-error" data-testid="dr-error">
            {error}
          </p>
        )}
        {exported !== null && (
          <p className="dim dr-exported" data-testid="dr-exported">
            Exported {exported.width}×{exported.height} PNG to the library (
            <code>{exported.blob.slice(0, 12)}</code>).
          </p>
        )}
        <div
          className="dr-stage"
          ref={stage}
          data-testid="dr-stage"
          data-blob={blob ?? ''}
          data-settings={requestKey}
          data-size={size.current}
        >
          {blob === null ? (
            <p className="dim empty">Choose a photo on the left.</p>
          ) : split && before !== null && after !== null ? (
            <ABSlider
              testId="dr-ab"
              a={<img className="ab-img" src={before} alt="before" draggable={false} />}
              b={<img className="ab-img" src={after} alt="after" draggable={false} />}
              labelA="Before"
              labelB="After"
            />
          ) : (
            <>
              {(seeingBefore ? before : after) !== null && (
                <img
                  className="dr-preview"
                  data-testid={seeingBefore ? 'dr-before-image' : 'dr-preview'}
                  src={(seeingBefore ? before : after) ?? ''}
                  alt={seeingBefore ? 'before' : 'preview'}
                  draggable={false}
                />
              )}
              {seeingBefore && <span className="ab-label ab-label-a">Before</span>}
            </>
          )}
        </div>
      </section>
      <aside className="panel dr-controls">
        <h2 className="panel-title">
          Develop
          <button
            type="button"
            className="link count"
            data-testid="dr-reset-all"
            disabled={!changed}
            onClick={() => setSliders(neutral)}
          >
            reset all
          </button>
        </h2>
        <Panel
          title="Relight"
          name="relight"
          changed={JSON.stringify(r) !== JSON.stringify(neutral.relight)}
          onReset={() => setSliders((s) => ({ ...s, relight: neutral.relight }))}
        >
          <Choice
            name="rig"
            label="Rig"
            value={r.rig}
            options={rigs}
            none="off (the photo's light)"
            onChange={(rig) => setRelight({ rig })}
          />
          <div className="dr-sides" role="radiogroup" aria-label="key side">
            {(['left', 'right'] as const).map((side) => (
              <button
                key={side}
                type="button"
                role="radio"
                aria-checked={r.side === side}
                data-testid={`dr-side-${side}`}
                disabled={lit}
                className={`target${r.side === side ? ' target-on' : ''}`}
                onClick={() => setRelight({ side })}
              >
                key {side}
              </button>
            ))}
          </div>
          <Slider
            name="intensity"
            label="Intensity"
            min={0}
            max={1}
            step={0.05}
            value={r.intensity}
            shown={`${Math.round(r.intensity * 100)}%`}
            disabled={lit}
            onChange={(intensity) => setRelight({ intensity })}
            onReset={() => setRelight({ intensity: neutral.relight.intensity })}
          />
          <Slider
            name="fill"
            label="Fill (key:fill)"
            min={1}
            max={16}
            step={0.5}
            value={r.fill ?? 4}
            shown={r.fill === null ? "rig's" : `${r.fill}:1`}
            disabled={lit}
            onChange={(fill) => setRelight({ fill })}
            onReset={() => setRelight({ fill: null })}
          />
          <Slider
            name="softness"
            label="Softness"
            min={0}
            max={1}
            step={0.05}
            value={r.softness ?? 0.5}
            shown={r.softness === null ? "rig's" : r.softness.toFixed(2)}
            disabled={lit}
            onChange={(softness) => setRelight({ softness })}
            onReset={() => setRelight({ softness: null })}
          />
          <Slider
            name="key-temperature"
            label="Key colour"
            min={2500}
            max={9000}
            step={100}
            value={r.temperature ?? 5500}
            shown={r.temperature === null ? "rig's" : `${r.temperature} K`}
            disabled={lit}
            onChange={(temperature) => setRelight({ temperature })}
            onReset={() => setRelight({ temperature: null })}
          />
          <label className="dr-check">
            <input
              type="checkbox"
              data-testid="dr-rim"
              disabled={lit}
              checked={r.rim === true}
              ref={(input) => {
                if (input !== null) input.indeterminate = r.rim === null;
              }}
              onChange={(event) => setRelight({ rim: event.target.checked })}
            />
            Rim light <span className="dim">{r.rim === null ? "(rig's)" : ''}</span>
          </label>
        </Panel>
        <Panel
          title="Expression"
          name="expression"
          changed={sliders.smile !== 0}
          onReset={() => setSliders((s) => ({ ...s, smile: 0 }))}
        >
          <Slider
            name="smile"
            label="Lip corners"
            min={-1}
            max={1}
            step={0.05}
            value={sliders.smile}
            shown={
              sliders.smile === 0
                ? '0'
                : `${signed(sliders.smile)} ${sliders.smile > 0 ? 'lift' : 'drop'}`
            }
            onChange={(smile) => setSliders((s) => ({ ...s, smile }))}
            onReset={() => setSliders((s) => ({ ...s, smile: 0 }))}
          />
        </Panel>
        <Panel
          title="Lens"
          name="lens"
          changed={sliders.aperture !== null}
          onReset={() => setSliders((s) => ({ ...s, aperture: null }))}
        >
          <Slider
            name="aperture"
            label="Aperture"
            min={0}
            max={stops.length - 1}
            step={1}
            value={stopIndex}
            shown={sliders.aperture === null ? 'off' : `f/${sliders.aperture}`}
            onChange={(index) => setSliders((s) => ({ ...s, aperture: stops[index] ?? null }))}
            onReset={() => setSliders((s) => ({ ...s, aperture: null }))}
          />
        </Panel>
        <Panel
          title="Grade"
          name="grade"
          changed={JSON.stringify(g) !== JSON.stringify(neutral.grade)}
          onReset={() => setSliders((s) => ({ ...s, grade: neutral.grade }))}
        >
          <Choice
            name="grade-look"
            label="Look"
            value={g.grade}
            options={grades}
            none="none"
            onChange={(grade) => setGrade({ grade })}
          />
          <Choice
            name="film"
            label="Film"
            value={g.film}
            options={films}
            none="none"
            onChange={(film) => setGrade({ film })}
          />
          <Slider
            name="temperature"
            label="Temp"
            min={2000}
            max={12000}
            step={100}
            value={g.temperature ?? 5500}
            shown={g.temperature === null ? 'as shot' : `${g.temperature} K`}
            onChange={(temperature) => setGrade({ temperature })}
            onReset={() => setGrade({ temperature: null })}
          />
          <Slider
            name="contrast"
            label="Contrast"
            min={-1}
            max={1}
            step={0.05}
            value={g.contrast}
            shown={signed(g.contrast)}
            onChange={(contrast) => setGrade({ contrast })}
            onReset={() => setGrade({ contrast: 0 })}
          />
          <Slider
            name="saturation"
            label="Saturation"
            min={-1}
            max={1}
            step={0.05}
            value={g.saturation}
            shown={signed(g.saturation)}
            onChange={(saturation) => setGrade({ saturation })}
            onReset={() => setGrade({ saturation: 0 })}
          />
        </Panel>
      </aside>
    </div>
  );
}
