// Finds Debian's Chromium for the studio's end-to-end tests, installing it with apt-get when it
// is missing and the test runs as root (CI images); otherwise says how to get it.
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The flags the studio's browser tests launch Chromium with. */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
] as const;

const candidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium'];

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function found(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const wanted = env['PORTRAITIST_CHROMIUM'];
  for (const path of wanted === undefined ? candidates : [wanted, ...candidates]) {
    if (await executable(path)) return path;
  }
  return undefined;
}

/** The path of a Chromium executable; installs Debian's package first when it can. */
export async function findChromium(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const present = await found(env);
  if (present !== undefined) return present;
  if (process.getuid?.() === 0 && (await executable('/usr/bin/apt-get'))) {
    const options = { timeout: 15 * 60_000, env: { ...env, DEBIAN_FRONTEND: 'noninteractive' } };
    try {
      await run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], options);
    } catch {
      // The package lists may be missing on a fresh image: refresh them once and try again.
      await run('apt-get', ['update'], options);
      await run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], options);
    }
    const installed = await found(env);
    if (installed !== undefined) return installed;
  }
  throw new Error(
    'Chromium not found: install it (apt-get install -y chromium) or set PORTRAITIST_CHROMIUM to its path',
  );
}
