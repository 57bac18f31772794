import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const WORKSPACE_ROOT = path.resolve(__dirname, '../../..');

export interface SpawnedProcess {
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves as soon as the output matches (rejects if the process ends first or on timeout). */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Runs a TypeScript entry point of this workspace in its own Node process (compiled on the
 * fly by swc), the way a service runs in production but without a build step.
 */
export function spawnTs(entry: string, env: Record<string, string | undefined>, args: string[] = []): SpawnedProcess {
  // KAMI_CPU_PROFILE_DIR=<dir>: every service writes a V8 CPU profile there when it stops (open it in Chrome DevTools).
  const profileDir = process.env.KAMI_CPU_PROFILE_DIR;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] : [];
  const child = spawn(process.execPath, [...profile, '-r', '@swc-node/register', path.resolve(WORKSPACE_ROOT, entry), ...args], {
    cwd: WORKSPACE_ROOT,
    env: { ...process.env, SWC_NODE_PROJECT: path.join(WORKSPACE_ROOT, 'tsconfig.json'), KAFKAJS_NO_PARTITIONER_WARNING: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  // KAMI_SERVICE_LOGS=1: every service's output is echoed to stderr as well, for a failure's story.
  const echo = process.env.KAMI_SERVICE_LOGS === '1';
  const onData = (chunk: Buffer): void => {
    if (echo) process.stderr.write(chunk);
    output += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let ended = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      // Set before telling the listeners, so a pending waitForOutput rejects now, not at its timeout.
      ended = true;
      for (const listener of listeners) listener();
      resolve({ code, signal });
    }),
  );

  return {
    child,
    output: () => output,
    exited,
    waitForOutput: (pattern, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(output)) finish(resolve);
          else if (ended) finish(() => reject(new Error(`${entry} exited before printing ${pattern}:\n${output.slice(-4000)}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`${entry} did not print ${pattern} within ${timeoutMs} ms:\n${output.slice(-4000)}`))), timeoutMs);
        const finish = (done: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          done();
        };
        listeners.add(check);
        check();
      }),
    stop: async (signal = 'SIGTERM') => {
      if (!ended) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
