// A port nothing listens on, for "server down" tests: bound to a free port, then closed.
import { createServer } from 'node:net';

/** A localhost port that was free a moment ago and has no listener now. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A localhost port free a moment ago, for a server a test starts (e.g. an embedded PostgreSQL). */
export async function freePort(): Promise<number> {
  return closedPort();
}
