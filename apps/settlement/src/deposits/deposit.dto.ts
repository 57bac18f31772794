import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';

export class DepositQueryDto {
  @ApiPropertyOptional({ description: 'Operators only: whose deposit (a supplier organisation id).' })
  @IsOptional()
  @IsUUID()
  organisationId?: string;
}

export class DepositDto {
  @ApiProperty() supplierId!: string;
  @ApiProperty({ example: 'CNY' }) currency!: string;
  @ApiProperty({ description: 'The deposit held, in minor units (fen).' }) balance!: number;
  @ApiProperty({ description: 'The platform minimum, in minor units (0: none).' }) minimum!: number;
  @ApiProperty({ description: "The balance covers the minimum: only then may the supplier's offers be active." }) covered!: boolean;
}
