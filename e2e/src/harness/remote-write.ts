import { WriteRequestV1Input, compressSnappy, encodeWriteRequestV1 } from '@panoptes/proto';

/** The outcome of one push: the HTTP status, or the transport error when there was no answer. */
export type PushOutcome = { status: number; body: string } | { error: string };

/**
 * POSTs a Prometheus remote-write 1.0 request (snappy-compressed protobuf, the headers Prometheus
 * sends) to `<baseUrl>/api/v1/push` for `tenant`. Never throws: a refused connection or a timeout
 * comes back as `{ error }`.
 */
export async function pushRemoteWrite(baseUrl: string, tenant: string, req: WriteRequestV1Input, timeoutMs = 5000): Promise<PushOutcome> {
  try {
    const res = await fetch(`${baseUrl}/api/v1/push`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-protobuf',
        'Content-Encoding': 'snappy',
        'X-Prometheus-Remote-Write-Version': '0.1.0',
        'X-Scope-OrgID': tenant,
      },
      body: compressSnappy(encodeWriteRequestV1(req)),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, body: await res.text() };
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: unknown } } | null;
    return { error: e?.cause?.code !== undefined ? String(e.cause.code) : (e?.name ?? String(err)) };
  }
}
