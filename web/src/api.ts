// The studio talks to the server over HTTP only. These are the shapes of the answers it reads
// (the server's OpenAPI document, /api/openapi.json, is the full contract).

/** A brief being edited: plain JSON, validated by the server on every change. */
export type Json = { [key: string]: unknown };

export interface Issue {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export interface ApiError {
  code: string;
  message: string;
  issues: Issue[];
}

export interface Nudge {
  pillar: string;
  rule: string;
  severity: 'info' | 'warning';
  message: string;
  patch: Json[];
}

export interface PromptSection {
  id: string;
  pillar: string;
  text: string;
  essential: boolean;
  tokens: number;
  windows: [number, number];
}

export interface CompiledPrompt {
  target: string;
  positive: string;
  negative: string | null;
  sections: PromptSection[];
  tokens: { positive: number; negative: number; windows: number; essential: number };
  pushedOut: { section: string; text: string; reason: 'later-window' | 'dropped' }[];
  params: { width: number | null; height: number | null; aspectRatio: string; count: number };
  nudges: Nudge[];
  notes: string[];
}

export interface VocabEntry {
  id: string;
  name: string;
  effect: string;
}

export interface Vocabulary {
  fields: Record<string, VocabEntry[]>;
  targets: string[];
  schema: Json;
}

export interface Template {
  file: string;
  title: string;
  text: string;
  brief: Json;
}

export interface Reference {
  blob: string;
  name: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
}

export interface Face {
  box: { x: number; y: number; width: number; height: number };
  mesh: [number, number, number][];
  headPose: { yaw: number; pitch: number; roll: number };
}

export interface Blueprint {
  image: { width: number; height: number };
  faces: Face[];
  faceIndex: number | null;
  body: { keypoints: { part: string; x: number; y: number; score: number }[] } | null;
  light: {
    azimuth: number;
    elevation: number;
    fillRatio: number;
    softness: number;
    confidence: number;
    colorTemperature: number;
  } | null;
  palette: { frame: { hex: string; weight: number }[] };
  composition: { eyeCentre: { x: number; y: number }; shot: string } | null;
  warnings: { code: string; message: string }[];
}

export type Pillar = 'expression' | 'posture' | 'light' | 'aesthetic' | 'authenticity';
export const pillars: Pillar[] = ['expression', 'posture', 'light', 'aesthetic', 'authenticity'];

export interface Pick {
  verdict: 'pick' | 'reject' | null;
  stars: number | null;
  note: string | null;
  updatedAt: string;
}

export interface Candidate {
  id: string;
  roundId: string;
  sessionId: string;
  index: number;
  engine: string;
  seed: number;
  image: string;
  scores: Record<Pillar | 'overall', number | null>;
  pillars: { pillar: string; score: number; wanted: string; measured: string; reason: string }[];
  flags: string[];
  nudges: Nudge[];
  createdAt: string;
  pick: Pick | null;
}

export interface Round {
  id: string;
  sessionId: string;
  number: number;
  briefVersion: number;
  engine: string;
  count: number;
  seed: number;
  nudges: unknown[];
  status: 'running' | 'done' | 'failed' | 'cancelled';
  startedAt: string;
  finishedAt: string | null;
}

export interface Session {
  id: string;
  title: string;
  createdAt: string;
  updatedAt: string;
  latestBriefVersion: number;
}

export interface BriefChange {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

export interface SessionDetail extends Session {
  briefVersions: {
    version: number;
    brief: Json;
    note: string | null;
    createdAt: string;
    changes: BriefChange[];
  }[];
  rounds: Round[];
  candidates: Candidate[];
}

export type RoundEvent =
  | { type: 'started'; round: Round }
  | {
      type: 'progress';
      stage: string;
      done: number;
      total: number;
      detail?: string;
      step?: number;
      steps?: number;
      preview?: { format: string; base64: string };
    }
  | { type: 'candidate'; candidate: Candidate }
  | {
      type: 'finished';
      /** `interrupted`: an earlier server run left the round running; it can be resumed. */
      status: 'done' | 'failed' | 'cancelled' | 'interrupted';
      roundId: string;
      error?: { code: string; message: string };
    };

/** The darkroom's sliders as the preview and export routes take them; a stage left out is off. */
export interface DarkroomSettings {
  key?: {
    rig: string;
    side: 'left' | 'right';
    intensity: number;
    fill?: number;
    softness?: number;
    rim?: boolean;
    temperature?: number;
  };
  smile?: number;
  aperture?: number;
  grade?: {
    grade?: string;
    film?: string;
    temperature?: number;
    contrast?: number;
    saturation?: number;
  };
}

/** A failed call: the server's typed error, with issue paths. */
export class StudioError extends Error {
  constructor(
    readonly status: number,
    readonly error: ApiError,
  ) {
    super(error.message);
  }
}

// The token (when the server is bound beyond loopback) arrives in the address fragment, which
// browsers never send; it travels only in the Authorization header, never in a cookie.
const token = new URLSearchParams(window.location.hash.slice(1)).get('token');

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (token !== null) headers.set('authorization', `Bearer ${token}`);
  const response = await fetch(path, { ...init, headers, credentials: 'omit' });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (body as { error?: ApiError } | null)?.error ?? {
      code: 'INTERNAL',
      message: `${response.status} ${response.statusText}`,
      issues: [],
    };
    throw new StudioError(response.status, error);
  }
  return body as T;
}

