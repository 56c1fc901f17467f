// Leak checks for fault tests: after an engine call ends, no timer, socket or server it opened
// may stay behind, or a CLI run would hang instead of exiting.
import { setTimeout as delay } from 'node:timers/promises';

/** How many live handles of each kind the process holds (timers, sockets, servers…). */
export function resourceCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo())
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/** The kinds of handle that grew since `before`, as `kind +n`. */
export function grownResources(before: Map<string, number>): string[] {
  const grown: string[] = [];
  for (const [kind, count] of resourceCounts()) {
    const extra = count - (before.get(kind) ?? 0);
    if (extra > 0) grown.push(`${kind} +${extra}`);
  }
  return grown;
}

/**
 * Waits (up to `settleMs`) for handles opened since `before` to close, and returns those still
 * open; sockets close a tick or two after their server, so the check polls briefly.
 */
export async function leakedResources(
  before: Map<string, number>,
  settleMs = 2000,
): Promise<string[]> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    const grown = grownResources(before);
    if (grown.length === 0 || Date.now() > deadline) return grown;
    await delay(10);
  }
}
