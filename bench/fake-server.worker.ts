// A fake engine server on its own thread, so the server's work neither shares the client's event
// loop nor its heap: what the engines bench measures on the main thread is the client alone.
import { parentPort, workerData } from 'node:worker_threads';
import { startFakeA1111, startFakeComfy, startFakeOpenAi } from '../src/testing/index.js';

const { kind, options } = workerData as { kind: 'comfyui' | 'a1111' | 'openai'; options: object };
const fake =
  kind === 'comfyui'
    ? await startFakeComfy(options)
    : kind === 'a1111'
      ? await startFakeA1111(options)
      : await startFakeOpenAi(options);

parentPort?.on('message', (message: { type: string }) => {
  const answer = (value: unknown) =>
    parentPort?.postMessage({ type: message.type, [message.type]: value });
  switch (message.type) {
    case 'timings':
      answer('timings' in fake ? Object.fromEntries(fake.timings) : {});
      break;
    case 'serverMs':
      answer('serverMs' in fake ? [...fake.serverMs] : []);
      break;
    case 'count':
      answer('prompts' in fake ? fake.prompts.size : 0);
      break;
    case 'resume':
      if ('resume' in fake) fake.resume();
      break;
    case 'close':
      void fake.close().then(() => parentPort?.postMessage({ type: 'closed' }));
      break;
  }
});
parentPort?.postMessage({ type: 'ready', url: fake.url });
