import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { InputValidationError } from '../core/errors.ts';
import { readJsonObject } from '../core/s3-json.ts';

/**
 * Reads what a Distributed Map's ResultWriter exported: `manifest.json` lists SUCCEEDED_n / FAILED_n /
 * PENDING_n files, each a JSON array of child executions with `Input` and `Output` (or `Error` and
 * `Cause`) as JSON strings.
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
 */

const FileRef = z.object({ Key: z.string(), Size: z.number().optional() });
const ManifestSchema = z.object({
  DestinationBucket: z.string(),
  MapRunArn: z.string(),
  ResultFiles: z.object({ SUCCEEDED: z.array(FileRef).default([]), FAILED: z.array(FileRef).default([]), PENDING: z.array(FileRef).default([]) }),
});
const EntrySchema = z.object({
  Input: z.string().optional(),
  Output: z.string().optional(),
  Error: z.string().optional(),
  Cause: z.string().optional(),
  Status: z.string().optional(),
});

export interface MapResults {
  succeeded: { input: unknown; output: unknown }[];
  /** Child executions that failed or never finished (PENDING): their input, and why. */
  failed: { input: unknown; error: string; cause: string }[];
}

function parseMaybe(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function readMapResults(s3: S3Client, bucket: string, manifestKey: string): Promise<MapResults> {
  const manifestFile = await readJsonObject(s3, bucket, manifestKey);
  if (!manifestFile) throw new InputValidationError(`no Map results manifest at s3://${bucket}/${manifestKey}`, 'manifestKey');
  const manifest = ManifestSchema.safeParse(manifestFile.value);
  if (!manifest.success) throw new InputValidationError(`s3://${bucket}/${manifestKey} is not a ResultWriter manifest`, 'manifestKey');
  const results: MapResults = { succeeded: [], failed: [] };
  const read = async (key: string) => {
    const file = await readJsonObject(s3, manifest.data.DestinationBucket, key);
    const entries = z.array(EntrySchema).safeParse(file?.value ?? []);
    if (!entries.success) throw new InputValidationError(`s3://${manifest.data.DestinationBucket}/${key} is not a ResultWriter result file`, 'manifestKey');
    return entries.data;
  };
  for (const ref of manifest.data.ResultFiles.SUCCEEDED) {
    for (const entry of await read(ref.Key)) results.succeeded.push({ input: parseMaybe(entry.Input), output: parseMaybe(entry.Output) });
  }
  for (const ref of [...manifest.data.ResultFiles.FAILED, ...manifest.data.ResultFiles.PENDING]) {
    for (const entry of await read(ref.Key)) {
      results.failed.push({ input: parseMaybe(entry.Input), error: entry.Error ?? entry.Status ?? 'States.Runtime', cause: entry.Cause ?? '' });
    }
  }
  return results;
}

/** Lambda errors reach the state machine with Cause = `{"errorType","errorMessage",...}`; people want the message. */
export function causeMessage(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: a States.* error's plain cause.
  }
  return cause;
}
