import { topologySuite } from './scenarios';

// Kafka ingest mode, the chart's default for microservices: part of `npm test` (the quick subset).
topologySuite('kafka', { fullOnly: false });
