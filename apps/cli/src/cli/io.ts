import type { Env } from '../config/cli-config';

export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Where a command reads and writes: the process's streams in production, buffers in tests. */
export interface Io {
  stdout: OutputStream;
  stderr: OutputStream;
  stdin: NodeJS.ReadableStream;
  env: Env;
}

export function processIo(): Io {
  // `kami batches report ID --all | head`: a closed pipe ends the command quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

/** Colour only on a terminal, and never with NO_COLOR (https://no-color.org) or TERM=dumb. */
export function colourEnabled(io: Io): boolean {
  const noColor = io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '';
  return Boolean(io.stdout.isTTY) && !noColor && io.env.TERM !== 'dumb';
}

/**
 * Animated progress bars only when both stdout and stderr (where the bars are drawn) are a
 * terminal; otherwise plain progress lines, so logs and pipes get no escape sequences.
 */
export function animationEnabled(io: Io): boolean {
  return Boolean(io.stdout.isTTY) && Boolean(io.stderr.isTTY) && io.env.TERM !== 'dumb';
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
