import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessDeniedException, ListAccountsCommand, OrganizationsClient, OrganizationsServiceException } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { NotFoundException as SnsNotFoundException, PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { KMSClient, KMSInvalidMacException, KMSServiceException, NotFoundException as KmsNotFoundException, VerifyMacCommand } from '@aws-sdk/client-kms';
import type { Simulator } from '../../local/sim/server.ts';
import { kmsStore } from '../../local/sim/services/kms.ts';
import { DEV, MGMT, NO_ROLE, ROLE, assumeInto, fakeAuthorization, startSmallOrg } from './core-fixtures.ts';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSmallOrg();
});
afterAll(async () => {
  await sim.stop();
});

function post(body: string | Uint8Array, headers: Record<string, string>) {
  return fetch(`${sim.url}/`, { method: 'POST', body, headers });
}

const json = (service: string, target: string) => ({
  authorization: fakeAuthorization(service),
  'x-amz-target': target,
  'content-type': 'application/x-amz-json-1.1',
});
const form = (service: string) => ({ authorization: fakeAuthorization(service), 'content-type': 'application/x-www-form-urlencoded' });

async function expectHealthy(): Promise<void> {
  const sts = new STSClient({ ...sim.clientConfig(), maxAttempts: 1 });
  expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe(MGMT);
  sts.destroy();
}

