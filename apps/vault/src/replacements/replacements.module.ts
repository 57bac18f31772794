import { Module } from '@nestjs/common';
import { CodeReplacements } from './code-replacements';
import { ReplacementRequestsConsumer } from './replacement-requests.consumer';

/** Disputed codes replaced from the offer's stock (the allocator and Redis core come from the global AllocationModule). */
@Module({ providers: [CodeReplacements, ReplacementRequestsConsumer] })
export class ReplacementsModule {}
