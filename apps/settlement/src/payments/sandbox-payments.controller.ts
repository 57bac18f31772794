import { Controller, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Access, CurrentIdentity, ValidationFailedError, type Identity } from '@kami/platform';
import { TopupsService } from './topups.service';

/**
 * The sandbox's payer: pays a top-up without any money. Registered only when PAYMENT_PROVIDER is
 * `sandbox` (never in production, where config refuses it), so that everywhere else the route does
 * not exist and the OpenAPI document does not mention it.
 */
@ApiTags('settlement')
@Controller('api/v1/settlement')
export class SandboxPaymentsController {
  constructor(private readonly topups: TopupsService) {}

  @Access({ organisationTypes: ['merchant', 'supplier'], roles: ['admin'] })
  @Post('topups/:id/sandbox-pay')
  @HttpCode(202)
  @ApiOperation({ summary: 'Sandbox provider only (development and tests): pay the intent; the sandbox then sends its signed notification (sometimes twice)' })
  @ApiQuery({ name: 'notification', required: false, enum: ['lost'], description: '`lost`: the sandbox takes the payment but its notification never arrives (the expiry sweep then finds the payment by asking the provider).' })
  @ApiAcceptedResponse()
  @ApiConflictResponse({ description: '`topup_expired`: the intent expired unpaid; `topup_not_pending`: already settled.' })
  sandboxPay(@CurrentIdentity() identity: Identity, @Param('id', new ParseUUIDPipe()) id: string, @Query('notification') notification?: string): Promise<unknown> {
    if (notification !== undefined && notification !== 'lost') throw new ValidationFailedError([{ field: 'notification', messages: ['notification must be lost when given'] }]);
    return this.topups.sandboxPay(identity, id, notification === 'lost' ? 'lost' : 'scheduled');
  }
}
