import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetExecutionHistoryCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import type { ClientFactory } from '../core/clients.ts';
import { InputValidationError, ZombieSweepError, errorMessage, errorName } from '../core/errors.ts';

/** The deployed workflow: finding its state machine, naming executions, following their history. */

export const DEFAULT_STACK_NAME = 'ZombieSweepHub';
export const STATE_MACHINE_OUTPUT = 'StateMachineArn';
export const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

/** The hub stack could not be read for a reason other than its absence. */
export class StackLookupError extends ZombieSweepError {}

/** `--state-machine-arn`, else the hub stack's `StateMachineArn` output. */
export async function resolveStateMachineArn(clients: ClientFactory, flags: { stateMachineArn?: string; stackName?: string }): Promise<string> {
  if (flags.stateMachineArn) {
    if (!STATE_MACHINE_ARN.test(flags.stateMachineArn))
      throw new InputValidationError(
        `invalid --state-machine-arn: not a state machine ARN (got ${JSON.stringify(flags.stateMachineArn)})`,
        '--state-machine-arn',
      );
    return flags.stateMachineArn;
  }
  const stackName = flags.stackName ?? DEFAULT_STACK_NAME;
  let outputs;
  try {
    outputs = (await clients.hub(CloudFormationClient).send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0]?.Outputs;
  } catch (error) {
    // Only "no such stack" is about the flag. Anything else (refused credentials, an endpoint that does
    // not speak CloudFormation and answers something the SDK cannot parse) is not bad input, and says so.
    if (errorName(error) === 'ValidationError' && /does not exist/i.test(errorMessage(error))) {
      throw new InputValidationError(
        `invalid --stack-name: stack ${stackName} does not exist in this account and region; deploy it (docs/deploy.md), or pass --state-machine-arn or --stack-name`,
        '--stack-name',
      );
    }
    throw new StackLookupError(`cannot read stack ${stackName}: ${errorName(error)}: ${errorMessage(error)}; pass --state-machine-arn to skip the lookup`, {
      cause: error,
    });
  }
  const arn = outputs?.find((o) => o.OutputKey === STATE_MACHINE_OUTPUT)?.OutputValue;
  if (!arn) throw new InputValidationError(`stack ${stackName} has no ${STATE_MACHINE_OUTPUT} output; pass --state-machine-arn`, '--stack-name');
  return arn;
}

/** `zombie-sweep start` names each execution after its sweep id, so `status SWEEP` can find it. */
export function executionArnFor(stateMachineArn: string, executionName: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}

/** `sweep-20250101-120000-ab12`: sortable, readable, and valid as an execution name, S3 key segment and tag value. */
export function newSweepId(now: Date, random: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `sweep-${stamp}-${random.slice(0, 4)}`;
}

/** Every history event after `afterId`, following pages. */
export async function historySince(sfn: SFNClient, executionArn: string, afterId: number): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken, includeExecutionData: false }));
    events.push(...(page.events ?? []).filter((e) => (e.id ?? 0) > afterId));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** One line per interesting event, for `--wait` and the local run's progress. */
export function describeEvent(
  event: Pick<HistoryEvent, 'type' | 'stateEnteredEventDetails' | 'taskFailedEventDetails' | 'mapRunFailedEventDetails' | 'executionFailedEventDetails'>,
): string | undefined {
  const type = event.type ?? '';
  if (type.endsWith('StateEntered') && !type.startsWith('Choice') && !type.startsWith('Pass')) return `→ ${event.stateEnteredEventDetails?.name ?? type}`;
  if (type === 'TaskFailed') return `  ! task failed: ${event.taskFailedEventDetails?.error ?? ''}`;
  if (type === 'MapRunFailed') return `  ! map run failed: ${event.mapRunFailedEventDetails?.cause ?? ''}`;
  if (type === 'ExecutionSucceeded') return '✓ sweep finished';
  if (type === 'ExecutionFailed') return `✗ sweep failed: ${event.executionFailedEventDetails?.error ?? ''}`;
  if (type === 'ExecutionAborted') return '✗ sweep stopped';
  if (type === 'ExecutionTimedOut') return '✗ sweep timed out';
  return undefined;
}
