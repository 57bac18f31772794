import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentIdentity, type Identity } from '@kami/platform';
import { DepositDto, DepositQueryDto } from './deposit.dto';
import { DepositsService } from './deposits.service';

@ApiTags('settlement')
@Controller('api/v1/settlement')
export class DepositsController {
  constructor(private readonly deposits: DepositsService) {}

  @Access({ organisationTypes: ['supplier', 'operator'] })
  @Get('deposit')
  @ApiOperation({ summary: "The supplier's deposit (保证金) against the platform minimum (operators: ?organisationId=); top it up with POST /topups" })
  @ApiOkResponse({ type: DepositDto })
  get(@CurrentIdentity() identity: Identity, @Query() query: DepositQueryDto): Promise<DepositDto> {
    return this.deposits.get(identity, query.organisationId);
  }
}
