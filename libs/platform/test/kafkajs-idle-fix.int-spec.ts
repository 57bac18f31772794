import pino from 'pino';
import { testInfrastructure } from '@kami/testing';
// Imported by path: the package index pulls in NestJS, which jest (CJS, Node 20) cannot load.
import { createKafka, createProducer } from '../src/kafka/kafka-client';

/*
 * kafkajs 2.2.4 re-checked an idle connection's request queue on a 0 ms timer for ever (a few
 * thousand times a second per connection). The platform's kafka client loads the fix: an idle
 * producer's queue is then checked only when a request is sent or answered.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: { checkPendingRequests(): void } };

it('leaves an idle, connected producer’s request queue alone', async () => {
  const producer = createProducer(createKafka('idle-fix-spec', (await testInfrastructure()).kafkaBrokers, pino({ level: 'silent' })));
  await producer.connect();
  const check = RequestQueue.prototype.checkPendingRequests;
  let checks = 0;
  RequestQueue.prototype.checkPendingRequests = function (this: unknown): void {
    checks += 1;
    check.call(this);
  };
  try {
    // Let whatever the connection did settle, then count over an idle half second.
    await new Promise((resolve) => setTimeout(resolve, 200));
    checks = 0;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(checks).toBeLessThan(10);
  } finally {
    RequestQueue.prototype.checkPendingRequests = check;
    await producer.disconnect();
  }
});
