import { pipeline } from 'node:stream/promises';
import { Controller, Get, Header, Logger, Param, ParseUUIDPipe, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentIdentity, DomainError, type Identity } from '@kami/platform';
import { orderCodeRecords, orderCodesCsvWriter, orderCodesFileName } from './order-codes.csv';
import { OrderCodesCsvQuery, OrderCodesPageDto, OrderCodesQuery } from './order-codes.dto';
import { OrderCodesService } from './order-codes.service';

/*
 * No organisation-type restriction on purpose: every caller but the order's buyer (suppliers and
 * operators included) gets the same 404, so nothing tells whether the order exists.
 */
@ApiTags('delivery')
@Controller('api/v1/orders')
export class OrderCodesController {
  private readonly logger = new Logger(OrderCodesController.name);

  constructor(private readonly codes: OrderCodesService) {}

  @Get(':orderId/codes')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary:
      "The order's codes with their plaintext, a page at a time in order (the buyer only; every read is a recorded reveal); `?wait=` long-polls until the order is delivered. Refunded codes are left out and a replacement stands in its original's place (410 code_refunded once nothing of the order is left). 409 codes_in_stock for an order bought into stock.",
  })
  @ApiOkResponse({ type: OrderCodesPageDto })
  page(@CurrentIdentity() identity: Identity, @Param('orderId', ParseUUIDPipe) orderId: string, @Query() query: OrderCodesQuery): Promise<OrderCodesPageDto> {
    return this.codes.page(identity, orderId, query);
  }

  @Get(':orderId/codes.csv')
  @ApiOperation({
    summary:
      "All of a delivered order's codes as a CSV download (the buyer only; a recorded reveal). Safe to open in a spreadsheet by default: a value a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR, other than a plain number) gets a leading '. `?format=raw` keeps every value exactly, for imports.",
  })
  @ApiProduces('text/csv')
  async csv(
    @CurrentIdentity() identity: Identity,
    @Param('orderId', ParseUUIDPipe) orderId: string,
    @Query() query: OrderCodesCsvQuery,
    @Res() response: Response,
  ): Promise<void> {
    // Errors up to here (unknown order, not delivered, vault unreachable) are still problem+json answers.
    const codes = await this.codes.allCodes(identity, orderId);
    response.status(200);
    response.setHeader('Content-Type', 'text/csv; charset=utf-8');
    response.setHeader('Content-Disposition', `attachment; filename="${orderCodesFileName(orderId, query.format)}"`);
    response.setHeader('Cache-Control', 'no-store');
    try {
      // Streamed with backpressure: the next vault reveal happens only once the client has read the last one.
      await pipeline(orderCodeRecords(codes), orderCodesCsvWriter(query.format), response);
    } catch (error) {
      // The response is already under way: pipeline has cut it off, so the client sees a broken download, never a short file.
      this.logger.warn({ orderId, reason: failureReason(error) }, 'order codes download interrupted');
    }
  }
}

/** What broke a download, for the log: a stable code or error name, never a message (nothing that could carry a code). */
function failureReason(error: unknown): string {
  if (error instanceof DomainError) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown';
}
