// The ComfyUI HTTP and WebSocket API (backends.md §1): discovery, upload, queue, history, view,
// interrupt, and the event stream. Every answer is checked with zod; WebSocket events are untrusted
// hints (§1.11: anyone who knows the client id can take them over), so results come from /history.
import type WebSocket from 'ws';
import { z } from 'zod';
import { PortraitistError, type Issue } from '../../errors/index.js';
import {
  createRemoteClient,
  parseEngineUrl,
  type RemoteClientOptions,
  type RemoteErrorDetail,
} from '../remote/http.js';
import type { ComfyGraph } from './graph.js';

/** Options of {@link createComfyClient}. */
export type ComfyClientOptions = Omit<RemoteClientOptions, 'service' | 'describeError'>;

/** A file on the server, as /upload/image and /history name it. */
export interface ComfyFile {
  readonly filename: string;
  readonly subfolder: string;
  readonly type: string;
}

/** One finished prompt from GET /history/{id}. */
export interface ComfyHistoryEntry {
  readonly status: { readonly statusStr: string; readonly completed: boolean };
  /** Images per output node id. */
  readonly outputs: Readonly<Record<string, readonly ComfyFile[]>>;
  /** The error of a failed run, from its `execution_error` message. */
  readonly error?: { readonly nodeId: string; readonly nodeType: string; readonly message: string };
  readonly interrupted: boolean;
}

/** Events of the WebSocket stream that Portraitist acts on; others are ignored. */
export type ComfyEvent =
  | { readonly type: 'status'; readonly queueRemaining: number }
  | { readonly type: 'execution_start'; readonly promptId: string }
  | { readonly type: 'executing'; readonly promptId: string; readonly node: string | null }
  | {
      readonly type: 'progress';
      readonly promptId: string;
      readonly node: string | null;
      readonly value: number;
      readonly max: number;
    }
  | { readonly type: 'executed'; readonly promptId: string; readonly node: string }
  | { readonly type: 'execution_success'; readonly promptId: string }
  | {
      readonly type: 'execution_error';
      readonly promptId: string;
      readonly nodeId: string;
      readonly nodeType: string;
      readonly message: string;
    }
  | { readonly type: 'execution_interrupted'; readonly promptId: string }
  | {
      readonly type: 'preview';
      readonly promptId: string | null;
      readonly image: Uint8Array;
      readonly format: 'jpeg' | 'png';
    };

/** An open event stream. */
export interface ComfySocket {
  /** Adds a listener; returns its removal. */
  listen(listener: (event: ComfyEvent) => void): () => void;
  /** Adds a listener for the socket closing (not called after `close()`). */
  onClose(listener: (reason: string) => void): () => void;
  close(): void;
}

/** The ComfyUI API, one method per route used. */
export interface ComfyClient {
  readonly origin: string;
  /** GET /object_info/{class} for each class, merged; unknown classes are left out. */
  objectInfo(classes: readonly string[], signal?: AbortSignal): Promise<Record<string, unknown>>;
  /** POST /upload/image; always use the returned name (§1.4). */
  upload(
    image: Uint8Array,
    target: { readonly name: string; readonly subfolder: string },
    signal?: AbortSignal,
  ): Promise<ComfyFile>;
  /** POST /prompt with our own prompt id, so a repeated post can be recognised. */
  queue(
    graph: ComfyGraph,
    ids: { readonly clientId: string; readonly promptId: string },
    signal?: AbortSignal,
  ): Promise<{ readonly promptId: string; readonly number: number }>;
  /** GET /history/{id}: undefined until the prompt has finished. */
  history(promptId: string, signal?: AbortSignal): Promise<ComfyHistoryEntry | undefined>;
  /** GET /queue: prompt ids running and pending (all clients). */
  queued(signal?: AbortSignal): Promise<{ running: string[]; pending: string[] }>;
  /** GET /view. */
  view(file: ComfyFile, signal?: AbortSignal): Promise<Uint8Array>;
  /** POST /interrupt for one prompt (a no-op on the server unless it is the one running). */
  interrupt(promptId: string): Promise<void>;
  /** POST /queue {delete}: removes pending prompts. */
  deleteQueued(promptIds: readonly string[]): Promise<void>;
  /** POST /history {delete}: leaves no prompts of ours readable by other clients (§1.11). */
  deleteHistory(promptIds: readonly string[]): Promise<void>;
  /** Opens /ws?clientId= and resolves once the server has registered it (its first status message). */
  connect(clientId: string, signal?: AbortSignal): Promise<ComfySocket>;
}

