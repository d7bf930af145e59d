/**
 * The workflow's Lambda functions. Infra creates one function per name (code in functions/<name>/handler.ts),
 * the ASL references each as `${<Pascal>FunctionArn}`, and the local runner maps each to its in-process handler.
 */
export const WORKFLOW_FUNCTIONS = [
  'validate-input',
  'list-targets',
  'scan',
  'collect',
  'snapshot',
  'tag',
  'request-approval',
  'apply-decision',
  'delete',
  'report',
  'record-failure',
] as const;

export type WorkflowFunction = (typeof WORKFLOW_FUNCTIONS)[number];

/** Not called by the state machine: serves the approval pages behind API Gateway. */
export const APPROVAL_WEB_FUNCTION = 'approval-web' as const;

export function pascalCase(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

export function functionArnPlaceholder(name: WorkflowFunction): string {
  return `${pascalCase(name)}FunctionArn`;
}
