import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class BrandDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'Steam' }) name!: string;
}

export class CreateBrandDto {
  @ApiProperty({ example: 'Tencent Video' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name!: string;
}
