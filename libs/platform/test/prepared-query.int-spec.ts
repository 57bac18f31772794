import type { DataSource } from 'typeorm';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@kami/testing';
// Imported by path: the package index pulls in NestJS, which jest (CJS, Node 20) cannot load.
import { preparedQuery } from '../src/database/prepared-query';
import { testDataSource } from './fixtures/test-data-source';

describe('preparedQuery: a statement planned once per connection, inside the caller transaction', () => {
  let db: MigratedTestDatabase;
  let dataSource: DataSource;
  const insert = `WITH added AS (INSERT INTO gadget (id, n) SELECT * FROM unnest($1::text[], $2::int[]) RETURNING id, n) SELECT id, n FROM added ORDER BY id`;

  beforeAll(async () => {
    db = await createMigratedTestDatabase('prepared_query', testDataSource);
    dataSource = db.dataSource;
    await dataSource.query(`CREATE TABLE gadget (id text PRIMARY KEY, n int NOT NULL)`);
  });
  afterAll(async () => db?.dispose());

  const names = async (): Promise<string[]> => (await dataSource.query(`SELECT id FROM gadget ORDER BY id`)).map((r: { id: string }) => r.id);

  it('returns rows, runs again under the same name, and is undone by the rollback of its transaction', async () => {
    await dataSource.transaction(async (manager) => {
      expect(await preparedQuery(manager, 'test_gadget_insert', insert, [['a', 'b'], [1, 2]])).toEqual([
        { id: 'a', n: 1 },
        { id: 'b', n: 2 },
      ]);
      expect(await preparedQuery(manager, 'test_gadget_insert', insert, [['c'], [3]])).toEqual([{ id: 'c', n: 3 }]);
    });
    expect(await names()).toEqual(['a', 'b', 'c']);

    await expect(
      dataSource.transaction(async (manager) => {
        await preparedQuery(manager, 'test_gadget_insert', insert, [['d'], [4]]);
        throw new Error('give up');
      }),
    ).rejects.toThrow('give up');
    expect(await names()).toEqual(['a', 'b', 'c']);
  });

  it('works without a transaction too, through an ordinary query', async () => {
    expect(await preparedQuery(dataSource.manager, 'test_gadget_insert', insert, [['e'], [5]])).toEqual([{ id: 'e', n: 5 }]);
    expect(await names()).toContain('e');
  });
});
