export { describeRepositoryConformance, type RepositoryFixture } from './repository-conformance';
