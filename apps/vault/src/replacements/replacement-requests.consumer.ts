import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ReplacementRequested, type EventEnvelope, type ReplacementRequestedPayload } from '@kami/contracts';
import { Messaging } from '@kami/platform';
import { CodeReplacements } from './code-replacements';

/** Delivery's disputes answered with a replacement (`delivery.replacement.requested`). */
@Injectable()
export class ReplacementRequestsConsumer implements OnModuleInit {
  constructor(
    private readonly messaging: Messaging,
    private readonly replacements: CodeReplacements,
  ) {}

  onModuleInit(): void {
    this.messaging.registerConsumer('replacements', [
      {
        events: [ReplacementRequested],
        handler: (e, { manager, afterCommit }) => this.replacements.replace(manager, (e as EventEnvelope<ReplacementRequestedPayload>).payload, afterCommit),
      },
    ]);
  }
}
