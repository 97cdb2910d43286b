/**
 * Ring status pages as pure functions of the ring and the time; the HTTP layer serves them.
 */
import { PartitionRing } from './partition-ring';
import { OwnerState, PartitionRingDesc, PartitionState } from './partition-ring-desc';
import { InstanceState, RingDesc } from './ring-desc';
import { RingSnapshot } from './ring-snapshot';

export interface RingStatusRow {
  id: string;
  state: InstanceState;
  addr: string;
  zone: string;
  /** Number of tokens held. */
  tokens: number;
  /** Percentage (0–100) of the key space this instance is the primary owner of. */
  ownershipPercent: number;
  lastHeartbeatMs: number;
  /** Milliseconds since the last heartbeat (negative when the instance's clock runs ahead). */
  heartbeatAgeMs: number;
  registeredAtMs: number;
  /** Heartbeat within the timeout (or the timeout is disabled). */
  healthy: boolean;
  readOnly: boolean;
}

/** One row per instance, sorted by zone then id. */
export function renderRingJson(desc: RingDesc, nowMs: number, heartbeatTimeoutMs: number): RingStatusRow[] {
  const ownership = RingSnapshot.fromDesc(desc, { heartbeatTimeoutMs, zoneAwarenessEnabled: false, name: 'status' }).ownership();
  return Object.entries(desc.instances)
    .map(([id, d]) => ({
      id,
      state: d.state,
      addr: d.addr,
      zone: d.zone,
      tokens: d.tokens.length,
      ownershipPercent: (ownership.get(id) ?? 0) * 100,
      lastHeartbeatMs: d.heartbeatMs,
      heartbeatAgeMs: nowMs - d.heartbeatMs,
      registeredAtMs: d.registeredAtMs,
      healthy: heartbeatTimeoutMs <= 0 || nowMs - d.heartbeatMs <= heartbeatTimeoutMs,
      readOnly: d.readOnly === true,
    }))
    .sort((a, b) => compare(a.zone, b.zone) || compare(a.id, b.id));
}

export interface RingHtmlOptions {
  /** Page heading, e.g. "Ingester ring". */
  title?: string;
  /** URL the "Forget" buttons post `forget=<id>` to; no buttons when absent. */
  forgetAction?: string;
}

/** A complete HTML page with one table row per instance. */
export function renderRingHtml(
  desc: RingDesc,
  nowMs: number,
  heartbeatTimeoutMs: number,
  options: RingHtmlOptions = {},
): string {
  const rows = renderRingJson(desc, nowMs, heartbeatTimeoutMs);
  const title = options.title ?? 'Ring status';
  const head = ['Instance', 'Zone', 'State', 'Address', 'Last heartbeat', 'Tokens', 'Ownership'];
  if (options.forgetAction) head.push('');
  const body = rows.map((r) => {
    const cells = [
      esc(r.id),
      esc(r.zone),
      esc(r.state),
      esc(r.addr),
      `${esc(formatAge(r.heartbeatAgeMs))}${r.healthy ? '' : ' <strong>(unhealthy)</strong>'}`,
      String(r.tokens),
      `${r.ownershipPercent.toFixed(2)}%`,
    ];
    if (options.forgetAction) {
      cells.push(
        `<form method="post" action="${esc(options.forgetAction)}"><input type="hidden" name="forget" value="${esc(r.id)}"><button type="submit">Forget</button></form>`,
      );
    }
    return `<tr class="${r.healthy ? 'healthy' : 'unhealthy'}">${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  const summary = `${rows.length} instances, ${rows.filter((r) => !r.healthy).length} unhealthy (heartbeat timeout ${formatAge(heartbeatTimeoutMs)}), at ${new Date(nowMs).toISOString()}`;
  return page(title, summary, head, body);
}

export interface PartitionStatusRow {
  id: number;
  state: PartitionState;
  stateChangedAtMs: number;
  /** Milliseconds since the last state change. */
  stateAgeMs: number;
  owners: Array<{ ownerId: string; state: OwnerState; updatedAtMs: number }>;
  /** Percentage (0–100) of written keys this partition receives; 0 unless ACTIVE. */
  ownershipPercent: number;
}

/** One row per partition, ascending by id. */
export function renderPartitionRingJson(
  desc: PartitionRingDesc,
  nowMs: number,
  tokensPerPartition?: number,
): PartitionStatusRow[] {
  const ownership = PartitionRing.fromDesc(desc, tokensPerPartition).ownership();
  return Object.entries(desc.partitions)
    .map(([key, p]) => {
      const id = Number(key);
      return {
        id,
        state: p.state,
        stateChangedAtMs: p.stateChangedAtMs,
        stateAgeMs: nowMs - p.stateChangedAtMs,
        owners: Object.values(desc.owners)
          .filter((o) => o.partitionId === id)
          .sort((a, b) => compare(a.ownerId, b.ownerId))
          .map((o) => ({ ownerId: o.ownerId, state: o.state, updatedAtMs: o.updatedAtMs })),
        ownershipPercent: (ownership.get(id) ?? 0) * 100,
      };
    })
    .sort((a, b) => a.id - b.id);
}

/** A complete HTML page with one table row per partition. */
export function renderPartitionRingHtml(
  desc: PartitionRingDesc,
  nowMs: number,
  options: { title?: string; tokensPerPartition?: number } = {},
): string {
  const rows = renderPartitionRingJson(desc, nowMs, options.tokensPerPartition);
  const head = ['Partition', 'State', 'State since', 'Owners', 'Ownership'];
  const body = rows.map((r) => {
    const owners = r.owners.map((o) => (o.state === 'ACTIVE' ? esc(o.ownerId) : `<s>${esc(o.ownerId)}</s>`)).join(', ');
    const cells = [String(r.id), esc(r.state), esc(formatAge(r.stateAgeMs)), owners, `${r.ownershipPercent.toFixed(2)}%`];
    return `<tr class="${r.state.toLowerCase()}">${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  const counts = (['ACTIVE', 'PENDING', 'INACTIVE'] as const).map((s) => `${rows.filter((r) => r.state === s).length} ${s}`);
  return page(options.title ?? 'Partition ring status', `${rows.length} partitions: ${counts.join(', ')}`, head, body);
}

/** "12s ago", "3m 4s ago", "in 2s" for a clock ahead of ours. */
export function formatAge(ms: number): string {
  const ahead = ms < 0;
  let s = Math.round(Math.abs(ms) / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`);
  const text = parts.slice(0, 2).join(' ');
  return ahead ? `in ${text}` : `${text} ago`;
}

function page(title: string, summary: string, head: string[], body: string[]): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(title)}</title>
<style>
body { font-family: sans-serif; margin: 1.5em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; }
tr.unhealthy, tr.inactive { background: #fdd; }
tr.pending { background: #ffd; }
form { margin: 0; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p>${esc(summary)}</p>
<table>
<thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>
<tbody>
${body.join('\n')}
</tbody>
</table>
</body>
</html>
`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
