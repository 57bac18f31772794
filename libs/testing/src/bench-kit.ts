/** Shared pieces of the `npm run bench:*` benchmarks (SPEC.md, Performance). */
import { readFileSync } from 'node:fs';

/** One row of a benchmark's summary line. */
export interface BenchResult {
  case: string;
  system: string;
  opsPerSec: number;
  unitsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export const roundTo = (n: number, digits = 0): number => Number(n.toFixed(digits));

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface BenchCleanup {
  /** Registers a step; steps run in reverse order of registration. */
  add(step: () => Promise<unknown>): void;
  /** Runs the steps once (later calls share the first run); a failing step is reported, the rest still run. */
  run(): Promise<void>;
}

/**
 * Clean-up for a benchmark that creates databases, processes or files: runs on normal exit (call
 * `run`) and on Ctrl-C or a stop signal, after which the process exits with 130.
 */
export function benchCleanup(onInterrupt: string): BenchCleanup {
  const steps: (() => Promise<unknown>)[] = [];
  let running: Promise<void> | undefined;
  let interrupted = false;
  const run = (): Promise<void> =>
    (running ??= (async () => {
      for (const step of steps.reverse()) await step().catch((error: unknown) => process.stderr.write(`cleanup: ${String(error)}\n`));
    })());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      // Ctrl-C reaches this process twice: from the terminal and passed on by tools/scripts/bench.mjs.
      if (interrupted) return;
      interrupted = true;
      process.stderr.write(`\n${signal}: ${onInterrupt}\n`);
      void run().finally(() => process.exit(130));
    });
  }
  return { add: (step) => steps.push(step), run };
}

/**
 * CPU seconds the whole machine spent busy so far (every process: services, databases, Kafka and
 * the benchmark itself), from /proc/stat; undefined where there is none. The difference over a
 * case, divided by its operations, is the CPU one operation costs (cores × seconds ÷ operations).
 */
export function machineCpuSeconds(): number | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
  const fields = stat.split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: all but idle and iowait are busy (USER_HZ is 100 on Linux).
  const busy = fields[0]! + fields[1]! + fields[2]! + fields[5]! + fields[6]! + (fields[7] ?? 0);
  return busy / 100;
}

/** "x ms CPU per op" for a case that ran `ops` operations between two machineCpuSeconds() readings. */
export function cpuPerOp(before: number | undefined, after: number | undefined, ops: number): string {
  if (before === undefined || after === undefined || ops === 0) return 'CPU per op n/a';
  return `${(((after - before) * 1000) / ops).toFixed(1)} ms CPU per op (machine-wide)`;
}
