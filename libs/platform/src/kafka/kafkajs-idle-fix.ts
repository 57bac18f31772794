/**
 * kafkajs 2.2.4 re-arms a 0 ms timer on every connection's request queue whenever it has nothing
 * pending, for ever (tulios/kafkajs#1556; the fix, #1667, is not released). With two dozen consumer
 * groups and their producers that loop ran thousands of times a second in every service, idle or
 * not. Here the queue only schedules a check when something is pending: a new request and every
 * answered one check the queue themselves, so nothing waits on the skipped timer.
 */
interface RequestQueueLike {
  pending: unknown[];
  scheduleCheckPendingRequests(): void;
}

// The class is not exported by kafkajs's index; its module path is stable within 2.x.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueLike & { __kamiIdleFix?: true } };

if (!RequestQueue.prototype.__kamiIdleFix) {
  const schedule = RequestQueue.prototype.scheduleCheckPendingRequests;
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueLike): void {
    if (this.pending.length > 0) schedule.call(this);
  };
  RequestQueue.prototype.__kamiIdleFix = true;
}

export {};