// --- error bodies (§1.1): the current `{error: {type, message, details}, node_errors: {...}}` and
// the older `{error: "no prompt", node_errors: []}` -------------------------------------------------

const errorObject = z.object({
  type: z.string().optional(),
  message: z.string(),
  details: z.string().optional(),
  extra_info: z.record(z.string(), z.unknown()).optional(),
});
const nodeErrorSchema = z.object({
  class_type: z.string().optional(),
  errors: z.array(errorObject).default([]),
  dependent_outputs: z.array(z.unknown()).optional(),
});
const errorBodySchema = z.object({
  error: z.union([z.string(), errorObject]),
  node_errors: z
    .union([z.record(z.string(), nodeErrorSchema), z.array(z.unknown())])
    .optional()
    .default({}),
});

function nodeErrorIssues(nodeErrors: unknown): Issue[] {
  if (Array.isArray(nodeErrors) || typeof nodeErrors !== 'object' || nodeErrors === null) return [];
  const issues: Issue[] = [];
  for (const [id, raw] of Object.entries(nodeErrors)) {
    const parsed = nodeErrorSchema.safeParse(raw);
    if (!parsed.success) continue;
    for (const error of parsed.data.errors) {
      const input = error.extra_info?.['input_name'];
      issues.push({
        path: typeof input === 'string' ? `${id}.inputs.${input}` : id,
        message: `${parsed.data.class_type ?? 'node'} ${id}: ${error.message}${error.details ? `: ${error.details}` : ''}`,
      });
    }
  }
  return issues;
}

/** Reads a ComfyUI error body (either shape) into a message and per-input issues. */
export function describeComfyError(status: number, body: string): RemoteErrorDetail {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    // Invalid JSON in our request makes ComfyUI answer a plain-text 500 (§1.1).
    const line = body.trim().split('\n')[0] ?? '';
    return { message: line === '' ? `HTTP ${status} with an empty body` : line.slice(0, 200) };
  }
  const parsed = errorBodySchema.safeParse(json);
  if (!parsed.success) return { message: body.trim().slice(0, 200) };
  const { error, node_errors: nodeErrors } = parsed.data;
  const issues = nodeErrorIssues(nodeErrors);
  const message =
    typeof error === 'string'
      ? error
      : `${error.message}${error.type ? ` (${error.type})` : ''}${error.details ? `: ${error.details.split('\n')[0]}` : ''}`;
  return { message, issues };
}

// --- answers ---------------------------------------------------------------------------------------

const fileSchema = z.object({
  filename: z.string(),
  subfolder: z.string().default(''),
  type: z.string().default('output'),
});
const uploadSchema = z.object({
  name: z.string().min(1),
  subfolder: z.string().default(''),
  type: z.string(),
});
const queueAnswerSchema = z.object({
  prompt_id: z.string(),
  number: z.number(),
  node_errors: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]).default({}),
});
const historyEntrySchema = z.object({
  outputs: z
    .record(z.string(), z.object({ images: z.array(fileSchema).optional() }).loose())
    .default({}),
  status: z
    .object({
      status_str: z.string(),
      completed: z.boolean(),
      messages: z.array(z.tuple([z.string(), z.unknown()])).default([]),
    })
    .optional(),
});
const queueSchema = z.object({
  queue_running: z.array(z.array(z.unknown())),
  queue_pending: z.array(z.array(z.unknown())),
});
const executionErrorSchema = z
  .object({
    node_id: z.union([z.string(), z.number()]).transform(String).default(''),
    node_type: z.string().default('?'),
    exception_message: z.string().default(''),
    exception_type: z.string().default(''),
  })
  .loose();

