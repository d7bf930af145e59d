import type { ServerResponse } from 'node:http';
import type { Simulator, WebRoute } from './server.ts';
import { snsOutbox, type OutboxMessage } from './services/sns.ts';

/**
 * The simulator's own pages (unsigned GETs, for people and scripts):
 * `/` the organization and useful links, `/_sim/outbox` (+ `.json`) every SNS delivery,
 * `/_sim/ledger.json` call counts, `/_sim/health` a readiness probe.
 */
export function simWebRoutes(): WebRoute[] {
  return [
    async (req, res, url, sim) => {
      if (url.pathname === '/_sim/outbox/clear' && req.method === 'POST') {
        req.resume();
        snsOutbox(sim.world).clear();
        res.writeHead(303, { location: '/_sim/outbox' });
        res.end();
        return true;
      }
      // These pages only read, so only GET/HEAD are theirs; anything else (an unsigned API call to /) falls through.
      const page = PAGES[url.pathname];
      if (!page || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
      req.resume();
      page(res, url, sim);
      return true;
    },
  ];
}

type Page = (res: ServerResponse, url: URL, sim: Simulator) => void;

const PAGES: Record<string, Page> = {
  '/': (res, _url, sim) => html(res, 'zombie-sweep simulator', indexBody(sim)),
  '/_sim/outbox': (res, url, sim) => html(res, 'SNS outbox', outboxBody(sim, url.searchParams.get('endpoint') ?? undefined)),
  '/_sim/outbox.json': (res, url, sim) => {
    const endpoint = url.searchParams.get('endpoint');
    const outbox = snsOutbox(sim.world);
    json(res, { messages: endpoint ? outbox.to(endpoint) : outbox.messages });
  },
  '/_sim/ledger.json': (res, _url, sim) =>
    json(res, {
      total: sim.ledger.count(),
      errors: sim.ledger.count({ errors: true }),
      throttled: sim.traffic.throttledCount,
      byOperation: sim.ledger.byOperation(),
    }),
  '/_sim/health': (res) => json(res, { status: 'ok' }),
};

function indexBody(sim: Simulator): string {
  const world = sim.world;
  const parentName = (id: string) => (id === world.rootId ? 'Root' : (world.ous.get(id)?.name ?? id));
  const accounts = [...world.accounts.values()]
    .map((a) => {
      const roles = [...a.roles.values()].map((r) => `${esc(r.name)}${r.externalId ? ' (external id)' : ''}`).join(', ') || '<em>none</em>';
      const label = a.id === world.managementAccountId ? ' <strong>(management)</strong>' : '';
      return `<tr><td><code>${a.id}</code>${label}</td><td>${esc(a.name)}</td><td>${esc(a.email)}</td><td>${a.status}</td><td>${esc(parentName(a.parentId))}</td><td>${a.enabledRegions.map(esc).join(', ')}</td><td>${roles}</td></tr>`;
    })
    .join('');
  const ous = [...world.ous.values()]
    .map((ou) => `<tr><td><code>${ou.id}</code></td><td>${esc(ou.name)}</td><td>${esc(parentName(ou.parentId))}</td></tr>`)
    .join('');
  const env = Object.entries(sim.env())
    .map(([k, v]) => `export ${k}=${v}`)
    .join('\n');
  return `<h1>Simulated AWS organization <code>${world.organizationId}</code></h1>
<p>Root <code>${world.rootId}</code>, management account <code>${world.managementAccountId}</code>. Signed AWS API requests to <code>${esc(sim.url)}</code> are answered by the services: ${sim
    .serviceNames()
    .map((s) => `<code>${esc(s)}</code>`)
    .join(', ')}.</p>
<ul>
<li><a href="/_sim/outbox">SNS outbox</a> (${snsOutbox(world).messages.length} deliveries), <a href="/_sim/outbox.json">as JSON</a></li>
<li><a href="/_sim/ledger.json">Call ledger</a> (${sim.ledger.count()} calls answered)</li>
<li><a href="/_sim/health">Health</a></li>
</ul>
<h2>Environment (management account)</h2><pre>${esc(env)}</pre>
<h2>Accounts</h2><table><tr><th>Id</th><th>Name</th><th>Email</th><th>Status</th><th>Parent</th><th>Enabled regions</th><th>Roles</th></tr>${accounts}</table>
<h2>Organizational units</h2>${ous ? `<table><tr><th>Id</th><th>Name</th><th>Parent</th></tr>${ous}</table>` : '<p>None.</p>'}`;
}

function outboxBody(sim: Simulator, endpoint: string | undefined): string {
  const outbox = snsOutbox(sim.world);
  const messages = [...(endpoint ? outbox.to(endpoint) : outbox.messages)].reverse();
  const rows = messages.map(card).join('') || '<p>No deliveries yet.</p>';
  const filter = endpoint ? ` to <code>${esc(endpoint)}</code> (<a href="/_sim/outbox">all</a>)` : '';
  return `<h1>SNS outbox${filter}</h1>
<p>${messages.length} deliveries, newest first. <a href="">Refresh</a> · <a href="/_sim/outbox.json${endpoint ? `?endpoint=${encodeURIComponent(endpoint)}` : ''}">JSON</a> · <a href="/">Index</a></p>
<form method="post" action="/_sim/outbox/clear"><button type="submit">Clear outbox</button></form>
${rows}`;
}

function card(m: OutboxMessage): string {
  const attributes = Object.entries(m.attributes)
    .map(([name, a]) => `<code>${esc(name)}</code>=${esc(a.Value)} <small>(${esc(a.Type)})</small>`)
    .join(', ');
  return `<section class="msg">
<p><strong>${esc(m.subject ?? '(no subject)')}</strong><br>
<small>${esc(m.at)} · to ${esc(m.protocol)}: <a href="/_sim/outbox?endpoint=${encodeURIComponent(m.endpoint)}">${esc(m.endpoint)}</a> · topic <code>${esc(m.topicArn)}</code> · message ${esc(m.messageId)}</small></p>
${attributes ? `<p><small>Attributes: ${attributes}</small></p>` : ''}
<pre>${linkify(esc(m.body))}</pre>
</section>`;
}

/** Makes URLs in (already escaped) text clickable, so approval links in emails can be followed. */
export function linkify(escaped: string): string {
  return escaped.replace(/https?:\/\/[^\s<>"']+/g, (match) => {
    const url = match.replace(/[.,;:!?)]+$/, '');
    return `<a href="${url}">${url}</a>${match.slice(url.length)}`;
  });
}

export function esc(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function html(res: ServerResponse, title: string, body: string): void {
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:75rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}pre{background:#f6f6f6;padding:.75rem;white-space:pre-wrap;word-break:break-word}.msg{border-top:1px solid #ddd;margin-top:1rem}</style>
</head><body>${body}</body></html>`;
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(page);
}

function json(res: ServerResponse, value: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(value, null, 2));
}
