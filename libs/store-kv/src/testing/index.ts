export { describeKvBackendConformance, type KvBackendFixture } from './kv-backend-conformance';
