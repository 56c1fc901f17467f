// Rounds of a session: live progress over SSE with cancel, the candidates grid with per-pillar
// bars and flags, Lightroom keys (arrows, P, X, U, 1–5, C), compare 2–4 candidates beside the
// reference with linked zoom and pan or two of them in an A/B slider, resume a round a stopped
// server left running, and the next round from a nudge or the edited brief.
import {
  useCallback,
  useEffect,
  useRef,
  useState,
  type PointerEvent,
  type WheelEvent,
} from 'react';
import {
  api,
  pillars,
  type Candidate,
  type Json,
  type Nudge,
  type Round,
  type RoundEvent,
} from './api.js';
import { ABSlider } from './ABSlider.js';

/** An image served by the API (fetched into an object URL when a token is needed). */
export function ApiImage(props: { path: string; alt: string; className?: string }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let revoke: string | null = null;
    let live = true;
    void api.imageUrl(props.path).then((url) => {
      if (!live) return;
      if (url.startsWith('blob:')) revoke = url;
      setSrc(url);
    });
    return () => {
      live = false;
      if (revoke !== null) URL.revokeObjectURL(revoke);
    };
  }, [props.path]);
  return src === null ? (
    <div className={`${props.className ?? ''} img-loading`} />
  ) : (
    <img src={src} alt={props.alt} className={props.className} draggable={false} />
  );
}

const percent = (value: number | null | undefined) =>
  value === null || value === undefined ? '–' : `${Math.round(value * 100)}`;

function PillarBars(props: { candidate: Candidate; compareTo?: Candidate }) {
  return (
    <div className="bars">
      {pillars.map((p) => {
        const value = props.candidate.scores[p];
        const other = props.compareTo?.scores[p];
        const delta =
          value !== null && other !== null && other !== undefined ? value - other : null;
        return (
          <div key={p} className="bar-row" title={`${p}: ${percent(value)}%`}>
            <span className="bar-label">{p.slice(0, 4)}</span>
            <span className="bar-track">
              <span
                className="bar-fill"
                style={{ width: `${(value ?? 0) * 100}%`, background: `var(--${p})` }}
              />
            </span>
            <span className="bar-value">
              {percent(value)}
              {delta !== null && Math.abs(delta) >= 0.01 && (
                <span className={delta > 0 ? 'delta-up' : 'delta-down'}>
                  {delta > 0 ? '+' : ''}
                  {Math.round(delta * 100)}
                </span>
              )}
            </span>
          </div>
        );
      })}
    </div>
  );
}

function Badges(props: { candidate: Candidate }) {
  const { pick, flags } = props.candidate;
  return (
    <div className="badges">
      {pick?.verdict === 'pick' && <span className="badge badge-pick">P</span>}
      {pick?.verdict === 'reject' && <span className="badge badge-reject">X</span>}
      {pick?.stars !== null && pick?.stars !== undefined && (
        <span className="badge badge-stars">{'★'.repeat(pick.stars)}</span>
      )}
      {flags.map((f) => (
        <span key={f} className="badge badge-flag">
          {f}
        </span>
      ))}
    </div>
  );
}

