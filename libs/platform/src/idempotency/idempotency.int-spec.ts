import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { Body, Controller, HttpCode, Injectable, Module, Param, Post, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { IsInt, IsOptional, IsString, Length, Min } from 'class-validator';
import type { Request } from 'express';
import { DataSource } from 'typeorm';
import { createMigratedTestDatabase, eventually, testInfrastructure, type MigratedTestDatabase } from '@kami/testing';
import { CurrentIdentity, IdentityResolver } from '../auth/access';
import type { Identity } from '../auth/identity';
import { ServiceConfig } from '../config/service-config';
import { createServiceDataSource } from '../database/data-source';
import { DomainError } from '../errors/domain-error';
import { accessControlProviders, PlatformModule } from '../platform.module';
import { fingerprintKeyFrom, requestFingerprint } from './fingerprint';
import { Idempotent } from './idempotency.interceptor';
import { IdempotencyStore } from './idempotency.store';

/*
 * The Idempotency-Key kit in a real Nest app built on PlatformModule.forRoot (its database is a
 * fresh, migrated PostgreSQL database; Kafka is only connected, nothing is published), over HTTP.
 * Callers are told apart by an `x-test-organisation` header (this app's identity resolver).
 */

const SECRET = randomBytes(32).toString('base64url');

class CreateWidgetDto {
  @IsString()
  @Length(1, 50)
  name!: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  quantity?: number;
}

class SellDto {
  @IsString()
  outcome!: 'sold_out' | 'crash_once' | 'ok';
}

/** A handler can be held at a gate (to keep its request in flight while others arrive). */
class Gate {
  open!: () => void;
  readonly passed = new Promise<void>((resolve) => (this.open = resolve));
}

const state = {
  calls: { create: 0, required: 0, sell: 0, touch: 0 },
  gate: undefined as Gate | undefined,
  crashed: new Set<string>(),
};

@Injectable()
class HeaderIdentityResolver extends IdentityResolver {
  async resolve(request: Request): Promise<Identity | undefined> {
    const organisationId = request.headers['x-test-organisation'];
    if (typeof organisationId !== 'string') return undefined;
    return { organisationId, organisationType: 'merchant', principalType: 'user', principalId: `user-of-${organisationId}`, roles: ['admin'] };
  }
}

@Controller('widgets')
class WidgetsController {
  constructor(private readonly dataSource: DataSource) {}

  @Post()
  @Idempotent()
  async create(@CurrentIdentity() identity: Identity, @Body() body: CreateWidgetDto): Promise<unknown> {
    state.calls.create++;
    await state.gate?.passed;
    const id = randomUUID();
    await this.dataSource.query(`INSERT INTO widget (id, organisation_id, name) VALUES ($1, $2, $3)`, [id, identity.organisationId, body.name]);
    return { id, name: body.name, quantity: body.quantity ?? 1, createdAt: new Date(), secret: randomBytes(8).toString('hex') };
  }

  @Post('required')
  @Idempotent({ required: true })
  required(): { ok: true } {
    state.calls.required++;
    return { ok: true };
  }

  @Post(':id/sell')
  @Idempotent()
  sell(@Param('id') id: string, @Body() body: SellDto): unknown {
    state.calls.sell++;
    if (body.outcome === 'sold_out') throw new DomainError('widget_sold_out', 409, 'This widget is sold out.', { remaining: 0 });
    if (body.outcome === 'crash_once' && !state.crashed.has(id)) {
      state.crashed.add(id);
      throw new Error('the database went away');
    }
    return { id, sold: true, call: state.calls.sell };
  }

  @Post('touch')
  @HttpCode(200)
  @Idempotent()
  touch(): { touched: number } {
    return { touched: ++state.calls.touch };
  }
}

interface Answer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted, not trusted
  body: any;
}