function historyEntry(raw: z.infer<typeof historyEntrySchema>): ComfyHistoryEntry {
  const outputs: Record<string, ComfyFile[]> = {};
  for (const [id, output] of Object.entries(raw.outputs))
    if (output.images !== undefined) outputs[id] = output.images;
  const messages = raw.status?.messages ?? [];
  const errorMessage = messages.find(([event]) => event === 'execution_error')?.[1];
  const parsedError =
    errorMessage === undefined ? undefined : executionErrorSchema.safeParse(errorMessage);
  return {
    status: {
      statusStr: raw.status?.status_str ?? 'success',
      completed: raw.status?.completed ?? true,
    },
    outputs,
    interrupted: messages.some(([event]) => event === 'execution_interrupted'),
    ...(parsedError?.success === true
      ? {
          error: {
            nodeId: parsedError.data.node_id,
            nodeType: parsedError.data.node_type,
            message:
              `${parsedError.data.exception_type} ${parsedError.data.exception_message}`.trim(),
          },
        }
      : {}),
  };
}

// --- WebSocket events (§1.8) -----------------------------------------------------------------------

const textEventSchema = z.object({ type: z.string(), data: z.record(z.string(), z.unknown()) });
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/** Parses one text frame; undefined for frames Portraitist does not act on or cannot read. */
export function parseTextEvent(text: string): ComfyEvent | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = textEventSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const { type, data } = parsed.data;
  const promptId = str(data['prompt_id']);
  switch (type) {
    case 'status': {
      const status = data['status'] as { exec_info?: { queue_remaining?: unknown } } | undefined;
      const remaining = num(status?.exec_info?.queue_remaining);
      return remaining === undefined ? undefined : { type, queueRemaining: remaining };
    }
    case 'execution_start':
    case 'execution_success':
    case 'execution_interrupted':
      return promptId === undefined ? undefined : { type, promptId };
    case 'executing': {
      const node = data['node'];
      if (promptId === undefined || (node !== null && typeof node !== 'string')) return undefined;
      return { type, promptId, node };
    }
    case 'progress': {
      const value = num(data['value']);
      const max = num(data['max']);
      if (promptId === undefined || value === undefined || max === undefined || max <= 0)
        return undefined;
      return { type, promptId, node: str(data['node']) ?? null, value, max };
    }
    case 'executed': {
      const node = str(data['node']);
      return promptId === undefined || node === undefined ? undefined : { type, promptId, node };
    }
    case 'execution_error': {
      if (promptId === undefined) return undefined;
      const nodeId = data['node_id'];
      return {
        type,
        promptId,
        nodeId: typeof nodeId === 'number' ? String(nodeId) : (str(nodeId) ?? '?'),
        nodeType: str(data['node_type']) ?? '?',
        message:
          `${str(data['exception_type']) ?? ''} ${str(data['exception_message']) ?? ''}`.trim(),
      };
    }
    default:
      return undefined;
  }
}

/** Parses one binary frame: previews of type 1 (format word) and 4 (with metadata JSON). */
export function parseBinaryEvent(frame: Uint8Array): ComfyEvent | undefined {
  if (frame.length < 8) return undefined;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const eventType = view.getUint32(0);
  if (eventType === 1) {
    const format = view.getUint32(4) === 2 ? 'png' : 'jpeg';
    return { type: 'preview', promptId: null, image: frame.subarray(8), format };
  }
  if (eventType === 4) {
    const length = view.getUint32(4);
    if (8 + length > frame.length) return undefined;
    let meta: unknown;
    try {
      meta = JSON.parse(new TextDecoder().decode(frame.subarray(8, 8 + length)));
    } catch {
      return undefined;
    }
    const record = (typeof meta === 'object' && meta !== null ? meta : {}) as Record<
      string,
      unknown
    >;
    return {
      type: 'preview',
      promptId: str(record['prompt_id']) ?? null,
      image: frame.subarray(8 + length),
      format: record['image_type'] === 'image/png' ? 'png' : 'jpeg',
    };
  }
  return undefined;
}

