import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { finalize, type Observable } from 'rxjs';
import { httpRequestDuration } from './metrics';

/** Times every HTTP request by its route template (never the raw URL, which may carry ids). */
@Injectable()
export class HttpMetricsInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<Response>();
    const stop = httpRequestDuration.startTimer({ method: request.method });
    return next.handle().pipe(
      finalize(() => stop({ route: (request.route as { path?: string } | undefined)?.path ?? 'unmatched', status: String(response.statusCode) })),
    );
  }
}
