import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, for a peer or a Panoptes process to listen
 * on. Chosen at random below the kernel's ephemeral range (`ip_local_port_range`, 32768 on
 * Linux by default), never from it: every outgoing connection takes its local port from that
 * range, and a process with many connections (Kafka, Redis, gRPC clients) can take a port between
 * the check here and the peer's bind (seen as EADDRINUSE in the e2e topology). Each candidate is
 * bound once to check it, and a port is handed out once per test process.
 */
export async function freePort(): Promise<number> {
  const [low, high] = candidateRange();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free TCP port on 127.0.0.1 in ${low}-${high} after 200 tries`);
}

const handedOut = new Set<number>();

/** Ports below the ephemeral range: [10000, its start - 1]. */
function candidateRange(): [number, number] {
  let ephemeralStart = 32768;
  try {
    const [start] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(start) && start > 11000) ephemeralStart = start;
  } catch {
    // Not Linux: keep the usual default.
  }
  return [10000, ephemeralStart - 1];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
