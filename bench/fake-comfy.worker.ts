// A fake ComfyUI on its own thread, so the server's work neither shares the client's event loop
// nor its heap: what the engines bench measures on the main thread is the client alone.
import { parentPort, workerData } from 'node:worker_threads';
import { startFakeComfy, type FakeComfyOptions } from '../src/testing/index.js';

const fake = await startFakeComfy(workerData as FakeComfyOptions);
parentPort?.on('message', (message: { type: string }) => {
  switch (message.type) {
    case 'timings':
      parentPort?.postMessage({ type: 'timings', timings: Object.fromEntries(fake.timings) });
      break;
    case 'count':
      parentPort?.postMessage({ type: 'count', count: fake.prompts.size });
      break;
    case 'resume':
      fake.resume();
      break;
    case 'close':
      void fake.close().then(() => parentPort?.postMessage({ type: 'closed' }));
      break;
  }
});
parentPort?.postMessage({ type: 'ready', url: fake.url });
