import type { DataSource } from 'typeorm';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@kami/testing';
// Imported by path: the package index pulls in NestJS, which jest (CJS, Node 20) cannot load.
import { ChangeNotifications } from '../src/database/change-notifications';
import { testDataSource } from './fixtures/test-data-source';

describe('ChangeNotifications: long-polls woken by committed changes', () => {
  let db: MigratedTestDatabase;
  let dataSource: DataSource;
  let notifications: ChangeNotifications;
  const errors: unknown[] = [];

  beforeAll(async () => {
    db = await createMigratedTestDatabase('change_notifications', testDataSource);
    dataSource = db.dataSource;
    notifications = new ChangeNotifications({ connectionString: db.database.url, channel: 'test_widget_changed', onError: (e) => errors.push(e) });
    await notifications.start();
  });
  afterAll(async () => {
    await notifications?.stop();
    await db?.dispose();
  });

  it('wakes the waiters of a key when a transaction announcing it commits, and only them', async () => {
    const mine = notifications.waitFor('widget-1', 10_000);
    const other = notifications.waitFor('widget-2', 300);
    await dataSource.transaction((manager) => ChangeNotifications.announce(manager, 'test_widget_changed', 'widget-1'));
    expect(await mine.changed).toBe(true);
    expect(await other.changed).toBe(false);
    expect(notifications.waiting).toBe(0);
  });

  it('does not wake anyone for a transaction that rolls back', async () => {
    const wait = notifications.waitFor('widget-3', 500);
    await expect(
      dataSource.transaction(async (manager) => {
        await ChangeNotifications.announce(manager, 'test_widget_changed', 'widget-3');
        throw new Error('give up');
      }),
    ).rejects.toThrow('give up');
    expect(await wait.changed).toBe(false);
  });

  it('wakes everyone to read again when the listening connection is lost, then listens again', async () => {
    const wait = notifications.waitFor('widget-4', 10_000);
    await dataSource.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`);
    expect(await wait.changed).toBe(true);
    expect(errors.length).toBeGreaterThan(0);
    // Listening again: a later announcement reaches a new waiter (retried while the connection is reopened).
    let woken = false;
    const deadline = Date.now() + 10_000;
    while (!woken && Date.now() < deadline) {
      const again = notifications.waitFor('widget-4', 200);
      await dataSource.transaction((manager) => ChangeNotifications.announce(manager, 'test_widget_changed', 'widget-4'));
      woken = await again.changed;
    }
    expect(woken).toBe(true);
  });
});
