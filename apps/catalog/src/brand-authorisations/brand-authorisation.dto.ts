import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBase64, IsIn, IsISO8601, IsNotEmpty, IsOptional, IsString, IsUUID, MaxLength, ValidateNested } from 'class-validator';
import { CursorPageQuery } from '@kami/platform';
import { AUTHORISATION_STATUSES, type AuthorisationStatus } from './brand-authorisation.entity';
import { PROOF_CONTENT_TYPES } from './proof-document';

export class ProofUploadDto {
  @ApiProperty({ example: 'steam-distribution-agreement.pdf' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  fileName!: string;

  @ApiProperty({ enum: PROOF_CONTENT_TYPES })
  @IsIn(PROOF_CONTENT_TYPES)
  contentType!: string;

  @ApiProperty({ description: 'the document, base64-encoded (at most 5 MiB decoded)' })
  @IsBase64()
  @MaxLength(7_100_000)
  contentBase64!: string;
}

export class ApplyForBrandDto {
  @ApiProperty()
  @IsUUID()
  brandId!: string;

  @ApiPropertyOptional({ example: 'Authorised distributor for mainland China, contract 2026-118' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  note?: string;

  @ApiProperty({ type: ProofUploadDto })
  @ValidateNested()
  @Type(() => ProofUploadDto)
  proof!: ProofUploadDto;
}

export class ApproveAuthorisationDto {
  @ApiProperty({ example: '2027-12-31T23:59:59Z', description: 'when the authorisation lapses; must be in the future' })
  @IsISO8601({ strict: true })
  expiresAt!: string;
}

export class DecisionReasonDto {
  @ApiProperty({ example: 'The contract does not cover mainland China' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  reason!: string;
}

export class ListAuthorisationsQuery extends CursorPageQuery {
  @ApiPropertyOptional({ enum: AUTHORISATION_STATUSES })
  @IsOptional()
  @IsIn(AUTHORISATION_STATUSES)
  status?: AuthorisationStatus;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  brandId?: string;

  @ApiPropertyOptional({ description: 'operators only' })
  @IsOptional()
  @IsUUID()
  supplierId?: string;
}

export class BrandAuthorisationDto {
  @ApiProperty() id!: string;
  @ApiProperty() supplierId!: string;
  @ApiProperty() brand!: { id: string; name: string };
  @ApiProperty({ enum: AUTHORISATION_STATUSES }) status!: AuthorisationStatus;
  @ApiProperty() note!: string;
  @ApiProperty() proof!: { fileName: string; contentType: string; size: number; sha256: string };
  @ApiPropertyOptional({ nullable: true }) expiresAt!: string | null;
  @ApiPropertyOptional({ nullable: true }) decisionReason!: string | null;
  @ApiPropertyOptional({ nullable: true }) decidedAt!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiPropertyOptional({ type: [String], description: 'offers paused by this decision' }) pausedOfferIds?: string[];
}

export class BrandAuthorisationPageDto {
  @ApiProperty({ type: [BrandAuthorisationDto] }) items!: BrandAuthorisationDto[];
  @ApiPropertyOptional({ nullable: true }) nextCursor!: string | null;
}
