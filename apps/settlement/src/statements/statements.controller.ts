import { Controller, Get, Header, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Access, CurrentIdentity, type Identity } from '@kami/platform';
import { AccountsQueryDto, StatementQueryDto } from './statements.dto';
import { StatementsService, type AccountView, type WalletView } from './statements.service';

@ApiTags('settlement')
@Controller('api/v1/settlement')
export class StatementsController {
  constructor(private readonly statements: StatementsService) {}

  @Access({ organisationTypes: ['merchant', 'operator'] })
  @Get('wallet')
  @ApiOperation({ summary: "The caller's wallet balances per currency (operators: ?organisationId=)" })
  @ApiOkResponse()
  wallet(@CurrentIdentity() identity: Identity, @Query() query: AccountsQueryDto): Promise<{ organisationId: string; balances: WalletView[] }> {
    return this.statements.wallet(identity, query.organisationId);
  }

  @Get('accounts')
  @ApiOperation({ summary: "The caller's ledger accounts and balances (operators: ?organisationId=, or `platform`)" })
  @ApiOkResponse()
  accounts(@CurrentIdentity() identity: Identity, @Query() query: AccountsQueryDto): Promise<{ owner: string; accounts: AccountView[] }> {
    return this.statements.accounts(identity, query.organisationId);
  }

  @Get('statements')
  @Header('content-type', 'text/csv; charset=utf-8')
  @ApiOperation({ summary: "Ledger entries of the caller's accounts in [from, to), as CSV (operators: ?organisationId=)" })
  @ApiProduces('text/csv')
  @ApiQuery({ name: 'from', required: true, example: '2025-01-01T00:00:00Z' })
  @ApiQuery({ name: 'to', required: true, example: '2025-02-01T00:00:00Z' })
  statement(@CurrentIdentity() identity: Identity, @Query() query: StatementQueryDto): Promise<string> {
    return this.statements.csv(identity, query);
  }
}
