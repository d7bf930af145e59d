import { z } from 'zod';
import { InputValidationError } from '../core/errors.ts';
import { fitWidths, truncate } from '../core/table-fit.ts';
import { AccountIdSchema, EndpointArnSchema, EndpointNameSchema, RegionSchema, SweepIdSchema } from '../core/schemas.ts';
import { detailsOf, unresolvedIntents, type AuditEvent } from './events.ts';

/**
 * The audit trail query, pure: flag validation, filtering and the three output formats. Reading
 * events from S3 lives in reader.ts.
 */
export const AuditOutputSchema = z.enum(['table', 'json', 'csv']);
export type AuditOutput = z.infer<typeof AuditOutputSchema>;

export interface EndpointRef {
  name: string;
  accountId?: string;
  region?: string;
  arn?: string;
}

export interface AuditQuery {
  endpoint?: EndpointRef;
  accountId?: string;
  region?: string;
  sweepId?: string;
  since?: Date;
  output: AuditOutput;
}

const SinceSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/, 'must be an ISO date (YYYY-MM-DD) or timestamp (YYYY-MM-DDTHH:MM:SSZ)')
  .refine((value) => realDate(value), 'is not a real date');

/** Date.parse rolls 2025-02-30 over to March; a real date survives the round trip. */
function realDate(value: string): boolean {
  const parsed = Date.parse(/T/.test(value) ? value : `${value}T00:00:00Z`);
  if (Number.isNaN(parsed)) return false;
  return !/^\d{4}-\d{2}-\d{2}(T.*Z)?$/.test(value) || new Date(parsed).toISOString().slice(0, 10) === value.slice(0, 10);
}

const FlagsSchema = z
  .object({
    endpoint: z.union([EndpointArnSchema, EndpointNameSchema], { error: 'must be a SageMaker endpoint name or ARN' }).optional(),
    account: AccountIdSchema.optional(),
    region: RegionSchema.optional(),
    sweep: SweepIdSchema.optional(),
    since: SinceSchema.optional(),
    output: AuditOutputSchema.default('table'),
  })
  .strict();
export type AuditFlags = z.input<typeof FlagsSchema>;

/** `--region` is the AWS CLI's API region on every verb; the region filter of the trail is spelled apart. */
const FLAG_OF_FIELD: Record<string, string> = { region: '--endpoint-region' };

/** Table rendering options: the terminal width the table must fit, when known. */
export interface AuditRenderOptions {
  maxWidth?: number;
}

/** Validates CLI flags into a query; errors name the flag (`invalid --since: ...`). */
export function parseAuditQuery(flags: AuditFlags): AuditQuery {
  const result = FlagsSchema.safeParse(flags);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = String(issue.path[0] ?? 'options');
    const got = (flags as Record<string, unknown>)[field];
    const flag = FLAG_OF_FIELD[field] ?? `--${field}`;
    throw new InputValidationError(`invalid ${flag}: ${issue.message}${got !== undefined ? ` (got ${JSON.stringify(got)})` : ''}`, flag);
  }
  const parsed = result.data;
  const query: AuditQuery = { output: parsed.output };
  if (parsed.endpoint) {
    const arn = /^arn:aws[a-z-]*:sagemaker:([a-z0-9-]+):(\d{12}):endpoint\/(.+)$/.exec(parsed.endpoint);
    query.endpoint = arn ? { region: arn[1]!, accountId: arn[2]!, name: arn[3]!, arn: parsed.endpoint } : { name: parsed.endpoint };
    if (arn && parsed.account && parsed.account !== arn[2])
      throw new InputValidationError(`invalid --account: ${parsed.account} contradicts the endpoint ARN's account ${arn[2]}`, '--account');
    if (arn && parsed.region && parsed.region !== arn[1])
      throw new InputValidationError(`invalid --endpoint-region: ${parsed.region} contradicts the endpoint ARN's region ${arn[1]}`, '--endpoint-region');
  }
  if (parsed.account) query.accountId = parsed.account;
  if (parsed.region) query.region = parsed.region;
  if (parsed.sweep) query.sweepId = parsed.sweep;
  if (parsed.since) query.since = new Date(/T/.test(parsed.since) ? parsed.since : `${parsed.since}T00:00:00Z`);
  return query;
}

