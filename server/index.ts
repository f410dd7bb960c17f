// `ov-live-elements/server`: the reference server for Node hosts (Fastify), and the embedded OpenVidu-2-compatible
// server. Compiled to dist/server/ by tsconfig.server.json.
export { buildApp, type BuildAppOptions, type Services } from '../demo-server/src/app.js';
export { startServer, type RunningServer } from '../demo-server/src/server.js';
export { loadConfig, ConfigError, type Config } from '../demo-server/src/config.js';
export type { Action, Authorize, Resource } from '../demo-server/src/plugins/authorize.js';
export { startEmbeddedOpenVidu, type EmbeddedOpenVidu, type EmbeddedOpenViduOptions, type Logger } from '../demo-server/embedded-openvidu/index.js';