/** Linked zoom and pan: one transform shared by every pane. */
function Compare(props: {
  candidates: Candidate[];
  reference: string | null;
  onClose: () => void;
}) {
  const [view, setView] = useState({ scale: 1, x: 0, y: 0 });
  const [slider, setSlider] = useState(false);
  const drag = useRef<{ x: number; y: number } | null>(null);
  const wheel = (event: WheelEvent) => {
    const scale = Math.min(8, Math.max(1, view.scale * (event.deltaY < 0 ? 1.2 : 1 / 1.2)));
    setView({ ...view, scale });
  };
  const down = (event: PointerEvent) => {
    drag.current = { x: event.clientX - view.x, y: event.clientY - view.y };
    (event.target as HTMLElement).setPointerCapture(event.pointerId);
  };
  const move = (event: PointerEvent) => {
    if (drag.current === null) return;
    setView({ ...view, x: event.clientX - drag.current.x, y: event.clientY - drag.current.y });
  };
  const first = props.candidates[0];
  const panes: { key: string; path: string; label: string; candidate?: Candidate }[] = [
    ...(props.reference === null
      ? []
      : [{ key: 'ref', path: `/api/blobs/${props.reference}`, label: 'Reference' }]),
    ...props.candidates.map((c) => ({
      key: c.id,
      path: `/api/blobs/${c.image}`,
      label: `#${c.index + 1} · ${percent(c.scores.overall)}%`,
      candidate: c,
    })),
  ];
  return (
    <section className="compare" data-testid="compare">
      <div className="compare-toolbar">
        <strong>Compare</strong>
        <span className="dim">
          {slider
            ? 'drag the divider (or ←→ on it) · scroll zooms both, double-click fits'
            : `scroll to zoom, drag to pan — every picture follows · zoom ${view.scale.toFixed(1)}×`}
        </span>
        <div className="spacer" />
        <button
          type="button"
          className={`button-ghost${slider ? ' dr-before-on' : ''}`}
          data-testid="ab-button"
          aria-pressed={slider}
          disabled={props.candidates.length < 2}
          title="the first two marked candidates, one over the other, split by a divider you drag"
          onClick={() => setSlider((on) => !on)}
        >
          {slider ? 'Side by side' : 'A/B slider'}
        </button>
        <button
          type="button"
          className="button-ghost"
          onClick={() => setView({ scale: 1, x: 0, y: 0 })}
        >
          Fit
        </button>
        <button type="button" className="button-ghost" onClick={props.onClose}>
          Back to grid
        </button>
      </div>
      {slider && first !== undefined && props.candidates[1] !== undefined ? (
        <ABCompare a={first} b={props.candidates[1]} />
      ) : (
        <div
          className="compare-panes"
          style={{ gridTemplateColumns: `repeat(${panes.length}, 1fr)` }}
        >
          {panes.map((pane) => (
            <figure key={pane.key} className="compare-pane" data-testid="compare-pane">
              <div
                className="compare-viewport"
                onWheel={wheel}
                onPointerDown={down}
                onPointerMove={move}
                onPointerUp={() => (drag.current = null)}
              >
                <div
                  className="compare-image"
                  data-testid="compare-transform"
                  style={{
                    transform: `translate(${view.x}px, ${view.y}px) scale(${view.scale})`,
                  }}
                >
                  <ApiImage path={pane.path} alt={pane.label} className="compare-img" />
                </div>
              </div>
              <figcaption>
                <span>{pane.label}</span>
                {pane.candidate !== undefined && (
                  <PillarBars
                    candidate={pane.candidate}
                    {...(first !== undefined && pane.candidate !== first
                      ? { compareTo: first }
                      : {})}
                  />
                )}
              </figcaption>
            </figure>
          ))}
        </div>
      )}
    </section>
  );
}

/** Two candidates over each other in one box, a divider between them, their bars below. */
function ABCompare(props: { a: Candidate; b: Candidate }) {
  const label = (c: Candidate) => `#${c.index + 1} · ${percent(c.scores.overall)}%`;
  return (
    <div className="ab-compare" data-testid="ab-compare">
      <ABSlider
        a={<ApiImage path={`/api/blobs/${props.a.image}`} alt="A" className="ab-img" />}
        b={<ApiImage path={`/api/blobs/${props.b.image}`} alt="B" className="ab-img" />}
        labelA={`A ${label(props.a)}`}
        labelB={`B ${label(props.b)}`}
      />
      <div className="ab-bars">
        <div>
          <span>A {label(props.a)}</span>
          <PillarBars candidate={props.a} />
        </div>
        <div>
          <span>B {label(props.b)}</span>
          <PillarBars candidate={props.b} compareTo={props.a} />
        </div>
      </div>
    </div>
  );
}

interface Progress {
  stage: string;
  done: number;
  total: number;
  step?: number;
  steps?: number;
  preview?: string;
}

