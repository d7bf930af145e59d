/** Shared setup for the S3 simulator tests: a simulator over a small org, clients, and raw HTTP helpers. */
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { request } from 'node:http';
import { expect } from 'vitest';
import type { Simulator } from '../../local/sim/server.ts';
import { fakeAuthorization } from './core-fixtures.ts';

export function s3Client(sim: Simulator, region = 'us-east-1', extra: Record<string, unknown> = {}): S3Client {
  return new S3Client({ ...sim.clientConfig(region), maxAttempts: 1, ...extra });
}

/** The error a promise rejects with; fails the test if it resolves. */
export function rejection(promise: Promise<unknown>): Promise<S3ServiceException> {
  return promise.then(
    () => expect.unreachable('expected the call to fail'),
    (e: unknown) => e as S3ServiceException,
  );
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A hand-made request, for wire details the SDK never produces (malformed input, custom chunking). */
export function raw(
  sim: Simulator,
  method: string,
  path: string,
  headers: Record<string, string | number> = {},
  body?: Buffer | string,
  region = 'us-east-1',
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(`${sim.url}${path}`, { method, headers: { authorization: fakeAuthorization('s3', region), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
