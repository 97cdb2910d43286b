import { topologySuite } from './scenarios';

// Classic ingest mode (distributors push to RF=3 ingesters over gRPC): `npm run e2e:full` only.
topologySuite('classic', { fullOnly: true });
