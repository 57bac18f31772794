import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, Matches } from 'class-validator';

const OWNER = /^(platform|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

export class AccountsQueryDto {
  @ApiPropertyOptional({ description: 'Operators only: whose accounts (an organisation id, or `platform`).' })
  @IsOptional()
  @Matches(OWNER, { message: 'organisationId must be an organisation id or platform' })
  organisationId?: string;
}

export class StatementQueryDto extends AccountsQueryDto {
  @IsISO8601({ strict: true })
  from!: string;

  @IsISO8601({ strict: true })
  to!: string;
}
