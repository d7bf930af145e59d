import type { Rng } from './random.ts';
import type { ApprovalBehaviour } from './faults.ts';
import type { FaultCounter } from './faults.ts';

/**
 * The approvers of a chaos sweep, acting on the real approval pages the way a browser does (GET the
 * page, keep its hidden fields, tick endpoints, POST), including the misbehaviours: double and
 * concurrent clicks, forged and expired links. Each click is recorded with what it asked for and
 * what the page answered, so the checker knows which decision was accepted without asking the product.
 */
export interface Click {
  approver: string;
  action: 'approve' | 'reject-all';
  approved: string[];
  rejected: string[];
  status: number;
  /** True when the page said the decision was recorded (200, or 503 "recorded, not yet delivered"). */
  accepted: boolean;
  /** With approver groups: the group this vote was for (the link's signed `group`). */
  group?: string;
  /** Of `approved`, the endpoints chosen for scale to zero instead of deletion. */
  scaleToZero?: string[];
  /** Forged or expired on purpose: must be refused. */
  tampered?: 'forged' | 'expired';
}

/** What the approval link's page showed: the form to decide, a decision already taken, or a refusal. */
type LinkPage =
  | { kind: 'form'; hidden: [string, string][]; candidates: string[]; scalable: string[] }
  | { kind: 'decided'; byMe: boolean; pending: boolean }
  | { kind: 'refused'; status: number }
  | { kind: 'unavailable'; status: number };

/** HTML attribute text back to what the page encoded. */
export const decode = (value: string) =>
  value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

