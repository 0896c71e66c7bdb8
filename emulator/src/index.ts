/**
 * `@serverless-pubsub-kit/emulator`: a local Azure Web PubSub and Azure SignalR Service
 * (serverless). `startLocalService()` is the one-call start for test setups; `createServer()` takes
 * every option of the core, including your own meter, backplane or event dispatcher.
 */
export { startLocalService, type LocalService, type LocalServiceOptions } from "./start-local-service";
export { createServer, type ServiceServer } from "./server";
export { DEFAULT_ACCESS_KEY, InvalidOptionsError, type ServiceKind, type ServiceLogger, type ServiceOptions, type ServiceClock } from "./options";
export type { ServiceApi } from "./service-api";
export { PACKAGE_VERSION } from "./package-version";
export { RedisBackplane } from "./backplane/redis-backplane";
export type { RedisBackplaneOptions } from "./backplane/redis-backplane-options";
export type { Backplane } from "./backplane/backplane";
export { createUsageMeter, type UsageMeter, type UsageMeterOptions } from "./metering/usage-meter";
export type { ServiceMeter } from "./metering/service-meter";
export type { UsageReport, HubUsageReport, ScopeReport } from "./metering/usage-report";
export { createUpstreamDispatcher } from "./upstream/http-upstream-dispatcher";
export type { UpstreamDispatcher } from "./upstream/upstream-dispatcher";
export { parseEventHandlerOption, settingsFromHandlers, type UpstreamSettings, type EventHandlerSettings } from "./upstream/upstream-settings";
export { decodeBackplaneMessage, encodeBackplaneMessage, type BackplaneMessage } from "./backplane/backplane-envelope";
