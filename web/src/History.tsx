// History: the library's sessions, each session's brief versions with what changed between them,
// and a search of every candidate by pillar score.
import { useEffect, useState } from 'react';
import {
  api,
  pillars,
  StudioError,
  type Candidate,
  type Session,
  type SessionDetail,
} from './api.js';
import { ApiImage } from './Rounds.js';

const show = (value: unknown) => (value === undefined ? '' : JSON.stringify(value));

export function History(props: { onOpen: (session: SessionDetail) => void }) {
  const [sessions, setSessions] = useState<Session[]>([]);
  const [detail, setDetail] = useState<SessionDetail | null>(null);
  const [pillar, setPillar] = useState('overall');
  const [minimum, setMinimum] = useState(0.5);
  const [found, setFound] = useState<Candidate[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    void api.sessions().then((answer) => setSessions(answer.sessions));
  }, []);

  const search = async () => {
    try {
      setError(null);
      setFound((await api.search([`${pillar}>=${minimum}`])).candidates);
    } catch (e) {
      setError(
        e instanceof StudioError
          ? e.error.issues.map((i) => `${i.path}: ${i.message}`).join('; ')
          : String(e),
      );
    }
  };

  return (
    <div className="history" data-testid="history">
      <aside className="panel">
        <h2 className="panel-title">Sessions</h2>
        <ul className="session-list">
          {sessions.map((s) => (
            <li key={s.id}>
              <button
                type="button"
                className={`round-item${detail?.id === s.id ? ' round-on' : ''}`}
                data-testid="session-item"
                onClick={() => void api.session(s.id).then(setDetail)}
              >
                <span>{s.title}</span>
                <span className="dim">
                  v{s.latestBriefVersion} · {new Date(s.updatedAt).toLocaleString()}
                </span>
              </button>
            </li>
          ))}
          {sessions.length === 0 && <li className="dim">No sessions yet.</li>}
        </ul>
      </aside>
      <section className="history-main">
        {detail === null ? (
          <p className="dim">Choose a session to see its brief versions and rounds.</p>
        ) : (
          <>
            <div className="grid-toolbar">
              <strong>{detail.title}</strong>
              <span className="dim">
                {detail.rounds.length} rounds · {detail.candidates.length} candidates
              </span>
              <div className="spacer" />
              <button type="button" className="button" onClick={() => props.onOpen(detail)}>
                Open session
              </button>
            </div>
            <div className="versions" data-testid="versions">
              {detail.briefVersions.map((v) => (
                <div key={v.version} className="version">
                  <div>
                    <strong>Brief v{v.version}</strong> <span className="dim">{v.note ?? ''}</span>
                  </div>
                  {v.changes.length === 0 ? (
                    <span className="dim">{v.version === 1 ? 'first version' : 'no change'}</span>
                  ) : (
                    <ul className="diff" data-testid="diff">
                      {v.changes.map((c) => (
                        <li key={c.path} className={`diff-${c.kind}`}>
                          <code>{c.path}</code> {show(c.before)} → {show(c.after)}
                        </li>
                      ))}
                    </ul>
                  )}
                </div>
              ))}
            </div>
            <div className="strip">
              {detail.candidates.map((c) => (
                <ApiImage key={c.id} path={`/api/blobs/${c.image}`} alt="" className="strip-img" />
              ))}
            </div>
          </>
        )}
        <div className="search" data-testid="search">
          <h2 className="panel-title">Search the library by score</h2>
          <div className="search-row">
            <select
              className="select"
              value={pillar}
              onChange={(e) => setPillar(e.target.value)}
              data-testid="search-pillar"
            >
              {[...pillars, 'overall'].map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
            <span>≥</span>
            <input
              className="input count-input"
              type="number"
              step={0.05}
              min={0}
              max={1}
              value={minimum}
              data-testid="search-min"
              onChange={(e) => setMinimum(Number(e.target.value))}
            />
            <button
              type="button"
              className="button"
              data-testid="search-go"
              onClick={() => void search()}
            >
              Search
            </button>
          </div>
          {error !== null && <p className="issue-line">{error}</p>}
          {found !== null && (
            <div className="strip" data-testid="search-results">
              {found.map((c) => (
                <figure key={c.id} className="found">
                  <ApiImage path={`/api/blobs/${c.image}`} alt="" className="strip-img" />
                  <figcaption className="dim">
                    {pillar} {Math.round((c.scores[pillar as 'overall'] ?? 0) * 100)}%
                  </figcaption>
                </figure>
              ))}
              {found.length === 0 && <span className="dim">Nothing at that score yet.</span>}
            </div>
          )}
        </div>
      </section>
    </div>
  );
}
