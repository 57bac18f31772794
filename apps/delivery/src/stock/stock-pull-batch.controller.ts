import { Body, Controller, Header, HttpCode, Logger, Post } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { StockPullBatchOutcome } from '@kami/contracts';
import { assertAccess, DomainError, SERVICE_TOKEN_HEADER, ServiceCallers, toProblem } from '@kami/platform';
import { STOCK_ACCESS } from './stock.controller';
import { StockPullBatchRequestDto, StockPullBatchResponseDto, type StockPullBatchEntryDto } from './stock-pull-batch.dto';
import { StockPullService } from './stock-pull.service';

/** Only the gateway groups storefront pulls. */
export const STOCK_PULL_BATCH_CALLERS = ['gateway'] as const;

/**
 * Internal: the storefront pulls that reached the gateway together, in one request (a pull's HTTP
 * hop cost more than its claim). Each is answered as `POST /api/v1/stock/{productId}/pull` would
 * answer it alone: held to the stock's access policy by its own identity, its own key, its own
 * audited reveal, its own problem document. Submitted together, they share the pull service's
 * claim transaction and vault request. Never logged: the answers hold plaintext.
 */
@ApiTags('delivery-internal')
@ApiHeader({ name: SERVICE_TOKEN_HEADER, required: true, description: 'a service token the gateway signed for delivery' })
@Controller('internal/v1')
export class StockPullBatchController {
  private readonly logger = new Logger(StockPullBatchController.name);

  constructor(private readonly pulls: StockPullService) {}

  @ServiceCallers(STOCK_PULL_BATCH_CALLERS)
  @Post('stock-pull-batches')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Storefront pulls the gateway grouped: each answered on its own, as the public pull route answers it' })
  @ApiOkResponse({ type: StockPullBatchResponseDto })
  async pullBatch(@Body() body: StockPullBatchRequestDto): Promise<StockPullBatchResponseDto> {
    return { pulls: await Promise.all(body.pulls.map((entry) => this.answer(entry))) };
  }

  private async answer(entry: StockPullBatchEntryDto): Promise<StockPullBatchOutcome> {
    try {
      assertAccess(STOCK_ACCESS, entry.identity);
      const code = await this.pulls.pull(entry.identity, entry.productId, entry.idempotencyKey ?? undefined);
      return { status: 200, body: { ...code } };
    } catch (error) {
      const problem = toProblem(error, entry.requestId);
      if (problem.status >= 500 && !(error instanceof DomainError)) this.logger.error({ err: error, requestId: entry.requestId }, 'unhandled error');
      return { status: problem.status, problem };
    }
  }
}
