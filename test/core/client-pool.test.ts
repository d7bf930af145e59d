import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScenarioSimulator, type Simulator } from '../../local/sim/index.ts';
import { ClientFactory, CredentialCache, credentialKey, SharedHttpHandler } from '../../src/core/clients.ts';
import { mapLimitStream } from '../../src/core/concurrency.ts';
import { queriesPerCall } from '../../src/detection/metrics.ts';

const MINUTE = 60_000;
const creds = (expiresInMs: number, id = 'AKIA') => ({ accessKeyId: id, secretAccessKey: 's', expiration: new Date(Date.now() + expiresInMs) });

describe('credential cache', () => {
  it('assumes once per key while the credentials are fresh, and again five minutes before they expire', async () => {
    const cache = new CredentialCache();
    let assumed = 0;
    const assume = async () => creds(60 * MINUTE, `AKIA${++assumed}`);
    await Promise.all([cache.get('a', assume), cache.get('a', assume), cache.get('a', assume)]);
    expect(assumed).toBe(1);
    const later = () => Date.now() + 56 * MINUTE;
    expect((await cache.get('a', assume, later)).accessKeyId).toBe('AKIA2');
  });

  it('forgets a failed AssumeRole so the next call tries again, and drops expired entries as new ones arrive', async () => {
    const cache = new CredentialCache();
    await expect(cache.get('a', () => Promise.reject(new Error('denied')))).rejects.toThrow('denied');
    expect((await cache.get('a', async () => creds(60 * MINUTE))).accessKeyId).toBe('AKIA');
    await cache.get('short', async () => creds(MINUTE));
    await cache.get('b', async () => creds(60 * MINUTE));
    expect(cache.size).toBe(2);
  });

  it('keys credentials by account, role, external id, session tags (in any order) and session name, not region', () => {
    const target = { accountId: '111111111111', region: 'us-east-1', roleName: 'R', sessionTags: { a: '1', b: '2' } };
    expect(credentialKey(target, 's')).toBe(credentialKey({ ...target, region: 'eu-west-1', sessionTags: { b: '2', a: '1' } }, 's'));
    expect(credentialKey(target, 's')).not.toBe(credentialKey({ ...target, sessionTags: { a: '1' } }, 's'));
    expect(credentialKey(target, 's')).not.toBe(credentialKey(target, 'other-sweep'));
    expect(credentialKey(target, 's')).not.toBe(credentialKey({ ...target, externalId: 'x' }, 's'));
  });
});

describe('shared connection pool', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startScenarioSimulator({ scenario: 'demo' });
  });
  afterAll(() => sim.stop());

  it('keeps serving every client after one of them is destroyed, within its socket bound', async () => {
    const pool = new SharedHttpHandler(4);
    const factory = new ClientFactory({
      hubRegion: 'us-east-1',
      sessionName: 't',
      endpoint: sim.url,
      credentials: async () => sim.clientConfig().credentials,
      httpHandler: pool,
    });
    const regions = ['us-east-1', 'eu-west-1', 'us-west-2'];
    const clients = regions.map((region) => factory.hub(SNSClient, region));
    await Promise.all(Array.from({ length: 30 }, (_, i) => clients[i % 3]!.send(new ListTopicsCommand({}))));
    expect(pool.openSockets()).toBeLessThanOrEqual(4);
    clients[0]!.destroy();
    await expect(clients[1]!.send(new ListTopicsCommand({}))).resolves.toBeDefined();
    pool.closeAll();
  });

  it('releases the clients of a scanned target and nothing else', () => {
    const factory = new ClientFactory({ hubRegion: 'us-east-1', sessionName: 't', endpoint: sim.url, credentials: async () => sim.clientConfig().credentials });
    const a = { accountId: '111111111111', region: 'us-east-1', roleName: 'R' };
    const b = { ...a, region: 'eu-west-1' };
    const first = factory.target(SNSClient, a);
    factory.target(SNSClient, b);
    factory.hub(SNSClient);
    factory.release(a);
    expect(factory.clientCount).toBe(2);
    expect(factory.target(SNSClient, a)).not.toBe(first);
  });
});

describe('batching and overlap', () => {
  it('fits every daily datapoint of a call in one answer: 500 queries over a month, about 207 over window and history', () => {
    const day = 86_400_000;
    const end = new Date('2026-12-01T00:00:00Z');
    expect(queriesPerCall(new Date(end.getTime() - 31 * day), end)).toBe(500);
    expect(queriesPerCall(new Date(end.getTime() - 486 * day), end)).toBe(207);
  });

  it('starts work on the first items while later ones are still arriving, and keeps arrival order', async () => {
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* arriving() {
      yield 1;
      await gate;
      yield 2;
    }
    const results = mapLimitStream(arriving(), 4, async (n) => {
      events.push(`start ${n}`);
      if (n === 1) release();
      return n * 10;
    });
    expect(await results).toEqual([10, 20]);
    expect(events).toEqual(['start 1', 'start 2']);
  });
});