describe('malformed requests get AWS-like errors and leave the simulator healthy', () => {
  it('JSON protocol: bad JSON, a non-object body, unknown and foreign operations, wrong types', async () => {
    const badJson = await post('{"MaxResults": ', json('organizations', 'AWSOrganizationsV20161128.ListAccounts'));
    expect(badJson.status).toBe(400);
    expect(badJson.headers.get('x-amzn-errortype')).toBe('SerializationException');
    expect(await badJson.json()).toMatchObject({ __type: 'SerializationException' });

    expect(await (await post('[1,2]', json('organizations', 'AWSOrganizationsV20161128.ListAccounts'))).json()).toMatchObject({
      __type: 'SerializationException',
    });
    expect(await (await post('{"MaxResults":"ten"}', json('organizations', 'AWSOrganizationsV20161128.ListAccounts'))).json()).toMatchObject({
      __type: 'SerializationException',
    });

    const unknownOp = await post('{}', json('organizations', 'AWSOrganizationsV20161128.DeleteEverything'));
    expect(unknownOp.status).toBe(400);
    expect(await unknownOp.json()).toMatchObject({ __type: 'UnknownOperationException' });
    expect(await (await post('{}', json('kms', 'AWSOrganizationsV20161128.ListAccounts'))).json()).toMatchObject({ __type: 'UnknownOperationException' });
    expect(await (await post('{}', { ...json('kms', ''), 'x-amz-target': '' })).json()).toMatchObject({ __type: 'UnknownOperationException' });
    await expectHealthy();
  });

  it('query protocols: missing and unknown actions, binary garbage, EC2 error format', async () => {
    const unknown = await post('Action=BecomeRoot&Version=2011-06-15', form('sts'));
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toMatch(/<ErrorResponse[^>]*><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code>/);
    expect(await (await post('Version=2011-06-15', form('sts'))).text()).toContain('<Code>MissingAction</Code>');
    const garbage = new Uint8Array(4096).map((_, i) => (i * 7919) % 256);
    expect(await (await post(garbage, form('sns'))).text()).toContain('<Code>MissingAction</Code>');
    const ec2 = await post('Action=RunInstances&Version=2016-11-15', form('ec2'));
    expect(await ec2.text()).toMatch(
      /^<\?xml[^>]*>\s*<Response><Errors><Error><Code>InvalidAction<\/Code><Message>[^<]+<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/,
    );
    await expectHealthy();
  });

  it('unsigned or half-signed API calls, unknown services and unknown pages', async () => {
    const unsignedJson = await post('{}', { 'x-amz-target': 'TrentService.ListAliases', 'content-type': 'application/x-amz-json-1.1' });
    expect(unsignedJson.status).toBe(403);
    expect(await unsignedJson.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
    const unsignedQuery = await post('Action=GetCallerIdentity&Version=2011-06-15', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(unsignedQuery.status).toBe(403);
    expect(await unsignedQuery.text()).toContain('<Code>MissingAuthenticationToken</Code>');
    const halfSigned = await post('Action=GetCallerIdentity&Version=2011-06-15', {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Signature=abc',
    });
    expect(await halfSigned.text()).toContain('<Code>IncompleteSignature</Code>');

    const unknownService = await post('{}', json('dynamodb', 'DynamoDB_20120810.ListTables'));
    expect(unknownService.status).toBe(400);
    expect(await unknownService.json()).toMatchObject({ __type: 'UnknownServiceException' });
    expect((await fetch(`${sim.url}/no/such/page`)).status).toBe(404);
    await expectHealthy();
  });

  it('survives clients that hang up mid-request', async () => {
    const url = new URL(sim.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(
          `POST / HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: ${fakeAuthorization('organizations')}\r\nX-Amz-Target: AWSOrganizationsV20161128.ListAccounts\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 1000\r\n\r\n{"Max`,
          () => socket.destroy(),
        );
      });
      socket.resume();
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    // The hung-up call is recorded (once the server notices), not reported as a simulator failure.
    const deadline = Date.now() + 5000;
    const aborted = () => sim.ledger.filter({ operation: 'ListAccounts' }).filter((e) => e.errorCode === 'RequestAborted');
    while (aborted().length === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(aborted()).toHaveLength(1);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(url.port), url.hostname, () => socket.end('THIS IS NOT HTTP\r\n\r\n'));
      socket.resume();
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
    await expectHealthy();
  });

  it('records signed malformed calls in the ledger with their error code', async () => {
    sim.ledger.reset();
    await post('{', json('organizations', 'AWSOrganizationsV20161128.ListAccounts'));
    await post('{}', json('organizations', 'AWSOrganizationsV20161128.Nope'));
    expect(sim.ledger.entries.map((e) => [e.service, e.operation, e.status, e.errorCode])).toEqual([
      ['organizations', 'ListAccounts', 400, 'SerializationException'],
      ['organizations', 'Unknown', 400, 'UnknownOperationException'],
    ]);
  });
});

describe('the SDK raises the modelled exception classes', () => {
  it('for Organizations, STS, SNS and KMS errors', async () => {
    const devCreds = await assumeInto(sim, DEV);
    const memberOrg = new OrganizationsClient({ ...sim.clientConfig(), credentials: devCreds, maxAttempts: 1 });
    const orgError = await memberOrg.send(new ListAccountsCommand({})).catch((e: unknown) => e);
    expect(orgError).toBeInstanceOf(AccessDeniedException);
    expect(orgError).toBeInstanceOf(OrganizationsServiceException);

    const sts = new STSClient({ ...sim.clientConfig(), maxAttempts: 1 });
    const stsError = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${NO_ROLE}:role/${ROLE}`, RoleSessionName: 'x1' })).catch((e: unknown) => e);
    expect(stsError).toBeInstanceOf(STSServiceException);
    expect(stsError).toMatchObject({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } });

    const sns = new SNSClient({ ...sim.clientConfig(), maxAttempts: 1 });
    const snsError = await sns.send(new PublishCommand({ TopicArn: `arn:aws:sns:us-east-1:${MGMT}:absent`, Message: 'x' })).catch((e: unknown) => e);
    expect(snsError).toBeInstanceOf(SnsNotFoundException);
    expect(snsError).toBeInstanceOf(SNSServiceException);

    const kms = new KMSClient({ ...sim.clientConfig(), maxAttempts: 1 });
    const keyId = kmsStore(sim.world, MGMT, 'us-east-1').createHmacKey();
    const badMac = await kms
      .send(new VerifyMacCommand({ KeyId: keyId, Message: new Uint8Array([1]), Mac: new Uint8Array(32), MacAlgorithm: 'HMAC_SHA_256' }))
      .catch((e: unknown) => e);
    expect(badMac).toBeInstanceOf(KMSInvalidMacException);
    expect(badMac).toBeInstanceOf(KMSServiceException);
    await expect(
      kms.send(new VerifyMacCommand({ KeyId: 'alias/none', Message: new Uint8Array([1]), Mac: new Uint8Array(32), MacAlgorithm: 'HMAC_SHA_256' })),
    ).rejects.toBeInstanceOf(KmsNotFoundException);
    for (const client of [memberOrg, sts, sns, kms]) client.destroy();
  });
});
