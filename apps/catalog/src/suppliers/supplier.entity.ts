import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A supplier's display name, kept from the gateway's organisation events. */
@Entity({ name: 'supplier' })
export class SupplierEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  @Column('timestamptz', { name: 'registered_at' })
  registeredAt!: Date;
}