describe('Idempotency-Key on a PlatformModule service (real PostgreSQL)', () => {
  let db: MigratedTestDatabase | undefined;
  let app: INestApplication | undefined;
  let url: string;

  const org = (): string => `org-${randomUUID()}`;
  const newKey = (): string => randomUUID();

  async function post(path: string, options: { org: string; key?: string; json?: unknown; rawJson?: string }): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-test-organisation': options.org };
    if (options.key !== undefined) headers['idempotency-key'] = options.key;
    const response = await fetch(`${url}${path}`, { method: 'POST', headers, body: options.rawJson ?? JSON.stringify(options.json ?? {}) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  }

  const expectProblem = (answer: Answer, status: number, code: string): void => {
    expect({ status: answer.status, code: answer.body?.code }).toEqual({ status, code });
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  };

  const rows = async (sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> => db!.dataSource.query(sql, params);
  const widgetCount = async (organisationId: string): Promise<number> =>
    Number((await rows(`SELECT count(*)::int AS n FROM widget WHERE organisation_id = $1`, [organisationId]))[0]!.n);

  beforeAll(async () => {
    db = await createMigratedTestDatabase('idempotency', (databaseUrl) => createServiceDataSource({ url: databaseUrl, service: 'test-idempotency', poolSize: 4 }));
    await db.dataSource.query(`CREATE TABLE widget (id uuid PRIMARY KEY, organisation_id text NOT NULL, name text NOT NULL)`);

    const config = Object.assign(new ServiceConfig(), {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      PORT: 0,
      DATABASE_URL: db.database.url,
      RUN_MIGRATIONS_ON_START: false,
      KAFKA_BROKERS: (await testInfrastructure()).kafkaBrokers,
      IDEMPOTENCY_FINGERPRINT_KEY: SECRET,
    } satisfies Partial<ServiceConfig>);

    @Module({
      imports: [PlatformModule.forRoot({ service: 'test-idempotency', config, identity: 'custom' })],
      controllers: [WidgetsController],
      providers: [...accessControlProviders(HeaderIdentityResolver)],
    })
    class TestModule {}

    app = await NestFactory.create(TestModule, new ExpressAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  }, 60_000);

  afterAll(async () => {
    state.gate?.open();
    await app?.close();
    await db?.dispose();
  });

  it('runs the handler once for concurrent requests with one key: the others get 409 with Retry-After: 1', async () => {
    const organisationId = org();
    const key = newKey();
    const before = state.calls.create;
    const gate = (state.gate = new Gate());
    let settled = 0;
    const answers = Promise.all(
      Array.from({ length: 6 }, () => post('/widgets', { org: organisationId, key, json: { name: 'Gadget' } }).finally(() => settled++)),
    );
    // Five are refused while the sixth is held inside its handler.
    try {
      await eventually(async () => settled, (n) => n === 5, { what: 'five refused requests', timeoutMs: 15_000, intervalMs: 20 });
      expect(state.calls.create - before).toBe(1);
    } finally {
      state.gate = undefined;
      gate.open();
    }

    const all = await answers;
    expect(all.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    for (const refused of all.filter((a) => a.status === 409)) {
      expectProblem(refused, 409, 'idempotency_request_in_progress');
      expect(refused.headers.get('retry-after')).toBe('1');
    }
    const created = all.find((a) => a.status === 201)!;
    expect(created.headers.get('idempotent-replayed')).toBeNull();

    // The client's retry now gets the stored response.
    const retried = await post('/widgets', { org: organisationId, key, json: { name: 'Gadget' } });
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(retried.body).toEqual(created.body);
    expect(state.calls.create - before).toBe(1);
    expect(await widgetCount(organisationId)).toBe(1);
  });

  it('replays the first response (same status and body, whatever the key order) and stores it with the route and status', async () => {
    const organisationId = org();
    const key = newKey();
    const before = state.calls.create;
    const first = await post('/widgets', { org: organisationId, key, json: { name: 'Sprocket', quantity: 3 } });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ id: expect.any(String), name: 'Sprocket', quantity: 3, createdAt: expect.any(String), secret: expect.any(String) });

    const again = await post('/widgets', { org: organisationId, key, rawJson: '{ "quantity": 3.0, "name": "Sprocket" }' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(state.calls.create - before).toBe(1);
    expect(await widgetCount(organisationId)).toBe(1);

    const [stored] = await rows(
      `SELECT route, state, response_status, response_body, lock_token, locked_until,
              expires_at - completed_at >= interval '24 hours' AS kept_a_day
         FROM platform_idempotency WHERE organisation_id = $1 AND idempotency_key = $2`,
      [organisationId, key],
    );
    expect(stored).toEqual({
      route: 'POST /widgets',
      state: 'completed',
      response_status: 201,
      response_body: first.body,
      lock_token: null,
      locked_until: null,
      kept_a_day: true,
    });
  });

  it('answers 422 idempotency_key_reused for the same key with a different body, without running the handler', async () => {
    const organisationId = org();
    const key = newKey();
    expect((await post('/widgets', { org: organisationId, key, json: { name: 'Cog' } })).status).toBe(201);
    const before = state.calls.create;
    const reused = await post('/widgets', { org: organisationId, key, json: { name: 'Another cog' } });
    expectProblem(reused, 422, 'idempotency_key_reused');
    expect(reused.headers.get('idempotent-replayed')).toBeNull();
    // The same key on another route is another key.
    expect((await post('/widgets/required', { org: organisationId, key })).status).toBe(201);
    expect(state.calls.create).toBe(before);
    expect(await widgetCount(organisationId)).toBe(1);
  });

  it('scopes keys to the caller’s organisation', async () => {
    const key = newKey();
    const [a, b] = [org(), org()];
    const first = await post('/widgets', { org: a, key, json: { name: 'Shared name' } });
    const second = await post('/widgets', { org: b, key, json: { name: 'Shared name' } });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(second.body.id).not.toBe(first.body.id);
    expect([await widgetCount(a), await widgetCount(b)]).toEqual([1, 1]);
  });

  it('takes over a claim whose holder stopped extending it; the stalled holder cannot overwrite the new response', async () => {
    const organisationId = org();
    const key = newKey();
    const before = state.calls.create;
    const gate = (state.gate = new Gate());
    const stalled = post('/widgets', { org: organisationId, key, json: { name: 'Flywheel' } });
    try {
      await eventually(async () => state.calls.create - before, (n) => n === 1, { what: 'the first request in its handler', intervalMs: 20 });
      state.gate = undefined;
      // As if its process had died: its claim lapsed and its token no longer matches.
      const [, lapsed] = (await rows(
        `UPDATE platform_idempotency SET locked_until = now() - interval '1 second', lock_token = $3
          WHERE organisation_id = $1 AND idempotency_key = $2 AND state = 'in_progress'`,
        [organisationId, key, randomUUID()],
      )) as unknown as [unknown, number];
      expect(lapsed).toBe(1);

      const retried = await post('/widgets', { org: organisationId, key, json: { name: 'Flywheel' } });
      expect(retried.status).toBe(201);
      expect(retried.headers.get('idempotent-replayed')).toBeNull();
      expect(state.calls.create - before).toBe(2);

      gate.open();
      const late = await stalled;
      expect(late.status).toBe(201);
      expect(late.body.id).not.toBe(retried.body.id);
      // Two rows: the documented limit of a lapsed claim (handlers that must act once key their own rows).
      expect(await widgetCount(organisationId)).toBe(2);

      const replay = await post('/widgets', { org: organisationId, key, json: { name: 'Flywheel' } });
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body).toEqual(retried.body);
    } finally {
      state.gate = undefined;
      gate.open();
      await stalled.catch(() => undefined);
    }
  });

  it('does not take over a lapsed claim for a different request (422), nor a claim that still holds (409)', async () => {
    const store = new IdempotencyStore(db!.dataSource, { purgeIntervalMs: 0 });
    const scope = { organisationId: org(), route: 'POST /widgets', key: newKey() };
    const claimed = await store.begin(scope, 'fingerprint-a', 60);
    expect(claimed.kind).toBe('claimed');
    expect(await store.begin(scope, 'fingerprint-a')).toEqual({ kind: 'in_progress' });
    expect(await store.begin(scope, 'fingerprint-b')).toEqual({ kind: 'mismatch' });

    await rows(`UPDATE platform_idempotency SET locked_until = now() - interval '1 second' WHERE organisation_id = $1`, [scope.organisationId]);
    expect(await store.begin(scope, 'fingerprint-b')).toEqual({ kind: 'mismatch' });
    const takeover = await store.begin(scope, 'fingerprint-a');
    expect(takeover.kind).toBe('claimed');
    if (claimed.kind !== 'claimed' || takeover.kind !== 'claimed') throw new Error('unreachable');

    // The old holder can neither complete, extend nor release what it no longer holds.
    expect(await store.complete(claimed.claim, 201, { from: 'old holder' })).toBe(false);
    expect(await store.extend(claimed.claim)).toBe(false);
    expect(await store.release(claimed.claim)).toBe(false);
    expect(await store.extend(takeover.claim)).toBe(true);
    expect(await store.complete(takeover.claim, 201, { from: 'new holder' })).toBe(true);
    expect(await store.begin(scope, 'fingerprint-a')).toEqual({ kind: 'replay', status: 201, body: { from: 'new holder' } });
  });

  it('stores and replays a 4xx domain error', async () => {
    const organisationId = org();
    const key = newKey();
    const before = state.calls.sell;
    const first = await post('/widgets/w-1/sell', { org: organisationId, key, json: { outcome: 'sold_out' } });
    expectProblem(first, 409, 'widget_sold_out');
    expect(first.body).toMatchObject({ detail: 'This widget is sold out.', remaining: 0 });

    const again = await post('/widgets/w-1/sell', { org: organisationId, key, json: { outcome: 'sold_out' } });
    expectProblem(again, 409, 'widget_sold_out');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toMatchObject({ detail: 'This widget is sold out.', remaining: 0, instance: '/widgets/w-1/sell' });
    expect(state.calls.sell - before).toBe(1);

    // Same key, same body, another :id: another request.
    expectProblem(await post('/widgets/w-2/sell', { org: organisationId, key, json: { outcome: 'sold_out' } }), 422, 'idempotency_key_reused');
  });

  it('releases the key after an unexpected error (500), so the retry runs the handler', async () => {
    const organisationId = org();
    const key = newKey();
    const id = `w-${randomUUID()}`;
    const before = state.calls.sell;
    expectProblem(await post(`/widgets/${id}/sell`, { org: organisationId, key, json: { outcome: 'crash_once' } }), 500, 'internal_error');
    expect(await rows(`SELECT 1 FROM platform_idempotency WHERE organisation_id = $1`, [organisationId])).toEqual([]);

    const retried = await post(`/widgets/${id}/sell`, { org: organisationId, key, json: { outcome: 'crash_once' } });
    expect(retried.status).toBe(201);
    expect(retried.body).toMatchObject({ id, sold: true });
    const replayed = await post(`/widgets/${id}/sell`, { org: organisationId, key, json: { outcome: 'crash_once' } });
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body).toEqual(retried.body);
    expect(state.calls.sell - before).toBe(2);
  });

  it('does not store a refused DTO: the client may fix the body and retry with the same key', async () => {
    const organisationId = org();
    const key = newKey();
    expectProblem(await post('/widgets', { org: organisationId, key, json: { name: '', extra: true } }), 400, 'validation_failed');
    const fixed = await post('/widgets', { org: organisationId, key, json: { name: 'Fixed' } });
    expect(fixed.status).toBe(201);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
  });

  it('replays the route’s own status (@HttpCode(200))', async () => {
    const organisationId = org();
    const key = newKey();
    const first = await post('/widgets/touch', { org: organisationId, key });
    const again = await post('/widgets/touch', { org: organisationId, key });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('validates the header, requires it where the route says so, and ignores its absence elsewhere', async () => {
    const organisationId = org();
    expectProblem(await post('/widgets', { org: organisationId, key: 'k'.repeat(256), json: { name: 'Too long a key' } }), 400, 'invalid_idempotency_key');
    expectProblem(await post('/widgets', { org: organisationId, key: 'clé', json: { name: 'Not ASCII' } }), 400, 'invalid_idempotency_key');
    const beforeRequired = state.calls.required;
    expectProblem(await post('/widgets/required', { org: organisationId }), 400, 'idempotency_key_required');
    expect(state.calls.required).toBe(beforeRequired);
    expect(await widgetCount(organisationId)).toBe(0);

    // Without a key, a retry is a new request.
    expect((await post('/widgets', { org: organisationId, json: { name: 'No key' } })).status).toBe(201);
    expect((await post('/widgets', { org: organisationId, json: { name: 'No key' } })).status).toBe(201);
    expect(await widgetCount(organisationId)).toBe(2);
    expect(await rows(`SELECT 1 FROM platform_idempotency WHERE organisation_id = $1`, [organisationId])).toEqual([]);
  });

  it('forgets keys after their retention: expired rows are purged, and an expired key may be used again', async () => {
    const organisationId = org();
    const [oldKey, freshKey] = [newKey(), newKey()];
    expect((await post('/widgets', { org: organisationId, key: oldKey, json: { name: 'Old' } })).status).toBe(201);
    expect((await post('/widgets', { org: organisationId, key: freshKey, json: { name: 'Fresh' } })).status).toBe(201);
    await rows(`UPDATE platform_idempotency SET expires_at = now() - interval '1 second' WHERE organisation_id = $1 AND idempotency_key = $2`, [
      organisationId,
      oldKey,
    ]);

    // Past its retention the key is free, even for a different body.
    const reused = await post('/widgets', { org: organisationId, key: oldKey, json: { name: 'New use of an old key' } });
    expect(reused.status).toBe(201);
    expect(reused.headers.get('idempotent-replayed')).toBeNull();

    await rows(`UPDATE platform_idempotency SET expires_at = now() - interval '1 second' WHERE organisation_id = $1 AND idempotency_key = $2`, [
      organisationId,
      oldKey,
    ]);
    const store = new IdempotencyStore(db!.dataSource, { purgeIntervalMs: 0 });
    expect(await store.purgeExpired()).toBeGreaterThanOrEqual(1);
    expect((await rows(`SELECT idempotency_key FROM platform_idempotency WHERE organisation_id = $1`, [organisationId])).map((r) => r.idempotency_key)).toEqual([
      freshKey,
    ]);
  });

  it('keeps a secret-keyed fingerprint, not the request body', async () => {
    const organisationId = org();
    const key = newKey();
    const body = { name: 'password-like-value-123' };
    expect((await post('/widgets', { org: organisationId, key, json: body })).status).toBe(201);
    const [row] = await rows(`SELECT fingerprint FROM platform_idempotency WHERE organisation_id = $1`, [organisationId]);
    const plain = requestFingerprint({ method: 'POST', route: '/widgets', params: {}, query: {}, body });
    expect(row!.fingerprint).toBe(requestFingerprint({ method: 'POST', route: '/widgets', params: {}, query: {}, body }, fingerprintKeyFrom(SECRET)));
    expect(row!.fingerprint).not.toBe(plain);
  });
});
