import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Half of each `code` page stays free. A code is written once at ingest and updated about once
 * (available → allocated); with room on its own page that update is HOT and touches none of the
 * four indexes. At fillfactor 80 three updates in four were not HOT (every 100-code allocation
 * made ~300 index entries): `npm run bench:reserve` qty100-allocate went from 66k to 112k codes/s
 * for 40% more heap. Applies to pages written from now on; `VACUUM FULL code` rewrites old ones.
 */
export class CodeRoomForAllocation1764100000000 implements MigrationInterface {
  name = 'CodeRoomForAllocation1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE code SET (fillfactor = 50)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE code SET (fillfactor = 80)`);
  }
}
