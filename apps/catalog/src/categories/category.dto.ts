import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';

export class CategoryDto {
  @ApiProperty({ example: 'game-cards.mobile' }) code!: string;
  @ApiPropertyOptional({ example: 'game-cards', nullable: true }) parentCode!: string | null;
  @ApiProperty({ example: 'Mobile game top-up' }) nameEn!: string;
  @ApiProperty({ example: '手游充值' }) nameZh!: string;
  @ApiProperty({ type: () => [CategoryDto] }) children!: CategoryDto[];
}

export class CreateCategoryDto {
  @ApiProperty({ example: 'memberships.education', description: 'lower-case segments joined by dots; the part before the last dot is the parent' })
  @IsString()
  @MaxLength(100)
  @Matches(/^[a-z0-9-]+(\.[a-z0-9-]+)*$/, { message: 'code must be lower-case letters, digits and dashes, in dot-separated segments' })
  code!: string;

  @ApiProperty({ example: 'Education memberships' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  nameEn!: string;

  @ApiProperty({ example: '教育会员' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  nameZh!: string;
}
