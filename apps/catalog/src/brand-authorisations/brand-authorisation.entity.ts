import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const AUTHORISATION_STATUSES = ['pending', 'approved', 'rejected', 'revoked', 'expired'] as const;
export type AuthorisationStatus = (typeof AUTHORISATION_STATUSES)[number];

/** A supplier's right to sell a brand's SKUs, with the proof it uploaded and the operator's decision. */
@Entity({ name: 'brand_authorisation' })
export class BrandAuthorisationEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'supplier_id' })
  supplierId!: string;

  @Column('uuid', { name: 'brand_id' })
  brandId!: string;

  @Column('text')
  status!: AuthorisationStatus;

  @Column('text')
  note!: string;

  @Column('text', { name: 'proof_file_name' })
  proofFileName!: string;

  @Column('text', { name: 'proof_content_type' })
  proofContentType!: string;

  @Column('integer', { name: 'proof_size' })
  proofSize!: number;

  @Column('text', { name: 'proof_sha256' })
  proofSha256!: string;

  /** Loaded only when the document itself is asked for. */
  @Column('bytea', { name: 'proof_content', select: false })
  proofContent!: Buffer;

  @Column('timestamptz', { name: 'expires_at', nullable: true })
  expiresAt!: Date | null;

  @Column('text', { name: 'decision_reason', nullable: true })
  decisionReason!: string | null;

  @Column('uuid', { name: 'decided_by', nullable: true })
  decidedBy!: string | null;

  @Column('timestamptz', { name: 'decided_at', nullable: true })
  decidedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
