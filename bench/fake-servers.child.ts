// Fake ComfyUI servers in a process of their own, for the workers bench: their CPU (HTTP, PNG
// encoding, WebSocket events) then neither shares the worker's event loop nor its process CPU
// figure. Prints one JSON line with the servers' URLs; closes them when stdin ends.
import { startFakeComfy, type FakeComfy } from '../src/testing/index.js';

const { count, options } = JSON.parse(process.env['PORTRAITIST_FAKE_SERVERS'] ?? '{}') as {
  count: number;
  options: Record<string, unknown>;
};
const fakes: FakeComfy[] = [];
for (let n = 0; n < count; n++) fakes.push(await startFakeComfy(options));
process.stdout.write(`${JSON.stringify({ urls: fakes.map((f) => f.url) })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void Promise.all(fakes.map((f) => f.close())).then(() => process.exit(0));
});