/** The account and region an endpoint query is pinned to (from its ARN or the flags). */
export function endpointScope(query: AuditQuery): { accountId?: string; region?: string } {
  return { accountId: query.endpoint?.accountId ?? query.accountId, region: query.endpoint?.region ?? query.region };
}

/**
 * Event keys start with the event time (`2025-01-31T10-00-00-000Z-...`), so under one prefix the
 * events since a date start right after `<prefix><since>`: ListObjectsV2 StartAfter skips the rest.
 */
export function startAfterFor(prefix: string, since: Date | undefined): string | undefined {
  return since ? `${prefix}${since.toISOString().replace(/[:.]/g, '-')}` : undefined;
}

export function matchesQuery(event: AuditEvent, query: AuditQuery): boolean {
  const scope = endpointScope(query);
  if (query.endpoint && event.endpointName !== query.endpoint.name) return false;
  if (scope.accountId && event.accountId !== scope.accountId) return false;
  if (scope.region && event.region !== scope.region) return false;
  if (query.sweepId && event.sweepId !== query.sweepId) return false;
  if (query.since && Date.parse(event.at) < query.since.getTime()) return false;
  return true;
}

export function sortEvents(events: AuditEvent[]): AuditEvent[] {
  return [...events].sort((a, b) => a.at.localeCompare(b.at) || a.eventId.localeCompare(b.eventId));
}

/** Tag changes in words (a leading +/- would be read as a formula by spreadsheets opening the CSV). */
export function tagChanges(before: Record<string, string> | undefined, after: Record<string, string> | undefined): string[] {
  if (!before || !after) return [];
  const changes: string[] = [];
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const was = before[key];
    const now = after[key];
    if (was === now) continue;
    if (was === undefined) changes.push(`set ${key}=${now}`);
    else if (now === undefined) changes.push(`removed ${key} (was ${was})`);
    else changes.push(`changed ${key}: ${was} -> ${now}`);
  }
  return changes;
}

/** Facts worth a glance: the reason, then the event's scalar details. */
export function eventNote(event: AuditEvent): string {
  const parts: string[] = [];
  if (event.reason) parts.push(event.reason);
  for (const [key, value] of Object.entries(event.details ?? {})) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'object') parts.push(`${key}=${Array.isArray(value) ? `[${value.length} items]` : '{...}'}`);
    // Details are JSON: what is left here is a string, number or boolean.
    else parts.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return parts.join('; ');
}

export interface TimelineRow {
  at: string;
  event: string;
  actor: string;
  sweepId: string;
  changes: string[];
  note: string;
}

/**
 * One endpoint's history. When an event's "before" tags differ from what the previous event left,
 * someone changed tags outside zombie-sweep in between (e.g. removed `zombie` to veto a deletion):
 * that is shown as its own row, because it is exactly what an auditor looks for.
 */
/** An intent no outcome followed is shown as what it is: the call may or may not have happened. */
export function eventLabel(event: AuditEvent, unresolved: ReadonlySet<string>): string {
  if (event.type !== 'intent') return event.type;
  const action = detailsOf(event, 'intent')?.action ?? 'unknown action';
  return unresolved.has(event.eventId) ? `${action}: attempted, outcome unknown` : `intent: ${action}`;
}

function unresolvedIds(events: AuditEvent[]): Set<string> {
  const byEndpoint = new Map<string, AuditEvent[]>();
  for (const e of events) {
    const key = `${e.accountId ?? ''}/${e.region ?? ''}/${e.endpointName ?? ''}`;
    byEndpoint.set(key, [...(byEndpoint.get(key) ?? []), e]);
  }
  return new Set([...byEndpoint.values()].flatMap((list) => unresolvedIntents(list).map((e) => e.eventId)));
}

