// jobs/: one Queue interface, in-process by default and BullMQ on Redis at scale.
//
// How a worker over many engine servers sits on it: enqueue one job per candidate of a round
// (jobId `<round>-<index>` makes a repeat enqueue a no-op) and call `queue.process(handler,
// { concurrency })` once per engine server, the handler bound to that server, so each candidate
// goes to whichever server is free. The handler stores each remote job id with
// `job.checkpoint('remote', ref)` before waiting on it and, on a replay (`job.attempt > 1`), passes
// `job.checkpoints()` to the engine as `resume` to collect instead of queueing again; it reports
// engine progress through `job.progress(event)` and honours `job.signal` (cancel or shutdown).
// `worker.close({ graceMs })` on SIGTERM finishes or hands back what is running.
export type {
  CloseOptions,
  EnqueueOptions,
  JobContext,
  JobCounts,
  JobEvent,
  JobHandle,
  JobHandler,
  JobInfo,
  JobPriority,
  JobState,
  ProcessOptions,
  Queue,
  QueueOptions,
  Worker,
  WorkerStatus,
} from './types.js';
export {
  jobErrorSchema,
  toJobError,
  fromJobError,
  cancelledError,
  type JobError,
} from './job-error.js';
export { isRetryable, backoffDelay } from './retry.js';
export {
  createInProcessQueue,
  type InProcessQueue,
  type InProcessQueueOptions,
  type InProcessWorker,
  type Timers,
} from './in-process.js';
export {
  openBullQueue,
  type BullMqQueue,
  type BullQueueOptions,
  type BullQueueWorker,
} from './bullmq.js';
