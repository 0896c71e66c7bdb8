/** Largest send/broadcast body, in bytes (1 MiB); the project applies 1 MB caps consistently. */
export const maxMessageBytes = 1_048_576;
/** `messageTtlSeconds` range of the REST API. */
export const maxMessageTtlSeconds = 300;
/** Longest name this app accepts for a group, user or connection. */
export const maxNameLength = 1024;
/** Default client token lifetime, minutes. */
export const defaultTokenLifetimeMinutes = 60;
/** Longest client token lifetime the settings accept, minutes (one day). */
export const maxTokenLifetimeMinutes = 1440;
/** Connections one service client keeps open to the service (kept alive, reused; more calls queue). */
export const maxServiceConnections = 64;
/** Service clients the events trigger keeps for hubs other than the configured one (least recently used evicted). */
export const maxCachedHubClients = 16;
