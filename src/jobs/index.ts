// jobs/: one Queue interface, in-process by default and BullMQ on Redis at scale.
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
