import type { Simulator } from '../sim/server.ts';
import { snsOutbox } from '../sim/services/sns/outbox.ts';
import type { FaultCounter } from './faults.ts';
import type { OwnerAct } from './owners.ts';
import type { Rng } from './random.ts';
import { decode } from './approver.ts';

/**
 * Owners acting on the owner notice: each opens the signed veto link their email carries (GET, which
 * changes nothing) and presses "Keep" on some of their endpoints (POST from the page, as a browser
 * does). A veto counts only when the page said the endpoint is kept; the checker then requires that
 * endpoint to survive the sweep.
 */

/** The veto links mailed for this sweep, one per owner (a retried notice step may mail the same link twice). */
export function vetoLinks(sim: Simulator, sweepId: string): { owner: string; url: string }[] {
  const links = new Map<string, { owner: string; url: string }>();
  for (const message of snsOutbox(sim.world).messages) {
    const url = message.message.match(/https?:\/\/\S+\/approvals\/\S+owner=\S+/)?.[0];
    if (!url || !url.includes(`/approvals/${encodeURIComponent(sweepId)}?`)) continue;
    links.set(url, { owner: message.endpoint, url });
  }
  return [...links.values()];
}

/** Reloads of a busy page, as a person would. */
const ATTEMPTS = 15;

async function fetchText(url: string, init?: RequestInit): Promise<{ status: number; text: string }> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(url, init);
    const text = await response.text();
    if (response.status < 500 || attempt >= ATTEMPTS) return { status: response.status, text };
  }
}

/** Each owner vetoes each of their endpoints with probability `share`; returns the vetoes the page confirmed. */
export async function vetoByLink(
  sim: Simulator,
  sweepId: string,
  share: number,
  keyOf: (arn: string) => string | undefined,
  rng: Rng,
  counter: FaultCounter,
): Promise<OwnerAct[]> {
  const acts: OwnerAct[] = [];
  for (const { url } of vetoLinks(sim, sweepId)) {
    const page = await fetchText(url);
    if (page.status !== 200) continue;
    for (const form of page.text.matchAll(/<form method="post" class="actions">([\s\S]*?)<\/form>/g)) {
      const fields = [...form[1]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map(
        ([, name, value]) => [name!, decode(value!)] as [string, string],
      );
      const arn = fields.find(([name]) => name === 'endpoint')?.[1];
      if (!arn || !rng.chance(share)) continue;
      const answer = await fetchText(url.split('?')[0]!, {
        method: 'POST',
        body: new URLSearchParams(fields),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      const key = keyOf(arn);
      if (answer.status === 200 && answer.text.includes(' is kept: ') && key) {
        acts.push({ action: 'owner-veto-link', key, at: Date.now() });
        counter.hit('owner-veto-link');
      }
    }
  }
  return acts;
}
