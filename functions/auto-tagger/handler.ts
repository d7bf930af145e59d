import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { streamLog, type Log } from '../../src/core/log-stream.ts';
import { autoTag, type AutoTagOutcome, type AutoTagSettings } from '../../src/prevention/auto-tag.ts';

/**
 * The member-account auto-tagger: EventBridge delivers each SageMaker CreateEndpoint and
 * CreateInferenceComponent call (via CloudTrail) in this account and region. Unlike the hub functions it
 * is inlined into the member StackSet template (a template body of at most 51,200 bytes), so it stays
 * free of the hub's shared modules (client factory, Powertools, zod) and takes its SDK client from the
 * Lambda runtime: the whole bundle is about 4 KB (a test keeps it under 6 KB).
 */
export interface AutoTaggerDeps {
  sagemaker: SageMakerClient;
  settings: AutoTagSettings;
  log: Log;
}

export function createHandler(deps: AutoTaggerDeps): (event: unknown) => Promise<AutoTagOutcome> {
  return async (event) => {
    const outcome = await autoTag(deps.sagemaker, event, deps.settings);
    const where =
      typeof event === 'object' && event !== null
        ? { account: (event as Record<string, unknown>).account, region: (event as Record<string, unknown>).region }
        : {};
    deps.log.info('auto-tag', { ...where, ...outcome });
    return outcome;
  };
}

export const DEFAULT_AUTO_DELETE_AFTER_DAYS = 90;

/** AUTO_DELETE_AFTER_DAYS: a positive integer of days; anything else falls back to the default, loudly. */
export function settingsFromEnv(env: Record<string, string | undefined>, warn: (message: string) => void): AutoTagSettings {
  const raw = env.AUTO_DELETE_AFTER_DAYS;
  const days = Number(raw);
  if (raw !== undefined && (!Number.isInteger(days) || days < 1 || days > 3650))
    warn(`AUTO_DELETE_AFTER_DAYS=${JSON.stringify(raw)} is not 1-3650 days; using ${DEFAULT_AUTO_DELETE_AFTER_DAYS}`);
  return { autoDeleteAfterDays: raw !== undefined && Number.isInteger(days) && days >= 1 && days <= 3650 ? days : DEFAULT_AUTO_DELETE_AFTER_DAYS };
}

let production: ((event: unknown) => Promise<AutoTagOutcome>) | undefined;

export const handler = (event: unknown): Promise<AutoTagOutcome> => {
  // Structured JSON lines on stdout, which Lambda keeps as the function's log (Powertools would not fit inline).
  const log = streamLog((line) => process.stdout.write(line));
  production ??= createHandler({ sagemaker: new SageMakerClient({}), settings: settingsFromEnv(process.env, (message) => log.warn(message)), log });
  return production(event);
};
