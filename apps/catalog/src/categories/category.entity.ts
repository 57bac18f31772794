import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'category' })
export class CategoryEntity {
  /** A dotted path: `game-cards.mobile` is a child of `game-cards`. */
  @PrimaryColumn('text')
  code!: string;

  @Column('text', { name: 'parent_code', nullable: true })
  parentCode!: string | null;

  @Column('text', { name: 'name_en' })
  nameEn!: string;

  @Column('text', { name: 'name_zh' })
  nameZh!: string;

  @Column('integer')
  position!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
