// The studio page: brief editor (left), the reference photo with its blueprint (centre), the
// live compiled prompt with its nudges (right).
import { useCallback, useEffect, useRef, useState } from 'react';
import {
  api,
  StudioError,
  type CompiledPrompt,
  type Issue,
  type Json,
  type Nudge,
  type Template,
  type Vocabulary,
} from './api.js';
import { BriefEditor } from './BriefEditor.js';
import { PromptPanel } from './PromptPanel.js';
import { History } from './History.js';
import { ReferenceStage } from './ReferenceStage.js';
import { Rounds } from './Rounds.js';
import { Darkroom } from './Darkroom.js';

type View = 'brief' | 'rounds' | 'darkroom' | 'history';
const isBlob = (value: unknown): value is string =>
  typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);

const blank: Json = { version: 1, subject: { description: '' } };

export function App() {
  const [vocabulary, setVocabulary] = useState<Vocabulary | null>(null);
  const [templates, setTemplates] = useState<Template[]>([]);
  const [brief, setBrief] = useState<Json>(blank);
  const [target, setTarget] = useState('sdxl');
  const [prompt, setPrompt] = useState<CompiledPrompt | null>(null);
  const [issues, setIssues] = useState<Issue[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [editorKey, setEditorKey] = useState(0);
  const [fileIssues, setFileIssues] = useState<{ file: string; issues: Issue[] } | null>(null);
  const [view, setView] = useState<View>('brief');
  const [session, setSession] = useState<{ id: string; brief: string } | null>(null);
  const [roundsKey, setRoundsKey] = useState(0);
  const opener = useRef<HTMLInputElement>(null);
  const sequence = useRef(0);

  useEffect(() => {
    Promise.all([api.vocabulary(), api.templates()])
      .then(([v, t]) => {
        setVocabulary(v);
        setTemplates(t.templates);
      })
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);

  // Compile on every change, a moment after the last keystroke; late answers never win.
  useEffect(() => {
    const id = (sequence.current += 1);
    setBusy(true);
    const timer = window.setTimeout(() => {
      api
        .compile(brief, target)
        .then((answer) => {
          if (id !== sequence.current) return;
          setPrompt(answer.prompt);
          setIssues([]);
          setError(null);
        })
        .catch((e: unknown) => {
          if (id !== sequence.current) return;
          if (e instanceof StudioError && e.error.issues.length > 0) {
            setIssues(e.error.issues);
            setError(null);
          } else setError(e instanceof Error ? e.message : String(e));
        })
        .finally(() => id === sequence.current && setBusy(false));
    }, 180);
    return () => window.clearTimeout(timer);
  }, [brief, target]);

  const load = useCallback((next: Json) => {
    setFileIssues(null);
    setBrief(next);
    const wanted = (next['output'] as Json | undefined)?.['target'];
    if (typeof wanted === 'string') setTarget(wanted);
    setEditorKey((k) => k + 1);
  }, []);

  const open = async (file: File) => {
    try {
      const answer = await api.validateText(await file.text());
      if (answer.valid && answer.brief !== null) load(answer.brief);
      else setFileIssues({ file: file.name, issues: answer.issues });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  const save = async () => {
    try {
      const { text } = await api.briefText(brief);
      const link = document.createElement('a');
      link.href = URL.createObjectURL(new Blob([text], { type: 'application/yaml' }));
      const title = typeof brief['title'] === 'string' ? brief['title'] : 'brief';
      link.download = `${
        title
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-|-$/g, '') || 'brief'
      }.yaml`;
      link.click();
      URL.revokeObjectURL(link.href);
    } catch (e) {
      setError(
        e instanceof StudioError ? `Fix the brief before saving: ${e.error.message}` : String(e),
      );
    }
  };

  const apply = useCallback(
    (nudge: Nudge) => {
      api
        .patch(brief, nudge.patch)
        .then((answer) => setBrief(answer.brief))
        .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
    },
    [brief],
  );

  const references = Array.isArray(brief['references']) ? (brief['references'] as Json[]) : [];
  const reference = references.map((r) => r['image']).find(isBlob) ?? null;
  const briefEdited = session !== null && JSON.stringify(brief) !== session.brief;

  // The first round makes the session (brief v1); later ones store an edited brief as a new version.
  const runRound = async () => {
    try {
      setError(null);
      let current = session;
      if (current === null) {
        const created = await api.createSession(brief);
        current = { id: created.id, brief: JSON.stringify(brief) };
        await api.startRound(current.id, { count: 2 });
      } else {
        await api.startRound(current.id, {
          count: 2,
          ...(briefEdited ? { brief, note: 'edited brief' } : {}),
        });
        current = { ...current, brief: JSON.stringify(brief) };
      }
      setSession(current);
      setRoundsKey((k) => k + 1);
      setView('rounds');
    } catch (e) {
      if (e instanceof StudioError && e.error.issues.length > 0) setIssues(e.error.issues);
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          Portraitist <span className="dim">Studio</span>
        </div>
        <select
          className="select template-select"
          data-testid="template"
          value=""
          onChange={(event) => {
            const chosen = templates.find((t) => t.file === event.target.value);
            if (chosen !== undefined) load(chosen.brief);
          }}
        >
          <option value="">Start from a template…</option>
          {templates.map((t) => (
            <option key={t.file} value={t.file}>
              {t.title}
            </option>
          ))}
        </select>
        <button type="button" className="button-ghost" onClick={() => load(blank)}>
          New brief
        </button>
        <button type="button" className="button-ghost" onClick={() => opener.current?.click()}>
          Open…
        </button>
        <input
          ref={opener}
          type="file"
          hidden
          accept=".yaml,.yml,.json"
          data-testid="open-brief"
          onChange={(event) => {
            const file = event.target.files?.[0];
            if (file !== undefined) void open(file);
            event.target.value = '';
          }}
        />
        <button
          type="button"
          className="button-ghost"
          data-testid="save-brief"
          disabled={issues.length > 0}
          onClick={() => void save()}
        >
          Save YAML
        </button>
        <nav className="views" role="tablist" aria-label="view">
          {(['brief', 'rounds', 'darkroom', 'history'] as const).map((v) => (
            <button
              key={v}
              type="button"
              role="tab"
              aria-selected={view === v}
              data-testid={`view-${v}`}
              className={`view-tab${view === v ? ' view-on' : ''}`}
              disabled={v === 'rounds' && session === null}
              onClick={() => setView(v)}
            >
              {v === 'brief'
                ? 'Brief'
                : v === 'rounds'
                  ? 'Rounds'
                  : v === 'darkroom'
                    ? 'Darkroom'
                    : 'History'}
            </button>
          ))}
        </nav>
        <button
          type="button"
          className="button"
          data-testid="run-round"
          disabled={issues.length > 0 || busy}
          onClick={() => void runRound()}
        >
          {session === null
            ? 'Run round'
            : briefEdited
              ? 'Run next round (edited)'
              : 'Run next round'}
        </button>
        <div className="spacer" />
        <div className="targets" role="radiogroup" aria-label="target">
          {(vocabulary?.targets ?? ['sdxl']).map((t) => (
            <button
              key={t}
              type="button"
              role="radio"
              aria-checked={t === target}
              className={`target${t === target ? ' target-on' : ''}`}
              onClick={() => setTarget(t)}
            >
              {t}
            </button>
          ))}
        </div>
        <span className={`status${busy ? ' status-busy' : issues.length > 0 ? ' status-bad' : ''}`}>
          {busy ? 'compiling' : issues.length > 0 ? `${issues.length} to fix` : 'compiled'}
        </span>
      </header>
      {view === 'rounds' && session !== null && (
        <Rounds
          key={`${session.id}-${roundsKey}`}
          sessionId={session.id}
          brief={brief}
          briefEdited={briefEdited}
          reference={reference}
          onBriefChange={(next) => {
            setBrief(next);
            setEditorKey((k) => k + 1);
          }}
          onRoundStarted={() =>
            setSession((s) => (s === null ? s : { ...s, brief: JSON.stringify(brief) }))
          }
        />
      )}
      {view === 'darkroom' && (
        <Darkroom
          references={references.flatMap((r) =>
            isBlob(r['image'])
              ? [
                  {
                    blob: r['image'],
                    label: `Reference · ${typeof r['role'] === 'string' ? r['role'] : 'photo'}`,
                  },
                ]
              : [],
          )}
          sessionId={session?.id ?? null}
          vocabulary={vocabulary}
        />
      )}
      {view === 'history' && (
        <History
          onOpen={(detail) => {
            const latest = detail.briefVersions.at(-1)?.brief ?? brief;
            setSession({ id: detail.id, brief: JSON.stringify(latest) });
            load(latest);
            setRoundsKey((k) => k + 1);
            setView('rounds');
          }}
        />
      )}
      <main className="workspace" hidden={view !== 'brief'}>
        <aside className="panel panel-left">
          <h2 className="panel-title">Brief</h2>
          {vocabulary === null ? (
            <p className="dim">Loading vocabularies…</p>
          ) : (
            <BriefEditor
              key={editorKey}
              brief={brief}
              vocabulary={vocabulary}
              issues={issues}
              onChange={setBrief}
            />
          )}
        </aside>
        <section className="centre">
          <ReferenceStage
            onBriefFromPhoto={load}
            onAddReference={(blob, role) => {
              const references = Array.isArray(brief['references'])
                ? (brief['references'] as Json[])
                : [];
              setBrief({ ...brief, references: [...references, { image: blob, role }] });
            }}
          />
        </section>
        <aside className="panel panel-right">
          {fileIssues !== null && (
            <section className="issues" data-testid="file-issues">
              <h2 className="panel-title">
                {fileIssues.file} was not opened
                <button type="button" className="link count" onClick={() => setFileIssues(null)}>
                  dismiss
                </button>
              </h2>
              <ul>
                {fileIssues.issues.map((issue, i) => (
                  <li key={i}>
                    {issue.line !== undefined && <span className="dim">line {issue.line} </span>}
                    <code>{issue.path || 'brief'}</code> {issue.message}
                  </li>
                ))}
              </ul>
            </section>
          )}
          <PromptPanel prompt={prompt} issues={issues} error={error} busy={busy} onApply={apply} />
        </aside>
      </main>
    </div>
  );
}
