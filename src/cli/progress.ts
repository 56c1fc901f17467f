// Progress on stderr for long work: a redrawn bar on a terminal, one plain line per item in a log
// (stderr redirected), and nothing with --json.
import type { CliIo } from './io.js';

export interface Progress {
  update(done: number, label?: string): void;
  done(): void;
}

export function progressBar(io: CliIo, total: number, title: string, enabled: boolean): Progress {
  const terminal = io.stderr.isTTY === true;
  const live = enabled && terminal && total > 1;
  // A log gets a line even for one item: a long single analyze must not look hung.
  const logged = enabled && !terminal;
  const width = 24;
  const render = (done: number, label: string) => {
    const filled = Math.round((done / Math.max(1, total)) * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    io.stderr.write(`\r${title} ${bar} ${done}/${total} ${label.slice(0, 40).padEnd(40)}`);
  };
  if (live) render(0, '');
  if (logged) io.stderr.write(`${title} 0/${total}\n`);
  return {
    update: (done, label = '') => {
      if (live) render(done, label);
      if (logged) io.stderr.write(`${title} ${done}/${total}${label === '' ? '' : ` ${label}`}\n`);
    },
    done: () => {
      if (live) io.stderr.write('\n');
    },
  };
}
