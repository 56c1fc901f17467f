// The program's entry: the one place that composes the edges. The CLI runs studio/ use cases and
// gets the HTTP server handed in, loaded only when `portraitist serve` runs.
import { main as cliMain } from '../cli/index.js';

/** Runs `portraitist` with `argv` (without node and script) and returns the exit code. */
export function main(argv: readonly string[]): Promise<number> {
  return cliMain(argv, undefined, { studioServer: () => import('../server/index.js') });
}
