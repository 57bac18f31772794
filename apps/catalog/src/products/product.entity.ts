import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { PinPolicy, ProductStatus } from '@kami/contracts';
import { bigintNumber } from '@kami/platform';

@Entity({ name: 'product' })
export class ProductEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  @Column('uuid', { name: 'brand_id' })
  brandId!: string;

  @Column('text', { name: 'category_code' })
  categoryCode!: string;

  /** Minor units (fen). */
  @Column('bigint', { name: 'face_value', transformer: bigintNumber })
  faceValue!: number;

  @Column('char', { length: 3 })
  currency!: string;

  @Column('text')
  region!: string;

  @Column('text', { name: 'redemption_instructions' })
  redemptionInstructions!: string;

  @Column('text', { name: 'code_pattern' })
  codePattern!: string;

  @Column('text', { name: 'pin_policy' })
  pinPolicy!: PinPolicy;

  @Column('text', { name: 'pin_pattern', nullable: true })
  pinPattern!: string | null;

  @Column('boolean', { name: 'serial_required' })
  serialRequired!: boolean;

  @Column('text')
  status!: ProductStatus;

  /** The supplier that proposed it; null when an operator created it. */
  @Column('uuid', { name: 'proposed_by', nullable: true })
  proposedBy!: string | null;

  @Column('text', { name: 'review_note', nullable: true })
  reviewNote!: string | null;

  /** Lower-cased name, brand and region, for substring search (trigram index). */
  @Column('text', { name: 'search_text' })
  searchText!: string;

  @Column('integer')
  version!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
