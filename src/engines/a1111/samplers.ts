// Our sampler and scheduler ids (ComfyUI-style, as the prompt compiler writes them) in A1111's
// names, checked against what the server lists: an unknown `sampler_name` is not an error on the
// server, it silently falls back to another sampler (§2.1), so only this check catches it.
import type { Issue } from '../../errors/index.js';

/** The sampler and scheduler lists of a server; `schedulers` is null on builds before v1.9. */
export interface ServerSamplers {
  readonly samplers: ReadonlyArray<{
    readonly name: string;
    readonly aliases?: readonly string[] | null;
  }>;
  readonly schedulers: ReadonlyArray<{
    readonly name: string;
    readonly label?: string;
    readonly aliases?: readonly string[] | null;
  }> | null;
}

/** What to send: `scheduler` is undefined for the server's default or on builds that lack the field. */
export interface SamplerChoice {
  readonly samplerName: string;
  readonly scheduler: string | undefined;
}

const samplerNames: Readonly<Record<string, string>> = Object.freeze({
  euler: 'Euler',
  euler_ancestral: 'Euler a',
  heun: 'Heun',
  lms: 'LMS',
  dpm_2: 'DPM2',
  dpm_2_ancestral: 'DPM2 a',
  dpmpp_sde: 'DPM++ SDE',
  dpmpp_2m: 'DPM++ 2M',
  dpmpp_2m_sde: 'DPM++ 2M SDE',
  dpmpp_3m_sde: 'DPM++ 3M SDE',
  ddim: 'DDIM',
  uni_pc: 'UniPC',
  lcm: 'LCM',
});

// Scheduler labels as A1111 shows them; old builds baked them into sampler names ("DPM++ 2M Karras").
const schedulerLabels: Readonly<Record<string, string>> = Object.freeze({
  karras: 'Karras',
  exponential: 'Exponential',
  polyexponential: 'Polyexponential',
  sgm_uniform: 'SGM Uniform',
  uniform: 'Uniform',
  simple: 'Simple',
  normal: 'Normal',
  beta: 'Beta',
  ddim: 'DDIM',
  kl_optimal: 'KL Optimal',
  align_your_steps: 'Align Your Steps',
});

/** A1111's sampler name for one of our sampler ids; names we do not know pass through unchanged. */
export function a1111SamplerName(sampler: string): string {
  return samplerNames[sampler] ?? sampler;
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

function find<
  T extends {
    readonly name: string;
    readonly label?: string;
    readonly aliases?: readonly string[] | null;
  },
>(entries: readonly T[], wanted: string): T | undefined {
  // The server matches names and aliases case-insensitively (sd_samplers.samplers_map).
  return entries.find(
    (e) =>
      same(e.name, wanted) ||
      (e.label !== undefined && same(e.label, wanted)) ||
      (e.aliases ?? []).some((alias) => same(alias, wanted)),
  );
}

function list(values: readonly string[]): string {
  if (values.length === 0) return '(none on the server)';
  const shown = values.slice(0, 12).map((v) => JSON.stringify(v));
  return values.length > 12 ? `${shown.join(', ')} … (${values.length} in all)` : shown.join(', ');
}

/** The names to send for a sampler and scheduler, or the issues naming `sampler`/`scheduler`. */
export function chooseSampler(
  sampler: string,
  scheduler: string | null,
  server: ServerSamplers,
): SamplerChoice | Issue[] {
  const wanted = a1111SamplerName(sampler);
  const ours = wanted === sampler ? '' : ` (our ${sampler})`;
  const names = server.samplers.map((s) => s.name);
  const fallback = 'the server would silently sample with its default instead';
  const issues: Issue[] = [];

  if (server.schedulers === null) {
    // Before v1.9 there is no `scheduler` field: the schedule is part of the sampler's name.
    const automatic = scheduler === null || scheduler === 'automatic';
    const label = automatic ? '' : (schedulerLabels[scheduler] ?? scheduler);
    const combined = automatic ? wanted : `${wanted} ${label}`;
    const hit = find(server.samplers, combined);
    if (hit !== undefined) return { samplerName: hit.name, scheduler: undefined };
    const path = find(server.samplers, wanted) === undefined ? 'sampler' : 'scheduler';
    issues.push({
      path,
      message: `expected one of ${list(names)} for \`${path}\` but received ${JSON.stringify(combined)}${ours}: this server predates /sdapi/v1/schedulers, so the schedule must be part of a listed sampler name, and ${fallback}`,
    });
    return issues;
  }

  const hit = find(server.samplers, wanted);
  if (hit === undefined)
    issues.push({
      path: 'sampler',
      message: `expected one of ${list(names)} for \`sampler\` but received ${JSON.stringify(wanted)}${ours}; ${fallback}`,
    });
  let schedulerName: string | undefined;
  if (scheduler !== null) {
    const found = find(server.schedulers, scheduler);
    if (found === undefined)
      issues.push({
        path: 'scheduler',
        message: `expected one of ${list(server.schedulers.map((s) => s.name))} for \`scheduler\` but received ${JSON.stringify(scheduler)}`,
      });
    schedulerName = found?.name;
  }
  if (issues.length > 0 || hit === undefined) return issues;
  return { samplerName: hit.name, scheduler: schedulerName };
}
