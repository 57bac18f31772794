import { Body, Controller, Header, HttpCode, Post } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentServiceCaller, SERVICE_TOKEN_HEADER, ServiceCallers } from '@kami/platform';
import { RevealBatchRequestDto, RevealBatchResponseDto, RevealRequestDto, RevealResponseDto } from './reveal.dto';
import { RevealService } from './reveal.service';

/** The services that may ask the vault for plaintext (the spec's one direct call between services). */
export const REVEAL_CALLERS = ['delivery'] as const;

/**
 * Internal: never routed by the gateway, authenticated by a service token, not by a user identity.
 * Neither the request nor the response body is ever logged (the platform's HTTP log keeps method,
 * path and status only).
 */
@ApiTags('vault-internal')
@ApiHeader({ name: SERVICE_TOKEN_HEADER, required: true, description: 'a service token signed for the vault' })
@Controller('internal/v1')
export class RevealController {
  constructor(private readonly reveals: RevealService) {}

  @ServiceCallers(REVEAL_CALLERS)
  @Post('reveals')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Reveal the plaintext of codes sold to a buyer (recorded before it is returned)' })
  @ApiOkResponse({ type: RevealResponseDto })
  reveal(@CurrentServiceCaller() caller: string, @Body() body: RevealRequestDto): Promise<RevealResponseDto> {
    return this.reveals.reveal(caller, body);
  }

  @ServiceCallers(REVEAL_CALLERS)
  @Post('reveal-batches')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Many reveals in one request and one transaction (concurrent storefront pulls, grouped): each recorded, or refused, on its own',
  })
  @ApiOkResponse({ type: RevealBatchResponseDto })
  async revealBatch(@CurrentServiceCaller() caller: string, @Body() body: RevealBatchRequestDto): Promise<RevealBatchResponseDto> {
    return { reveals: await this.reveals.revealBatch(caller, body.reveals) };
  }
}