const hiddenFields = (text: string) =>
  [...text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map(([, name, value]) => [name!, decode(value!)] as [string, string]);
const boxes = (text: string, name: string) =>
  [...text.matchAll(new RegExp(`<input type="checkbox"[^>]*name="${name}" value="([^"]+)"`, 'g'))].map(([, value]) => decode(value!));

/** Opens the link as a browser does (GET); a server error is retried like a person reloading. */
async function openLink(url: string, approver: string): Promise<LinkPage> {
  let status = 0;
  for (let attempt = 0; attempt < RELOADS; attempt++) {
    const response = await fetch(url);
    const text = await response.text();
    status = response.status;
    if (status >= 500) continue;
    if (text.includes('is already decided</h1>'))
      return { kind: 'decided', byMe: text.includes(`<p>${approver} decided at`), pending: text.includes('being handed to the workflow') };
    // With groups: this approver's vote is counted (the page lists the votes), or the group decided without it.
    if (/<h1>(Your choice is recorded|Group \S+ has decided)<\/h1>/.test(text))
      return { kind: 'decided', byMe: text.includes(`${approver} (`), pending: false };
    if (status !== 200 || !text.includes('<form method="post">')) return { kind: 'refused', status };
    return { kind: 'form', hidden: hiddenFields(text), candidates: boxes(text, 'endpoint'), scalable: boxes(text, 'scaleToZero') };
  }
  return { kind: 'unavailable', status };
}

async function post(url: string, form: URLSearchParams): Promise<{ status: number; text: string }> {
  const response = await fetch(url.split('?')[0]!, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  return { status: response.status, text: await response.text() };
}

/** Reloads of a page answering 5xx, and rounds of "open the link again, decide again" after a busy page: a patient person. */
const RELOADS = 5;
const ROUNDS = 15;

interface Choice {
  action: 'approve' | 'reject-all';
  keep?: (arn: string) => boolean;
  /** Of the approved endpoints the page offers scale to zero for, which to scale to zero instead of deleting. */
  zero?: (arn: string) => boolean;
}

/** Presses the page's buttons: "Reject all" (one POST), or "Delete the ticked endpoints…" then the confirmation's "Yes" button. */
async function submit(
  url: string,
  page: Extract<LinkPage, { kind: 'form' }>,
  action: Choice['action'],
  approved: string[],
  zero: string[],
  tamper: Click['tampered'],
): Promise<{ status: number; text: string; decisive: boolean }> {
  const body = new URLSearchParams();
  for (const [name, value] of page.hidden) body.append(name, tamperField(name, value, tamper));
  if (action === 'reject-all') {
    body.append('action', 'reject-all');
    return { ...(await post(url, body)), decisive: true };
  }
  for (const arn of approved) body.append('endpoint', arn);
  for (const arn of zero) body.append('scaleToZero', arn);
  body.append('action', 'review');
  const review = await post(url, body);
  if (review.status !== 200 || !review.text.includes('name="action" value="approve"')) return { ...review, decisive: false };
  const confirm = new URLSearchParams(hiddenFields(review.text));
  confirm.append('action', 'approve');
  return { ...(await post(url, confirm)), decisive: true };
}

/**
 * One approver's click, as a person would make it: open the link, tick, press the buttons; a busy page
 * (503) sends them back to the link to look whether a decision was recorded and, if not, to decide
 * again; "Decision recorded, not yet delivered" is answered with its "Try again" button.
 */
async function click(url: string, approver: string, choice: Choice, tamper?: Click['tampered']): Promise<Click> {
  const group = new URL(url).searchParams.get('group') ?? undefined;
  let chosen: { approved: string[]; rejected: string[]; zero: string[] } | undefined;
  const result = (status: number, accepted: boolean): Click => ({
    approver,
    action: choice.action,
    approved: chosen?.approved ?? [],
    rejected: chosen?.rejected ?? [],
    ...(chosen && chosen.zero.length > 0 ? { scaleToZero: chosen.zero } : {}),
    ...(group !== undefined ? { group } : {}),
    status,
    accepted,
    ...(tamper ? { tampered: tamper } : {}),
  });
  let answer = { status: 0, text: '', decisive: false };
  for (let round = 0; round < ROUNDS; round++) {
    const page = await openLink(url, approver);
    if (page.kind === 'decided') {
      // A busy answer may have come after the decision was recorded: the page now names its approver.
      if (page.byMe && chosen && !tamper) return page.pending ? retryDelivery(url, result) : result(200, true);
      return result(answer.status || 200, false);
    }
    if (page.kind === 'unavailable') continue;
    if (page.kind !== 'form') return result(page.status, false);
    chosen ??= choose(page, choice);
    answer = await submit(url, page, choice.action, chosen.approved, chosen.zero, tamper);
    if (answer.status < 500 || recorded(answer)) break;
  }
  // Only an answer to the deciding button counts: the confirmation step answers "already decided" with 200 when someone decided first.
  const accepted = (answer.decisive && answer.status === 200) || recorded(answer);
  for (let attempt = 0; attempt < ROUNDS && recorded(answer); attempt++) answer = { ...(await post(url, retryForm(answer.text))), decisive: true };
  return result(answer.status, accepted);
}

function choose(page: Extract<LinkPage, { kind: 'form' }>, choice: Choice): { approved: string[]; rejected: string[]; zero: string[] } {
  let approved = choice.action === 'approve' ? page.candidates.filter((arn) => !choice.keep?.(arn)) : [];
  // A partial decision keeps some endpoints, never all of them (the page refuses an approval of nothing).
  if (choice.action === 'approve' && approved.length === 0 && page.candidates.length > 0) approved = [page.candidates[0]!];
  const zero = approved.filter((arn) => page.scalable.includes(arn) && choice.zero?.(arn) === true);
  return { approved, rejected: page.candidates.filter((arn) => !approved.includes(arn)), zero };
}

/** The "Try again" form of the undelivered page: the link's fields and action=retry. */
function retryForm(text: string): URLSearchParams {
  const form = new URLSearchParams(hiddenFields(text));
  form.append('action', 'retry');
  return form;
}

/** Own decision recorded but still pending (its send failed or is under way): press "Try again" until it is delivered. */
async function retryDelivery(url: string, result: (status: number, accepted: boolean) => Click): Promise<Click> {
  const link = new URL(url);
  const form = new URLSearchParams([...link.searchParams.entries()]);
  form.append('action', 'retry');
  let answer = await post(url, form);
  for (let attempt = 0; attempt < ROUNDS && (answer.status >= 500 || recorded(answer)); attempt++)
    answer = await post(url, recorded(answer) ? retryForm(answer.text) : form);
  return result(answer.status, true);
}

const recorded = (answer: { status: number; text: string }) => answer.status === 503 && answer.text.includes('Decision recorded');

function tamperField(name: string, value: string, tamper: Click['tampered']): string {
  if (tamper === 'forged' && name === 'sig') return (value[0] === 'A' ? 'B' : 'A') + value.slice(1);
  if (tamper === 'expired' && name === 'expires') return String(Math.floor(Date.now() / 1000) - 60);
  return value;
}

export interface ApprovalLink {
  approver: string;
  url: string;
}

/** What the approvers may do besides deciding delete or keep: scale to zero where the page offers it. */
export interface ApproverHabits {
  /** Chance that an approver picks scale to zero for an offered endpoint; absent: never. */
  zeroShare?: number;
}

function keepSome(rng: Rng): (arn: string) => boolean {
  const kept = new Set<string>();
  return (arn: string) => {
    if (!kept.has(arn) && rng.chance(0.5)) kept.add(arn);
    return kept.has(arn);
  };
}

/** Plays one approval behaviour on the links the approvers received; returns every click made. */
export async function approve(
  behaviour: ApprovalBehaviour,
  links: ApprovalLink[],
  rng: Rng,
  counter: FaultCounter,
  habits: ApproverHabits = {},
): Promise<Click[]> {
  if (links.length === 0) return [];
  const [first, second] = [links[0]!, links[1] ?? links[0]!];
  const zero = habits.zeroShare === undefined ? undefined : (_arn: string) => rng.chance(habits.zeroShare!);
  const approveAll: Choice = { action: 'approve', ...(zero ? { zero } : {}) };
  const partial = (): Choice => ({ ...approveAll, keep: keepSome(rng) });
  counter.hit(`approval:${behaviour}`);
  const clicks = await play();
  for (const c of clicks) if (c.accepted && !c.tampered && c.scaleToZero) counter.hit('approval:scale-to-zero-chosen', c.scaleToZero.length);
  return clicks;

  async function play(): Promise<Click[]> {
    switch (behaviour) {
      case 'timeout':
        return [];
      case 'approve-all':
        return [await click(first.url, first.approver, approveAll)];
      case 'partial':
        return [await click(first.url, first.approver, partial())];
      case 'reject-all':
        return [await click(first.url, first.approver, { action: 'reject-all' })];
      case 'double-click': {
        const one = await click(first.url, first.approver, partial());
        return [one, await click(second.url, second.approver, rng.chance(0.5) ? approveAll : { action: 'reject-all' })];
      }
      case 'concurrent-clicks':
        return Promise.all([click(first.url, first.approver, approveAll), click(second.url, second.approver, partial())]);
      case 'forged-link':
      case 'expired-link': {
        const tampered = await click(first.url, first.approver, { action: 'approve' }, behaviour === 'forged-link' ? 'forged' : 'expired');
        return [tampered, await click(second.url, second.approver, partial())];
      }
    }
  }
}

/**
 * With approver groups every approver votes on their group's endpoints through their own link (one
 * per group they belong to). The behaviour decides how: nobody (timeout), everyone approves
 * everything, the first of each group rejects everything, or each approver keeps a random part;
 * concurrent clicks send every vote at once; a tampered link is tried before the real votes.
 */
export async function approveInGroups(behaviour: ApprovalBehaviour, links: ApprovalLink[], rng: Rng, counter: FaultCounter): Promise<Click[]> {
  if (links.length === 0) return [];
  counter.hit(`approval:${behaviour}`);
  counter.hit('approval-groups');
  const choiceFor = (index: number): Choice =>
    behaviour === 'approve-all'
      ? { action: 'approve' }
      : behaviour === 'reject-all'
        ? index === 0
          ? { action: 'reject-all' }
          : { action: 'approve' }
        : { action: 'approve', keep: keepSome(rng) };
  const byGroup = new Map<string, ApprovalLink[]>();
  for (const link of links) {
    const group = new URL(link.url).searchParams.get('group') ?? '';
    byGroup.set(group, [...(byGroup.get(group) ?? []), link]);
  }
  const votes = [...byGroup.values()].flatMap((groupLinks) => groupLinks.map((link, index) => ({ link, choice: choiceFor(index) })));
  switch (behaviour) {
    case 'timeout':
      return [];
    case 'concurrent-clicks':
      return Promise.all(votes.map((v) => click(v.link.url, v.link.approver, v.choice)));
    case 'forged-link':
    case 'expired-link': {
      const tampered = await click(votes[0]!.link.url, votes[0]!.link.approver, { action: 'approve' }, behaviour === 'forged-link' ? 'forged' : 'expired');
      return [tampered, ...(await sequential(votes))];
    }
    default:
      return sequential(votes);
  }
}

async function sequential(votes: { link: ApprovalLink; choice: Choice }[]): Promise<Click[]> {
  const clicks: Click[] = [];
  for (const v of votes) clicks.push(await click(v.link.url, v.link.approver, v.choice));
  return clicks;
}
