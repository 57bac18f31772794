import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface PrivateRedis {
  url: string;
  stop(): Promise<void>;
}

function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A Redis server of the test's own, for tests that must FLUSHALL (the shared server holds other
 * test files' keys). Uses the machine's `redis-server` (Debian's package here and on CI), nothing
 * persisted; falls back to a container when a Docker engine answers.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  let hasBinary = true;
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    hasBinary = false;
  }
  if (!hasBinary) {
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7-alpine').start();
    return { url: container.getConnectionUrl(), stop: async () => void (await container.stop()) };
  }
  const port = await freeLocalPort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const attempt = (): void => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`redis-server did not listen on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
    attempt();
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
