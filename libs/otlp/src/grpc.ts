import { METRICS_SERVICE_EXPORT_PATH } from './proto/otlp-metrics-descriptor';
import { encodeExportMetricsResponseProtobuf } from './proto/protobuf-codec';

/** What the `Export` handler returns: the partial success, or undefined for full success. */
export interface ExportMetricsServiceResult {
  partialSuccess?: { rejectedDataPoints: number; errorMessage: string };
}

/**
 * A `@grpc/grpc-js` service definition for OTLP `MetricsService` (pass it to `Server.addService`).
 * The request is handed to the handler as the raw message bytes, so the handler decodes it with
 * `decodeExportMetricsRequestProtobuf` and maps a `ValidationError` to INVALID_ARGUMENT with
 * `grpcCodeOf` (a throwing deserializer would surface as INTERNAL). The message size limit is the
 * server's `grpc.max_receive_message_length`.
 */
export const otlpMetricsServiceDefinition = {
  Export: {
    path: METRICS_SERVICE_EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (bytes: Buffer): Buffer => bytes,
    requestDeserialize: (bytes: Buffer): Buffer => bytes,
    responseSerialize: (result: ExportMetricsServiceResult): Buffer =>
      Buffer.from(encodeExportMetricsResponseProtobuf(result.partialSuccess)),
    responseDeserialize: (bytes: Buffer): Buffer => bytes,
    originalName: 'export',
  },
} as const;