export function timelineRows(events: AuditEvent[]): TimelineRow[] {
  const rows: TimelineRow[] = [];
  const unresolved = unresolvedIds(events);
  let known: Record<string, string> | undefined;
  for (const event of sortEvents(events)) {
    if (known && event.tagsBefore) {
      const external = tagChanges(known, event.tagsBefore);
      if (external.length > 0)
        rows.push({ at: `before ${event.at}`, event: '(tags changed outside zombie-sweep)', actor: '?', sweepId: '', changes: external, note: '' });
    }
    rows.push({
      at: event.at,
      event: eventLabel(event, unresolved),
      actor: event.actor,
      sweepId: event.sweepId ?? '',
      changes: tagChanges(event.tagsBefore, event.tagsAfter),
      note: eventNote(event),
    });
    known = event.tagsAfter ?? event.tagsBefore ?? known;
  }
  return rows;
}

function tableWidth(headers: string[], rows: string[][]): number {
  return headers.reduce((sum, header, column) => sum + Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)), 0) + 2 * (headers.length - 1);
}

export function renderTable(headers: string[], rows: string[][], options: AuditRenderOptions = {}): string {
  const natural = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  // The free-text columns (tag changes, notes) give up width first; times and ids stay whole.
  const flexible = headers.flatMap((header, i) => (/CHANGES|NOTE/.test(header) ? [i] : []));
  const widths = fitWidths(natural, options.maxWidth, { flexible, headers: headers.map((h) => h.length) });
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => truncate(cell, widths[column]!).padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

/** Words wrapped to `width`, each line indented; a word longer than the line is cut into pieces. */
export function wrap(text: string, width: number, indent: string): string[] {
  const room = Math.max(10, width - indent.length);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    for (let piece = word; piece.length > 0; piece = piece.slice(room)) {
      const part = piece.slice(0, room);
      if (line && line.length + 1 + part.length > room) {
        lines.push(line);
        line = '';
      }
      line = line ? `${line} ${part}` : part;
    }
  }
  if (line) lines.push(line);
  return lines.map((l) => `${indent}${l}`);
}

/**
 * The timeline for a terminal too narrow for its table: one block per event, its facts on the first
 * line and each tag change and the note wrapped below, so nothing is cut.
 */
function stackedTimeline(rows: TimelineRow[], width: number): string {
  const blocks = rows.map((row) => {
    const head = wrap(`${row.at}  ${row.event}  by ${row.actor}${row.sweepId ? `  (${row.sweepId})` : ''}`, width, '');
    const body = [...row.changes.flatMap((change) => wrap(change, width, '    ')), ...(row.note ? wrap(`note: ${row.note}`, width, '    ') : [])];
    return [...head, ...body].join('\n');
  });
  return `${blocks.join('\n')}\n`;
}

export function formatTimeline(events: AuditEvent[], endpoint: EndpointRef, options: AuditRenderOptions = {}): string {
  const sorted = sortEvents(events);
  const first = sorted[0];
  const arn = endpoint.arn ?? first?.endpointArn ?? endpoint.name;
  if (sorted.length === 0) return `No audit events for ${arn}.\n`;
  const timeline = timelineRows(sorted);
  const rows = timeline.flatMap((row) => {
    const changes = row.changes.length > 0 ? row.changes : [''];
    return changes.map((change, index) => (index === 0 ? [row.at, row.event, row.actor, row.sweepId, change, row.note] : ['', '', '', '', change, '']));
  });
  const last = sorted[sorted.length - 1]!;
  const deleted = [...sorted].reverse().find((e) => e.type === 'deleted' || e.type === 'restored');
  const attempted = unresolvedIntents(sorted).find((e) => detailsOf(e, 'intent')?.action === 'delete-endpoint');
  const status =
    deleted?.type === 'deleted'
      ? `deleted at ${deleted.at}`
      : deleted?.type === 'restored'
        ? `restored at ${deleted.at}`
        : attempted
          ? `deletion attempted at ${attempted.at} under sweep ${attempted.sweepId ?? '?'}, outcome unknown`
          : 'not deleted by zombie-sweep';
  const tags = last.tagsAfter ?? last.tagsBefore;
  const headers = ['AT', 'EVENT', 'ACTOR', 'SWEEP', 'TAG CHANGES', 'NOTE'];
  const body =
    options.maxWidth !== undefined && tableWidth(headers, rows) > options.maxWidth
      ? stackedTimeline(timeline, options.maxWidth)
      : renderTable(headers, rows, options);
  return [
    ...wrap(
      `Tag history of ${arn} (${first!.accountId ?? '?'} / ${first!.region ?? '?'}): ${sorted.length} events, ${status}`,
      options.maxWidth ?? Number.MAX_SAFE_INTEGER,
      '',
    ).map((l) => `${l}\n`),
    '\n',
    body,
    tags
      ? `\nTags after the last event: ${
          Object.entries(tags)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ') || '(none)'
        }\n`
      : '',
  ].join('');
}

