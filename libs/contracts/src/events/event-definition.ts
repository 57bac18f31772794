import type { Topic } from '../topics/topics';

export type PayloadClass<P extends object = object> = new () => P;

/**
 * One event type: its name, the topic it travels on and the class its payload must satisfy.
 * Producers and consumers import the same definition, so they cannot disagree.
 */
export interface EventDefinition<P extends object = object> {
  readonly type: string;
  readonly topic: Topic | string;
  readonly payload: PayloadClass<P>;
}

export function defineEvent<P extends object>(
  type: string,
  topic: Topic | string,
  payload: PayloadClass<P>,
): EventDefinition<P> {
  return { type, topic, payload };
}
