// The live compiled prompt: sections coloured by pillar, the 75-token CLIP windows they fall in,
// what the compiler pushed out, and the lint nudges with an "apply" button each.
import type { CompiledPrompt, Issue, Nudge } from './api.js';

const CLIP_WINDOW = 75;
const clipTargets = new Set(['sd15', 'sdxl']);

export function PromptPanel(props: {
  prompt: CompiledPrompt | null;
  issues: Issue[];
  error: string | null;
  busy: boolean;
  onApply: (nudge: Nudge) => void;
}) {
  const { prompt } = props;
  return (
    <div className="prompt-panel">
      {props.issues.length > 0 && (
        <section className="issues" data-testid="issues">
          <h2 className="panel-title">Fix the brief</h2>
          <ul>
            {props.issues.map((issue, i) => (
              <li key={i}>
                <code>{issue.path || 'brief'}</code> {issue.message}
              </li>
            ))}
          </ul>
        </section>
      )}
      {props.error !== null && <div className="banner-error">{props.error}</div>}
      {prompt !== null && (
        <>
          <section data-testid="nudges">
            <h2 className="panel-title">
              Nudges <span className="count">{prompt.nudges.length}</span>
            </h2>
            {prompt.nudges.length === 0 && <p className="hint">Nothing contradicts itself.</p>}
            {prompt.nudges.map((nudge) => (
              <div key={nudge.rule} className={`nudge nudge-${nudge.severity}`}>
                <div className="nudge-head">
                  <span className={`pill pill-${nudge.pillar}`}>{nudge.pillar}</span>
                  {nudge.patch.length > 0 && (
                    <button
                      type="button"
                      className="button-small"
                      onClick={() => props.onApply(nudge)}
                    >
                      Apply
                    </button>
                  )}
                </div>
                <p>{nudge.message}</p>
              </div>
            ))}
          </section>
          <section className={props.busy || props.issues.length > 0 ? 'stale' : ''}>
            <h2 className="panel-title">
              Prompt <span className="dim">· {prompt.target}</span>
              <span className="count">{prompt.tokens.positive} tokens</span>
            </h2>
            {clipTargets.has(prompt.target) && <WindowRuler prompt={prompt} />}
            <div className="sections" data-testid="prompt">
              {prompt.sections.map((section, i) => (
                <span
                  key={`${section.id}-${i}`}
                  className={`section section-${section.pillar}${section.windows[0] > 0 ? ' section-late' : ''}`}
                  title={`${section.id} · ${section.tokens} tokens · window ${section.windows[0] + 1}${section.windows[1] !== section.windows[0] ? `–${section.windows[1] + 1}` : ''}`}
                >
                  {section.text}
                </span>
              ))}
            </div>
            {prompt.pushedOut.length > 0 && (
              <details
                className="pushed"
                data-testid="pushed-out"
                open={prompt.pushedOut.length <= 4}
              >
                <summary className="group">
                  Pushed out <span className="dim">({prompt.pushedOut.length})</span>
                </summary>
                <ul>
                  {prompt.pushedOut.map((item, i) => (
                    <li key={i}>
                      <span className={`tag tag-${item.reason}`}>
                        {item.reason === 'dropped' ? 'dropped' : 'past window 1'}
                      </span>
                      <span className="dim">{item.section}:</span> {item.text}
                    </li>
                  ))}
                </ul>
              </details>
            )}
            {prompt.negative !== null && (
              <details className="negative">
                <summary>
                  Negative <span className="count">{prompt.tokens.negative} tokens</span>
                </summary>
                <p>{prompt.negative}</p>
              </details>
            )}
            {prompt.notes.length > 0 && (
              <details className="notes">
                <summary>Compiler notes ({prompt.notes.length})</summary>
                <ul>
                  {prompt.notes.map((note, i) => (
                    <li key={i}>{note}</li>
                  ))}
                </ul>
              </details>
            )}
          </section>
        </>
      )}
    </div>
  );
}

/** A bar of the positive prompt's tokens, split into 75-token windows, sections by pillar. */
function WindowRuler({ prompt }: { prompt: CompiledPrompt }) {
  const windows = Math.max(1, prompt.tokens.windows);
  const total = windows * CLIP_WINDOW;
  let offset = 0;
  return (
    <div className="ruler" data-testid="windows" aria-label={`${windows} CLIP windows`}>
      <div className="ruler-bar">
        {prompt.sections.map((section, i) => {
          const left = (offset / total) * 100;
          offset += section.tokens;
          return (
            <span
              key={i}
              className={`ruler-seg section-${section.pillar}`}
              style={{ left: `${left}%`, width: `${(section.tokens / total) * 100}%` }}
              title={`${section.id}: ${section.tokens} tokens`}
            />
          );
        })}
        {Array.from({ length: windows - 1 }, (_, i) => (
          <span key={i} className="ruler-cut" style={{ left: `${((i + 1) / windows) * 100}%` }} />
        ))}
      </div>
      <div className="ruler-legend">
        {Array.from({ length: windows }, (_, i) => (
          <span key={i}>window {i + 1}</span>
        ))}
      </div>
    </div>
  );
}