const post = <T>(path: string, json: unknown) =>
  call<T>(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(json),
  });

/** The server's calls, one function each. */
export const api = {
  templates: () => call<{ templates: Template[] }>('/api/templates'),
  vocabulary: () => call<Vocabulary>('/api/vocabulary'),
  compile: (brief: Json, target: string) =>
    post<{ brief: Json; prompt: CompiledPrompt }>('/api/briefs/compile', { brief, target }),
  patch: (brief: Json, patch: Json[]) =>
    post<{ brief: Json }>('/api/briefs/patch', { brief, patch }),
  validateText: (text: string) =>
    post<{ valid: boolean; brief: Json | null; issues: Issue[] }>('/api/briefs/validate', { text }),
  briefText: (brief: Json) => post<{ text: string }>('/api/briefs/text', { brief, format: 'yaml' }),
  upload: (file: Blob, name: string) =>
    call<Reference>(`/api/references?name=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { 'content-type': file.type || 'application/octet-stream' },
      body: file,
    }),
  blueprint: (blob: string) =>
    call<{ blob: string; blueprint: Blueprint; brief: Json }>(`/api/references/${blob}/blueprint`),
  sessions: () => call<{ sessions: Session[] }>('/api/sessions?limit=100'),
  createSession: (brief: Json) => post<Session>('/api/sessions', { brief }),
  session: (id: string) => call<SessionDetail>(`/api/sessions/${id}`),
  startRound: (
    sessionId: string,
    body: { brief?: Json; note?: string; count?: number; nudges?: Nudge[] },
  ) => post<{ round: Round }>(`/api/sessions/${sessionId}/rounds`, body),
  cancelRound: (id: string) => post<{ round: Round }>(`/api/rounds/${id}/cancel`, {}),
  resumeRound: (id: string) => post<{ round: Round }>(`/api/rounds/${id}/resume`, {}),
  /** The darkroom's sliders rendered at screen size: a JPEG; a newer request aborts this one. */
  async darkroomPreview(
    body: { blob: string; settings: DarkroomSettings; maxSize: number },
    signal: AbortSignal,
  ): Promise<Blob> {
    const headers = new Headers({ 'content-type': 'application/json' });
    if (token !== null) headers.set('authorization', `Bearer ${token}`);
    const response = await fetch('/api/darkroom/preview', {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      credentials: 'omit',
      signal,
    });
    if (!response.ok) {
      const answer = (await response.json().catch(() => null)) as { error?: ApiError } | null;
      throw new StudioError(
        response.status,
        answer?.error ?? { code: 'INTERNAL', message: String(response.status), issues: [] },
      );
    }
    return response.blob();
  },
  darkroomExport: (blob: string, settings: DarkroomSettings) =>
    post<{ blob: string; width: number; height: number }>('/api/darkroom/export', {
      blob,
      settings,
    }),
  candidates: (roundId: string) =>
    call<{ candidates: Candidate[] }>(`/api/rounds/${roundId}/candidates`),
  pick: (
    id: string,
    pick: { verdict?: Pick['verdict']; stars?: number | null; note?: string | null },
  ) => post<{ candidateId: string; pick: Pick }>(`/api/candidates/${id}/pick`, pick),
  search: (conditions: string[]) =>
    call<{ candidates: Candidate[] }>(
      `/api/library/search?${conditions.map((c) => `pillar=${encodeURIComponent(c)}`).join('&')}&limit=60`,
    ),
  /** Reads a round's Server-Sent Events (over fetch, so the token can ride in a header). */
  async roundEvents(
    roundId: string,
    onEvent: (event: RoundEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const headers = new Headers({ accept: 'text/event-stream' });
    if (token !== null) headers.set('authorization', `Bearer ${token}`);
    const response = await fetch(`/api/rounds/${roundId}/events`, {
      headers,
      credentials: 'omit',
      signal,
    });
    if (!response.ok || response.body === null)
      throw new StudioError(response.status, {
        code: 'INTERNAL',
        message: `events: ${response.status}`,
        issues: [],
      });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').find((line) => line.startsWith('data: '));
        if (data !== undefined) onEvent(JSON.parse(data.slice(6)) as RoundEvent);
        end = buffer.indexOf('\n\n');
      }
    }
  },
  /** An image URL; with a token (or `asObject`) the bytes are fetched into an object URL. */
  async imageUrl(path: string, asObject = false): Promise<string> {
    if (token === null && !asObject) return path;
    const headers = new Headers();
    if (token !== null) headers.set('authorization', `Bearer ${token}`);
    const response = await fetch(path, { headers, credentials: 'omit' });
    if (!response.ok) {
      const body = (await response.json().catch(() => null)) as { error?: ApiError } | null;
      throw new StudioError(
        response.status,
        body?.error ?? { code: 'INTERNAL', message: String(response.status), issues: [] },
      );
    }
    return URL.createObjectURL(await response.blob());
  },
};

/** The value at a dotted path of a brief. */
export function getAt(brief: Json, path: string): unknown {
  let node: unknown = brief;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Json)[part];
  }
  return node;
}

/** A copy of the brief with `path` set (or removed when `value` is undefined or ''). */
export function setAt(brief: Json, path: string, value: unknown): Json {
  const [head, ...rest] = path.split('.');
  if (head === undefined) return brief;
  const copy: Json = { ...brief };
  if (rest.length === 0) {
    if (value === undefined || value === '') delete copy[head];
    else copy[head] = value;
    return copy;
  }
  const child = copy[head];
  const next = setAt(
    child !== null && typeof child === 'object' && !Array.isArray(child) ? (child as Json) : {},
    rest.join('.'),
    value,
  );
  if (Object.keys(next).length === 0) delete copy[head];
  else copy[head] = next;
  return copy;
}

/** The enum values the brief's JSON Schema allows at a dotted path (for plain pickers). */
export function enumAt(schema: Json, path: string): string[] {
  let node: Json | undefined = schema;
  for (const part of path.split('.')) {
    node = unwrap(node);
    const properties = node?.['properties'] as Record<string, Json> | undefined;
    node = properties?.[part];
  }
  node = unwrap(node);
  const values = node?.['enum'];
  return Array.isArray(values) ? values.map(String) : [];
}

function unwrap(node: Json | undefined): Json | undefined {
  let current = node;
  for (let i = 0; i < 4 && current !== undefined; i += 1) {
    const anyOf = current['anyOf'] as Json[] | undefined;
    if (anyOf !== undefined) {
      current = anyOf.find((option) => option['type'] !== 'null');
    } else return current;
  }
  return current;
}
