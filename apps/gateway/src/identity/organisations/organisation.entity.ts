import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { OrganisationType } from '@kami/contracts';

export interface SupplierProfile {
  legalName: string;
  businessLicenceNumber: string;
  contactPhone: string;
}

@Entity({ name: 'organisation' })
export class OrganisationEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  @Column('text')
  type!: OrganisationType;

  @Column('jsonb', { name: 'supplier_profile', nullable: true })
  supplierProfile!: SupplierProfile | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
