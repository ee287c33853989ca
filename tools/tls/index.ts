export { createTestCertificates, type TestCertificates } from './test-certificates';
