import { MemoryReplayGuard } from './replay-guard';

describe('MemoryReplayGuard', () => {
  it('accepts an id once until it expires, then forgets it', async () => {
    const guard = new MemoryReplayGuard();
    const now = 1_000_000;
    expect(await guard.firstUse('a', now + 30_000, now)).toBe(true);
    expect(await guard.firstUse('a', now + 30_000, now + 29_000)).toBe(false);
    expect(await guard.firstUse('b', now + 30_000, now)).toBe(true);
    expect(await guard.firstUse('a', now + 90_000, now + 31_000)).toBe(true);
  });

  it('refuses new ids rather than forget live ones when full', async () => {
    const guard = new MemoryReplayGuard(2);
    const now = 1_000_000;
    expect(await guard.firstUse('a', now + 30_000, now)).toBe(true);
    expect(await guard.firstUse('b', now + 30_000, now)).toBe(true);
    expect(await guard.firstUse('c', now + 30_000, now)).toBe(false);
    expect(await guard.firstUse('a', now + 30_000, now)).toBe(false);
    expect(await guard.firstUse('c', now + 60_000, now + 31_000)).toBe(true);
  });
});