/** The rounds of one session and their candidates. */
export function Rounds(props: {
  sessionId: string;
  brief: Json;
  /** The brief was changed since the session's newest version: the next round stores it first. */
  briefEdited: boolean;
  reference: string | null;
  onBriefChange: (brief: Json) => void;
  onRoundStarted: () => void;
}) {
  const [rounds, setRounds] = useState<Round[]>([]);
  const [roundId, setRoundId] = useState<string | null>(null);
  const [candidates, setCandidates] = useState<Candidate[]>([]);
  const [selected, setSelected] = useState(0);
  const [marked, setMarked] = useState<string[]>([]);
  const [comparing, setComparing] = useState(false);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [count, setCount] = useState(2);
  /** The round an earlier server run left running (a crash), which can be resumed. */
  const [interrupted, setInterrupted] = useState<string | null>(null);
  const [listen, setListen] = useState(0);
  const grid = useRef<HTMLDivElement>(null);

  const refresh = useCallback(async () => {
    const detail = await api.session(props.sessionId);
    setRounds(detail.rounds);
    return detail;
  }, [props.sessionId]);

  useEffect(() => {
    void refresh().then((detail) => {
      const last = detail.rounds.at(-1);
      if (last !== undefined) setRoundId(last.id);
    });
  }, [refresh]);

  // The chosen round: its candidates, and its live events while it runs.
  useEffect(() => {
    if (roundId === null) return;
    const controller = new AbortController();
    setCandidates([]);
    setSelected(0);
    setMarked([]);
    setComparing(false);
    void api.candidates(roundId).then((answer) => setCandidates(answer.candidates));
    const onEvent = (event: RoundEvent) => {
      if (event.type === 'progress')
        setProgress({
          stage: event.stage,
          done: event.done,
          total: event.total,
          ...(event.step === undefined ? {} : { step: event.step }),
          ...(event.steps === undefined ? {} : { steps: event.steps }),
          ...(event.preview === undefined
            ? {}
            : { preview: `data:image/${event.preview.format};base64,${event.preview.base64}` }),
        });
      else if (event.type === 'candidate')
        setCandidates((list) =>
          list.some((c) => c.id === event.candidate.id) ? list : [...list, event.candidate],
        );
      else if (event.type === 'finished') {
        setProgress(null);
        setInterrupted(event.status === 'interrupted' ? event.roundId : null);
        if (event.error !== undefined && event.status === 'failed')
          setError(`${event.error.code}: ${event.error.message}`);
        void refresh();
      }
    };
    api.roundEvents(roundId, onEvent, controller.signal).catch(() => undefined);
    return () => controller.abort();
  }, [roundId, refresh, listen]);

  const resume = async (id: string) => {
    setError(null);
    try {
      await api.resumeRound(id);
      setInterrupted(null);
      await refresh();
      setProgress({ stage: 'resuming', done: 0, total: round?.count ?? 0 });
      setListen((n) => n + 1);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  const round = rounds.find((r) => r.id === roundId);
  const current = candidates[selected];

  const setPick = useCallback(
    async (candidate: Candidate, pick: Parameters<typeof api.pick>[1]) => {
      try {
        const answer = await api.pick(candidate.id, pick);
        setCandidates((list) =>
          list.map((c) => (c.id === candidate.id ? { ...c, pick: answer.pick } : c)),
        );
      } catch (e) {
        setError(e instanceof Error ? e.message : String(e));
      }
    },
    [],
  );

  const run = async (body: { brief?: Json; note?: string; nudges?: Nudge[] }) => {
    setError(null);
    try {
      const answer = await api.startRound(props.sessionId, { ...body, count });
      await refresh();
      setRoundId(answer.round.id);
      setProgress({ stage: 'starting', done: 0, total: answer.round.count });
      props.onRoundStarted();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  const applyAndRun = async (nudge: Nudge) => {
    try {
      const { brief } = await api.patch(props.brief, nudge.patch);
      props.onBriefChange(brief);
      await run({ brief, note: nudge.message, nudges: [nudge] });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  // Lightroom's culling keys, while the grid has focus.
  const onKey = (event: React.KeyboardEvent) => {
    if (current === undefined) return;
    const columns = Math.max(
      1,
      Math.round(
        (grid.current?.clientWidth ?? 800) / (grid.current?.firstElementChild?.clientWidth ?? 260),
      ),
    );
    const key = event.key.toLowerCase();
    const move = (by: number) =>
      setSelected((i) => Math.min(candidates.length - 1, Math.max(0, i + by)));
    if (event.key === 'ArrowRight') move(1);
    else if (event.key === 'ArrowLeft') move(-1);
    else if (event.key === 'ArrowDown') move(columns);
    else if (event.key === 'ArrowUp') move(-columns);
    else if (key === 'p') void setPick(current, { verdict: 'pick' });
    else if (key === 'x') void setPick(current, { verdict: 'reject' });
    else if (key === 'u') void setPick(current, { verdict: null });
    else if (key === '0') void setPick(current, { stars: null });
    else if (/^[1-5]$/.test(key)) void setPick(current, { stars: Number(key) });
    else if (key === ' ') toggleMark(current.id);
    else if (key === 'c' && marked.length >= 2) setComparing(true);
    else if (key === 'escape') setComparing(false);
    else return;
    event.preventDefault();
  };

  const toggleMark = (id: string) =>
    setMarked((list) =>
      list.includes(id) ? list.filter((m) => m !== id) : list.length >= 4 ? list : [...list, id],
    );

  const stalled = round !== undefined && interrupted === round.id;
  const running = round?.status === 'running' && !stalled;
  return (
    <div className="rounds" data-testid="rounds">
      <aside className="panel round-list">
        <h2 className="panel-title">Rounds</h2>
        <ul>
          {rounds.map((r) => (
            <li key={r.id}>
              <button
                type="button"
                className={`round-item${r.id === roundId ? ' round-on' : ''}`}
                data-testid="round-item"
                onClick={() => setRoundId(r.id)}
              >
                <span>Round {r.number}</span>
                <span
                  className={`round-status round-${r.id === interrupted ? 'failed' : r.status}`}
                >
                  {r.id === interrupted ? 'interrupted' : r.status}
                </span>
                <span className="dim">
                  brief v{r.briefVersion} · {r.engine} · {r.count}
                </span>
              </button>
            </li>
          ))}
        </ul>
        <div className="next-round">
          <label className="field-label">
            Candidates{' '}
            <input
              className="input count-input"
              type="number"
              min={1}
              max={8}
              value={count}
              onChange={(event) => setCount(Math.max(1, Math.min(8, Number(event.target.value))))}
            />
          </label>
          <button
            type="button"
            className="button"
            data-testid="next-round"
            disabled={running}
            onClick={() =>
              void run(props.briefEdited ? { brief: props.brief, note: 'edited brief' } : {})
            }
          >
            {rounds.length === 0 ? 'Run round' : 'Run next round'}
            {props.briefEdited ? ' (edited brief)' : ''}
          </button>
        </div>
        {error !== null && (
          <p className="issue-line" data-testid="round-error">
            {error}
          </p>
        )}
      </aside>
      <section className="round-main">
        {stalled && (
          <div className="progress resume" data-testid="interrupted">
            <div className="progress-text">
              <span>
                Round {round.number} was interrupted (the server stopped while it ran). Resume keeps
                the candidates it stored and makes the rest.
              </span>
              <button
                type="button"
                className="button"
                data-testid="resume-round"
                onClick={() => void resume(round.id)}
              >
                Resume
              </button>
            </div>
          </div>
        )}
        {running && (
          <div className="progress" data-testid="progress">
            <div className="progress-text">
              <span>
                {progress?.stage ?? 'starting'} · {progress?.done ?? 0}/
                {progress?.total ?? round.count}
                {progress?.step !== undefined && progress.steps !== undefined
                  ? ` · step ${progress.step}/${progress.steps}`
                  : ''}
              </span>
              <button
                type="button"
                className="button-ghost"
                data-testid="cancel-round"
                onClick={() => void api.cancelRound(round.id).then(() => refresh())}
              >
                Cancel
              </button>
            </div>
            <div className="progress-track">
              <div
                className="progress-fill"
                style={{
                  width: `${(((progress?.done ?? 0) + (progress?.step !== undefined && progress.steps ? progress.step / progress.steps : 0)) / Math.max(1, progress?.total ?? round.count)) * 100}%`,
                }}
              />
            </div>
            {progress?.preview !== undefined && (
              <img className="progress-preview" src={progress.preview} alt="preview" />
            )}
          </div>
        )}
        {comparing ? (
          <Compare
            candidates={candidates.filter((c) => marked.includes(c.id))}
            reference={props.reference}
            onClose={() => setComparing(false)}
          />
        ) : (
          <>
            <div className="grid-toolbar">
              <span className="dim">
                ←→ move · P pick · X reject · U unflag · 1–5 stars · Space mark · C compare marked
              </span>
              <div className="spacer" />
              <button
                type="button"
                className="button-ghost"
                data-testid="compare-button"
                disabled={marked.length < 2}
                onClick={() => setComparing(true)}
              >
                Compare {marked.length > 0 ? `(${marked.length})` : ''}
              </button>
            </div>
            <div className="grid" ref={grid} tabIndex={0} data-testid="grid" onKeyDown={onKey}>
              {candidates.map((c, i) => (
                <article
                  key={c.id}
                  className={`card${i === selected ? ' card-on' : ''}${marked.includes(c.id) ? ' card-marked' : ''}${c.pick?.verdict === 'reject' ? ' card-rejected' : ''}`}
                  data-testid="candidate"
                  onClick={(event) => {
                    setSelected(i);
                    if (event.shiftKey || event.metaKey || event.ctrlKey) toggleMark(c.id);
                    grid.current?.focus();
                  }}
                >
                  <div className="card-image">
                    <ApiImage
                      path={`/api/blobs/${c.image}`}
                      alt={`candidate ${c.index + 1}`}
                      className="card-img"
                    />
                    <Badges candidate={c} />
                    <button
                      type="button"
                      className={`mark${marked.includes(c.id) ? ' mark-on' : ''}`}
                      aria-label="mark for compare"
                      data-testid="mark"
                      onClick={(event) => {
                        event.stopPropagation();
                        toggleMark(c.id);
                      }}
                    >
                      {marked.includes(c.id) ? '✓' : '+'}
                    </button>
                  </div>
                  <div className="card-meta">
                    <span>
                      #{c.index + 1} · seed {c.seed}
                    </span>
                    <strong>{percent(c.scores.overall)}%</strong>
                  </div>
                  <PillarBars candidate={c} />
                </article>
              ))}
              {candidates.length === 0 && (
                <p className="dim empty">
                  {running
                    ? 'Candidates appear here as they are made and scored.'
                    : 'No candidates yet: run a round.'}
                </p>
              )}
            </div>
          </>
        )}
      </section>
      <aside className="panel round-side">
        <h2 className="panel-title">Steer</h2>
        {current === undefined ? (
          <p className="dim">Select a candidate to see what the critic would change.</p>
        ) : (
          <>
            <p className="dim">
              #{current.index + 1}:{' '}
              {current.pillars.map((p) => `${p.pillar} ${percent(p.score)}`).join(' · ')}
            </p>
            <ul className="reasons">
              {current.pillars.map((p) => (
                <li key={p.pillar}>
                  <strong>{p.pillar}</strong> <span className="dim">{p.reason}</span>
                </li>
              ))}
            </ul>
            <div data-testid="candidate-nudges">
              {current.nudges.slice(0, 4).map((n, i) => (
                <div key={i} className="nudge">
                  <span>{n.message}</span>
                  <button
                    type="button"
                    className="button-small"
                    disabled={running}
                    onClick={() => void applyAndRun(n)}
                  >
                    Apply &amp; run
                  </button>
                </div>
              ))}
            </div>
          </>
        )}
      </aside>
    </div>
  );
}
