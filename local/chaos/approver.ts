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
  /** Forged or expired on purpose: must be refused. */
  tampered?: 'forged' | 'expired';
}

interface PageForm {
  hidden: [string, string][];
  candidates: string[];
}

const decode = (value: string) => value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

async function readForm(url: string): Promise<PageForm | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const response = await fetch(url);
    const text = await response.text();
    if (response.status >= 500) continue;
    if (response.status !== 200) return undefined;
    const hidden = [...text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map(([, name, value]) => [name!, decode(value!)] as [string, string]);
    const candidates = [...text.matchAll(/<input type="checkbox"[^>]*name="endpoint" value="([^"]+)"/g)].map(([, value]) => decode(value!));
    return { hidden, candidates };
  }
  return undefined;
}

async function post(url: string, form: URLSearchParams): Promise<{ status: number; text: string }> {
  const response = await fetch(url.split('?')[0]!, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  return { status: response.status, text: await response.text() };
}

/** One approver's click; server errors are retried as a person would (the "Try again" button included). */
async function click(url: string, approver: string, choice: { action: 'approve' | 'reject-all'; keep?: (arn: string) => boolean }, tamper?: Click['tampered']): Promise<Click> {
  const form = await readForm(url);
  const candidates = form?.candidates ?? [];
  let approved = choice.action === 'approve' ? candidates.filter((arn) => !choice.keep?.(arn)) : [];
  // A partial decision keeps some endpoints, never all of them (the page refuses an approval of nothing).
  if (choice.action === 'approve' && approved.length === 0 && candidates.length > 0) approved = [candidates[0]!];
  const rejected = candidates.filter((arn) => !approved.includes(arn));
  const body = new URLSearchParams();
  const hidden: [string, string][] = form?.hidden ?? [...new URL(url).searchParams.entries()];
  for (const [name, value] of hidden) body.append(name, tamperField(name, value, tamper));
  for (const arn of approved) body.append('endpoint', arn);
  body.append('action', choice.action);
  let answer = await post(url, body);
  for (let attempt = 0; attempt < 5 && answer.status >= 500 && !recorded(answer); attempt++) answer = await post(url, body);
  const accepted = answer.status === 200 || recorded(answer);
  for (let attempt = 0; attempt < 5 && recorded(answer); attempt++) {
    const retry = new URLSearchParams(hidden.map(([n, v]) => [n, tamperField(n, v, tamper)] as [string, string]));
    retry.append('action', 'retry');
    answer = await post(url, retry);
  }
  return { approver, action: choice.action, approved, rejected, status: answer.status, accepted, ...(tamper ? { tampered: tamper } : {}) };
}

const recorded = (answer: { status: number; text: string }) => answer.status === 503 && answer.text.includes('Decision recorded');

function tamperField(name: string, value: string, tamper: Click['tampered']): string {
  if (tamper === 'forged' && name === 'sig') return (value[0] === 'A' ? 'B' : 'A') + value.slice(1);
  if (tamper === 'expired' && name === 'expires') return String(Math.floor(Date.now() / 1000) - 60);
  return value;
}

/** Plays one approval behaviour on the links the approvers received; returns every click made. */
export async function approve(behaviour: ApprovalBehaviour, links: { approver: string; url: string }[], rng: Rng, counter: FaultCounter): Promise<Click[]> {
  if (links.length === 0) return [];
  const [first, second] = [links[0]!, links[1] ?? links[0]!];
  const keepSome = () => {
    const kept = new Set<string>();
    return (arn: string) => {
      if (!kept.has(arn) && rng.chance(0.5)) kept.add(arn);
      return kept.has(arn);
    };
  };
  counter.hit(`approval:${behaviour}`);
  switch (behaviour) {
    case 'timeout':
      return [];
    case 'approve-all':
      return [await click(first.url, first.approver, { action: 'approve' })];
    case 'partial':
      return [await click(first.url, first.approver, { action: 'approve', keep: keepSome() })];
    case 'reject-all':
      return [await click(first.url, first.approver, { action: 'reject-all' })];
    case 'double-click': {
      const one = await click(first.url, first.approver, { action: 'approve', keep: keepSome() });
      return [one, await click(second.url, second.approver, { action: rng.pick(['approve', 'reject-all'] as const) })];
    }
    case 'concurrent-clicks':
      return Promise.all([click(first.url, first.approver, { action: 'approve' }), click(second.url, second.approver, { action: 'approve', keep: keepSome() })]);
    case 'forged-link':
    case 'expired-link': {
      const tampered = await click(first.url, first.approver, { action: 'approve' }, behaviour === 'forged-link' ? 'forged' : 'expired');
      return [tampered, await click(second.url, second.approver, { action: 'approve', keep: keepSome() })];
    }
  }
}
