// A progress bar on stderr for long work; silent when stderr is not a terminal or with --json.
import type { CliIo } from './io.js';

export interface Progress {
  update(done: number, label?: string): void;
  done(): void;
}

export function progressBar(io: CliIo, total: number, title: string, enabled: boolean): Progress {
  const live = enabled && io.stderr.isTTY === true && total > 1;
  const width = 24;
  const render = (done: number, label: string) => {
    const filled = Math.round((done / Math.max(1, total)) * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    io.stderr.write(`\r${title} ${bar} ${done}/${total} ${label.slice(0, 40).padEnd(40)}`);
  };
  if (live) render(0, '');
  return {
    update: (done, label = '') => {
      if (live) render(done, label);
    },
    done: () => {
      if (live) io.stderr.write('\n');
    },
  };
}
