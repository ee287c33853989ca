export { openRepository, EMBEDDED_STORE_FOLDER, type StoreSettings } from './open-repository';
export { loadPseudonymiser, GENERATED_KEY_FILE, type KeyFiles, type PrivacySettings } from './privacy-key';
export { nodeKeyFiles } from './node-key-files';
export { openWorkLeases } from './open-work-leases';
export { serverOptionsFor, type ServedRole, type ServerConfig } from './server-options';
export { runServerApp, type BoundPorts, type ServerAppSpec, type ServerProcess } from './server-app';