// --- the client ------------------------------------------------------------------------------------

/** A client of one ComfyUI server. */
export function createComfyClient(options: ComfyClientOptions): ComfyClient {
  const http = createRemoteClient({
    ...options,
    service: 'ComfyUI',
    describeError: describeComfyError,
  });
  const { url: base, authorization } = parseEngineUrl(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? 60_000;
  // Clean-up calls must not hang a cancelled run: short, and not tied to the cancelled signal.
  const cleanup = { timeoutMs: Math.min(timeoutMs, 5_000), idempotent: true } as const;

  const client: ComfyClient = {
    origin: http.origin,
    async objectInfo(classes, signal) {
      const answers = await Promise.all(
        classes.map((name) =>
          http.json(`object_info/${encodeURIComponent(name)}`, z.record(z.string(), z.unknown()), {
            ...(signal ? { signal } : {}),
          }),
        ),
      );
      return Object.assign({}, ...answers) as Record<string, unknown>;
    },
    async upload(image, target, signal) {
      const answer = await http.json('upload/image', uploadSchema, {
        method: 'POST',
        // Same name and bytes give the same file back; overwrite keeps a retried upload from renaming.
        idempotent: true,
        form: () => {
          const form = new FormData();
          form.append('image', new Blob([image], { type: 'image/png' }), target.name);
          form.append('subfolder', target.subfolder);
          form.append('type', 'input');
          form.append('overwrite', 'true');
          return form;
        },
        ...(signal ? { signal } : {}),
      });
      return { filename: answer.name, subfolder: answer.subfolder, type: answer.type };
    },
    async queue(graph, ids, signal) {
      const send = () =>
        http.json('prompt', queueAnswerSchema, {
          method: 'POST',
          json: { prompt: graph, client_id: ids.clientId, prompt_id: ids.promptId },
          ...(signal ? { signal } : {}),
        });
      let answer: z.infer<typeof queueAnswerSchema>;
      try {
        answer = await send();
      } catch (error) {
        // The connection broke with the post in flight: it may or may not be queued. Our own
        // prompt id tells: post again only if the server has never heard of it.
        if (!(error instanceof PortraitistError) || error.code !== 'ENGINE_UNREACHABLE')
          throw error;
        const { running, pending } = await client.queued(signal);
        if (running.includes(ids.promptId) || pending.includes(ids.promptId))
          return { promptId: ids.promptId, number: -1 };
        if ((await client.history(ids.promptId, signal)) !== undefined)
          return { promptId: ids.promptId, number: -1 };
        answer = await send();
      }
      const issues = nodeErrorIssues(answer.node_errors);
      // A 200 can still carry node errors: the failing outputs were dropped (§1.1).
      if (issues.length > 0) {
        await client.deleteQueued([answer.prompt_id]).catch(() => undefined);
        throw new PortraitistError(
          'ENGINE_REJECTED',
          `ComfyUI dropped outputs of the graph that failed validation: ${issues.map((i) => i.path).join(', ')}`,
          { issues, source: http.origin },
        );
      }
      return { promptId: answer.prompt_id, number: answer.number };
    },
    async history(promptId, signal) {
      const answer = await http.json(
        `history/${encodeURIComponent(promptId)}`,
        z.record(z.string(), historyEntrySchema),
        signal ? { signal } : {},
      );
      const entry = answer[promptId];
      return entry === undefined ? undefined : historyEntry(entry);
    },
    async queued(signal) {
      const answer = await http.json('queue', queueSchema, signal ? { signal } : {});
      const ids = (items: unknown[][]) => items.map((item) => String(item[1]));
      return { running: ids(answer.queue_running), pending: ids(answer.queue_pending) };
    },
    async view(file, signal) {
      const answer = await http.bytes('view', {
        query: { filename: file.filename, subfolder: file.subfolder, type: file.type },
        ...(signal ? { signal } : {}),
      });
      return answer.bytes;
    },
    interrupt: (promptId) =>
      http.send('interrupt', { ...cleanup, method: 'POST', json: { prompt_id: promptId } }),
    deleteQueued: (promptIds) =>
      http.send('queue', { ...cleanup, method: 'POST', json: { delete: promptIds } }),
    deleteHistory: (promptIds) =>
      http.send('history', { ...cleanup, method: 'POST', json: { delete: promptIds } }),
    connect: (clientId, signal) =>
      openSocket(base, clientId, authorization, timeoutMs, http.origin, signal),
  };
  return client;
}

async function openSocket(
  base: URL,
  clientId: string,
  authorization: string | undefined,
  timeoutMs: number,
  origin: string,
  signal: AbortSignal | undefined,
): Promise<ComfySocket> {
  const url = new URL(`ws?clientId=${encodeURIComponent(clientId)}`, base);
  url.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  // Loaded on first use so that commands without ComfyUI start faster.
  const { default: WebSocketClient } = await import('ws');
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new PortraitistError('ABORTED', 'cancelled before connecting to ComfyUI'));
      return;
    }
    const socket = new WebSocketClient(url, {
      handshakeTimeout: timeoutMs,
      ...(authorization === undefined ? {} : { headers: { authorization } }),
    });
    const listeners = new Set<(event: ComfyEvent) => void>();
    const closeListeners = new Set<(reason: string) => void>();
    let settled = false;
    let closedByUs = false;
    const timer = setTimeout(
      () =>
        fail(
          new PortraitistError(
            'ENGINE_TIMEOUT',
            `ComfyUI at ${origin} did not open its WebSocket within ${timeoutMs} ms (timeoutMs)`,
          ),
        ),
      timeoutMs,
    );
    const onAbort = () =>
      fail(new PortraitistError('ABORTED', 'cancelled while connecting to ComfyUI'));
    signal?.addEventListener('abort', onAbort, { once: true });
    function fail(error: PortraitistError): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      closedByUs = true;
      socket.terminate();
      reject(error);
    }
    const handle: ComfySocket = {
      listen(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      onClose(listener) {
        closeListeners.add(listener);
        return () => closeListeners.delete(listener);
      },
      close() {
        closedByUs = true;
        listeners.clear();
        closeListeners.clear();
        socket.terminate();
      },
    };
    socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const bytes = Array.isArray(data)
        ? Buffer.concat(data)
        : data instanceof ArrayBuffer
          ? Buffer.from(data)
          : data;
      const event = isBinary
        ? parseBinaryEvent(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))
        : parseTextEvent(bytes.toString('utf8'));
      if (event === undefined) return;
      // The first status message comes after the server registered this socket under our id.
      if (!settled && event.type === 'status') {
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(handle);
      }
      for (const listener of [...listeners]) listener(event);
    });
    socket.on('error', (error: Error) => {
      const code = (error as { code?: unknown }).code;
      fail(
        new PortraitistError(
          'ENGINE_UNREACHABLE',
          `could not open ComfyUI's WebSocket at ${origin} (${typeof code === 'string' ? code : error.message})`,
          { source: origin, cause: error },
        ),
      );
    });
    socket.on('close', (code: number, reason: Buffer) => {
      if (!settled) {
        fail(
          new PortraitistError(
            'ENGINE_UNREACHABLE',
            `ComfyUI at ${origin} closed its WebSocket before it was ready (code ${code})`,
            { source: origin },
          ),
        );
        return;
      }
      if (closedByUs) return;
      const why = `code ${code}${reason.length > 0 ? `, ${reason.toString('utf8')}` : ''}`;
      for (const listener of [...closeListeners]) listener(why);
      listeners.clear();
      closeListeners.clear();
    });
  });
}
