import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { DomainError } from '../errors/domain-error';
import { toProblem } from '../errors/problem-details.filter';

/** What Node's HTTP parser refused, as the status and stable code a client gets. */
function refusalOf(error: NodeJS.ErrnoException): { status: number; code: string; detail: string } {
  if (error.code === 'HPE_HEADER_OVERFLOW') return { status: 431, code: 'headers_too_large', detail: 'The request line and headers together are too large (16 KB at most).' };
  return { status: 400, code: 'malformed_request', detail: 'The request is not valid HTTP.' };
}

/**
 * Requests Node's HTTP parser refuses before any application code runs (headers or URL past 16 KB,
 * broken framing) get a problem+json answer like every other 4xx, instead of Node's bare status
 * line. A socket that is already gone is simply closed.
 */
export function answerParserErrorsWithProblems(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const { status, code, detail } = refusalOf(error);
    const body = JSON.stringify(toProblem(new DomainError(code, status, detail)));
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}
