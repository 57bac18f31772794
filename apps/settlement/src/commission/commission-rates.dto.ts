import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { CursorPageQuery } from '@kami/platform';

export class SetCommissionRateDto {
  @ApiProperty({ description: 'Basis points of the sale the platform keeps (500 = 5%).', minimum: 0, maximum: 10_000, example: 300 })
  @IsInt()
  @Min(0)
  @Max(10_000)
  rateBps!: number;
}

export class CommissionRateDto {
  @ApiProperty({ enum: ['supplier', 'category'] }) scope!: 'supplier' | 'category';
  @ApiProperty({ description: 'The supplier id or the category code.' }) subject!: string;
  @ApiProperty() rateBps!: number;
  @ApiPropertyOptional({ description: 'The operator organisation that set it.' }) updatedBy?: string;
  @ApiProperty() updatedAt!: string;
}

export class CommissionRatesDto {
  @ApiProperty({ description: 'COMMISSION_RATE_BPS: for lines whose supplier and category have no rate of their own.' }) defaultRateBps!: number;
  @ApiProperty({ type: [CommissionRateDto] }) suppliers!: CommissionRateDto[];
  @ApiProperty({ type: [CommissionRateDto], description: "A category's rate covers its subtree (the nearest ancestor with a rate applies)." }) categories!: CommissionRateDto[];
}

export class CommissionRateChangeDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['supplier', 'category'] }) scope!: 'supplier' | 'category';
  @ApiProperty() subject!: string;
  @ApiProperty({ type: Number, nullable: true, description: 'null: it had no rate of its own' }) oldRateBps!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'null: its rate was removed' }) newRateBps!: number | null;
  @ApiProperty() changedByOrganisation!: string;
  @ApiProperty() changedByPrincipal!: string;
  @ApiProperty() changedAt!: string;
}

export class CommissionRateChangesQueryDto extends CursorPageQuery {}