export function formatEventList(events: AuditEvent[], options: AuditRenderOptions = {}): string {
  const sorted = sortEvents(events);
  if (sorted.length === 0) return 'No audit events match.\n';
  const unresolved = unresolvedIds(sorted);
  const rows = sorted.map((e) => [
    e.at,
    e.accountId ?? '',
    e.region ?? '',
    e.endpointName ?? '',
    eventLabel(e, unresolved),
    e.actor,
    e.sweepId ?? '',
    [...tagChanges(e.tagsBefore, e.tagsAfter), eventNote(e)].filter(Boolean).join('; '),
  ]);
  return `${sorted.length} audit events\n\n` + renderTable(['AT', 'ACCOUNT', 'REGION', 'ENDPOINT', 'EVENT', 'ACTOR', 'SWEEP', 'CHANGES / NOTE'], rows, options);
}

export const CSV_COLUMNS = [
  'at',
  'type',
  'actor',
  'sweepId',
  'accountId',
  'region',
  'endpointName',
  'endpointArn',
  'tagChanges',
  'reason',
  'details',
  'eventId',
] as const;

/**
 * RFC 4180 quoting, plus a leading apostrophe on cells a spreadsheet would execute as a formula
 * (OWASP "CSV Injection"): approver names and reasons are user input.
 */
export function csvCell(value: string): string {
  const guarded = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

export function formatCsv(events: AuditEvent[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const e of sortEvents(events)) {
    const cells = [
      e.at,
      e.type,
      e.actor,
      e.sweepId ?? '',
      e.accountId ?? '',
      e.region ?? '',
      e.endpointName ?? '',
      e.endpointArn ?? '',
      tagChanges(e.tagsBefore, e.tagsAfter).join('; '),
      e.reason ?? '',
      e.details ? JSON.stringify(e.details) : '',
      e.eventId,
    ];
    lines.push(cells.map(csvCell).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

export function formatJson(events: AuditEvent[]): string {
  return JSON.stringify(sortEvents(events), null, 2) + '\n';
}

/** The whole output for a query: a timeline for one endpoint, else a filtered list. */
export function formatAuditOutput(events: AuditEvent[], query: AuditQuery, options: AuditRenderOptions = {}): string {
  if (query.output === 'json') return formatJson(events);
  if (query.output === 'csv') return formatCsv(events);
  if (!query.endpoint) return formatEventList(events, options);
  if (events.length === 0) return formatTimeline([], query.endpoint, options);
  // A bare name may exist in several accounts or regions: one timeline each.
  const groups = new Map<string, AuditEvent[]>();
  for (const event of events) {
    const key = `${event.accountId}/${event.region}`;
    groups.set(key, [...(groups.get(key) ?? []), event]);
  }
  return [...groups.keys()]
    .sort()
    .map((key) => {
      const group = groups.get(key)!;
      return formatTimeline(group, { ...query.endpoint!, arn: query.endpoint!.arn ?? group.find((e) => e.endpointArn)?.endpointArn }, options);
    })
    .join('\n');
}
