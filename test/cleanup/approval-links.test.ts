import { DisableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { World } from '../../local/sim/world.ts';
import { kmsStore } from '../../local/sim/services/kms.ts';
import { approvalUrl, checkLink, kmsMacSigner, linkMessage, signLink, type MacSigner } from '../../src/cleanup/approval/links.ts';

const MGMT = '111111111111';
const NOW = new Date('2026-03-01T12:00:00Z');
const IN_A_DAY = Math.floor(NOW.getTime() / 1000) + 86_400;

describe('approval links signed with a KMS HMAC key (simulated KMS)', () => {
  let sim: Simulator;
  let signer: MacSigner;
  let otherKeySigner: MacSigner;

  beforeAll(async () => {
    const world = new World('o-links0test', MGMT, 'r-lnk0');
    world.accounts.set(MGMT, {
      id: MGMT,
      name: 'management',
      email: 'm@example.com',
      status: 'ACTIVE',
      parentId: 'r-lnk0',
      joinedAt: new Date(0),
      enabledRegions: ['us-east-1'],
      roles: new Map(),
    });
    sim = await startSimulator({ world });
    const kms = new KMSClient(sim.clientConfig());
    signer = kmsMacSigner(kms, kmsStore(world, MGMT, 'us-east-1').createHmacKey({ alias: 'alias/approvals' }));
    otherKeySigner = kmsMacSigner(kms, kmsStore(world, MGMT, 'us-east-1').createHmacKey());
  });
  afterAll(() => sim.stop());

  it('accepts the link it signed, for that sweep, approver and expiry only', async () => {
    const link = await signLink(signer, 'sweep-1', 'alice@example.com', IN_A_DAY);
    expect(link.sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await checkLink(signer, 'sweep-1', link, NOW)).toEqual({ ok: true });

    expect(await checkLink(signer, 'sweep-2', link, NOW)).toEqual({ ok: false, why: 'invalid' });
    expect(await checkLink(signer, 'sweep-1', { ...link, approver: 'mallory@example.com' }, NOW)).toEqual({ ok: false, why: 'invalid' });
    expect(await checkLink(signer, 'sweep-1', { ...link, expires: link.expires + 3600 }, NOW)).toEqual({ ok: false, why: 'invalid' });
  });

  it('rejects a flipped signature and a signature made with another key', async () => {
    const link = await signLink(signer, 'sweep-1', 'alice@example.com', IN_A_DAY);
    const flipped = Buffer.from(link.sig, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(await checkLink(signer, 'sweep-1', { ...link, sig: flipped.toString('base64url') }, NOW)).toEqual({ ok: false, why: 'invalid' });
    const foreign = await signLink(otherKeySigner, 'sweep-1', 'alice@example.com', IN_A_DAY);
    expect(await checkLink(signer, 'sweep-1', foreign, NOW)).toEqual({ ok: false, why: 'invalid' });
  });

  it('treats every link as invalid once the key is disabled (revocation)', async () => {
    const world = sim.world;
    const keyId = kmsStore(world, MGMT, 'us-east-1').createHmacKey();
    const revocable = kmsMacSigner(new KMSClient(sim.clientConfig()), keyId);
    const link = await signLink(revocable, 'sweep-1', 'alice@example.com', IN_A_DAY);
    expect(await checkLink(revocable, 'sweep-1', link, NOW)).toEqual({ ok: true });
    await new KMSClient(sim.clientConfig()).send(new DisableKeyCommand({ KeyId: keyId }));
    expect(await checkLink(revocable, 'sweep-1', link, NOW)).toEqual({ ok: false, why: 'invalid' });
  });

  it('calls an expired link expired without asking KMS', async () => {
    let calls = 0;
    const counting: MacSigner = { sign: (m) => signer.sign(m), verify: async (m, mac) => (calls++, signer.verify(m, mac)) };
    const link = await signLink(signer, 'sweep-1', 'alice@example.com', Math.floor(NOW.getTime() / 1000) - 1);
    expect(await checkLink(counting, 'sweep-1', link, NOW)).toEqual({ ok: false, why: 'expired' });
    expect(calls).toBe(0);
  });

  it('builds a URL that carries only the signed fields, never the key', async () => {
    const link = await signLink(signer, 'sweep-1', 'alice+ops@example.com', IN_A_DAY);
    const url = new URL(approvalUrl('https://abc.execute-api.us-east-1.amazonaws.com/prod/', 'sweep-1', link));
    expect(url.pathname).toBe('/prod/approvals/sweep-1');
    expect([...url.searchParams.keys()].sort()).toEqual(['approver', 'expires', 'sig']);
    expect(url.searchParams.get('approver')).toBe('alice+ops@example.com');
    expect(url.href).not.toMatch(/alias|key/i);
  });

  it('refuses to sign messages that could be confused with another field layout', () => {
    expect(() => linkMessage('sweep-1', 'a@example.com\nx', 1)).toThrow(/line breaks/);
    expect(() => linkMessage('bad/sweep', 'a@example.com', 1)).toThrow();
  });
});
