import * as grpc from '@grpc/grpc-js';
import { grpcCodeOf } from '@panoptes/common';
import { ExportMetricsServiceResult, otlpMetricsServiceDefinition } from './grpc';
import { METRICS_SERVICE_EXPORT_PATH } from './proto/otlp-metrics-descriptor';
import { decodeExportMetricsRequestProtobuf, decodeExportMetricsResponseProtobuf } from './proto/protobuf-codec';
import { gauge, point, request, resourceMetrics, sum, toProtobuf } from './testing/fixtures';
import { defaultOtlpTranslationConfig } from './translate/config';
import { partialSuccessOf, translateOtlpMetrics } from './translate/translator';

describe('otlpMetricsServiceDefinition with a real @grpc/grpc-js server', () => {
  let server: grpc.Server;
  let client: grpc.Client;

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(otlpMetricsServiceDefinition, {
      Export: (call: grpc.ServerUnaryCall<Buffer, ExportMetricsServiceResult>, callback: grpc.sendUnaryData<ExportMetricsServiceResult>) => {
        try {
          const req = decodeExportMetricsRequestProtobuf(call.request);
          const result = translateOtlpMetrics(req, defaultOtlpTranslationConfig());
          callback(null, { partialSuccess: partialSuccessOf(result) });
        } catch (err) {
          callback({ code: grpcCodeOf(err), details: (err as Error).message });
        }
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  function exportCall(body: Uint8Array): Promise<Buffer> {
    return new Promise((resolve, reject) =>
      client.makeUnaryRequest(
        METRICS_SERVICE_EXPORT_PATH,
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from(body),
        (err, res) => (err ? reject(err) : resolve(res!)),
      ),
    );
  }

  it('answers MetricsService/Export with a partial success naming the rejected points', async () => {
    const body = toProtobuf(
      request(resourceMetrics({ 'service.name': 'svc' }, [gauge('g', '', [point(1)]), sum('d', '', [point(1), point(2)], { temporality: 1 })])),
    );
    const res = decodeExportMetricsResponseProtobuf(await exportCall(body));
    expect(res.partialSuccess).toEqual({
      rejectedDataPoints: 2,
      errorMessage: expect.stringContaining('invalid temporality and type combination for metric "d"'),
    });
  });

  it('answers a full success with an empty response', async () => {
    const res = await exportCall(toProtobuf(request(resourceMetrics({}, [gauge('g', '', [point(1)])]))));
    expect(res).toHaveLength(0);
  });

  it('answers a malformed message with INVALID_ARGUMENT', async () => {
    await expect(exportCall(new Uint8Array([0x0a, 0x05, 0x01]))).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('malformed OTLP protobuf body'),
    });
  });
});
