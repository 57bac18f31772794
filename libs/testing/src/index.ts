export * from './infrastructure';
export * from './isolation';
export * from './kafka-probe';
export * from './processes';
export * from './migrated-database';
export * from './system/system-harness';
export * from './private-redis';
export * from './bench-kit';
