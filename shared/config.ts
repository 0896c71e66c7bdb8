import { KeyObject } from "node:crypto";
import type { Algorithm } from "jsonwebtoken";
import { AppError } from "./errors";
import type { GrantPolicy } from "./grant-policy";
import { isWebPubSubRole } from "./grant-policy";
import { defaultTokenLifetimeMinutes, maxTokenLifetimeMinutes } from "./limits";
import { isLocalEndpoint, parseConnectionString } from "./connection-string";
import { validateGroupName } from "./names";
import { hmacKey, publicKeyFromPem } from "../common/signing-key";
import { realtimeServiceKinds, type RealtimeServiceKind } from "./realtime-service";
import { parseSignalRConnectionString } from "./signalr/signalr-connection-string";

/** App settings as the host hands them over (`process.env` in production, a plain record in tests). */
export type SettingsRecord = Readonly<Record<string, string | undefined>>;

export type IdentityConfig =
  /** Caller names itself with `?userId=` or gets a generated id. Local development only. */
  | { readonly mode: "anonymous" }
  /** App Service Authentication headers (`x-ms-client-principal*`). */
  | { readonly mode: "easyauth" }
  | {
      readonly mode: "jwt";
      /** Shared secret (HMAC) or PEM public key (RSA/EC), made into a key once, when settings are read. */
      readonly key: KeyObject;
      readonly algorithms: readonly Algorithm[];
      readonly issuer: string;
      readonly audience: string;
      /** Claim holding the userId. @default "sub" */
      readonly userIdClaim: string;
    };

export interface AppConfig {
  /** Which managed service holds the sockets (`RealtimeService`). @default "webpubsub" */
  readonly service: RealtimeServiceKind;
  /** Secret: never log it. `WebPubSubConnectionString`, or `AzureSignalRConnectionString` for signalr. */
  readonly connectionString: string;
  /** Service endpoint from the connection string (REST calls), ending in `/`. */
  readonly endpoint: string;
  /** Where clients connect (SignalR `ClientEndpoint`; the endpoint otherwise), ending in `/`. */
  readonly clientEndpoint: string;
  /** Secret: the AccessKey of the connection string. */
  readonly accessKey: string;
  /** Secret: `accessKey` as an HMAC key, made once; everything that signs with the access key uses it. */
  readonly accessKeyObject: KeyObject;
  /** `WebPubSubHub`, or `SignalRHub` for signalr. @default "chat" */
  readonly hub: string;
  readonly identity: IdentityConfig;
  readonly grants: GrantPolicy;
  /** @default 60 */
  readonly tokenLifetimeMinutes: number;
  /** Origins the local host answers CORS for; `*` allows any. @default [] */
  readonly corsAllowedOrigins: readonly string[];
  /** Retries of the service SDK on network errors and 5xx. @default 3 */
  readonly serviceMaxRetries: number;
}

/** Every setting this app reads, with its default; the docs table mirrors this list. */
export const settingNames = [
  "RealtimeService",
  "AzureSignalRConnectionString",
  "SignalRHub",
  "WebPubSubConnectionString",
  "WebPubSubHub",
  "WebPubSubMaxRetries",
  "IdentityMode",
  "UnsafeAllowAnonymousIdentity",
  "JwtSecret",
  "JwtPublicKey",
  "JwtAlgorithms",
  "JwtIssuer",
  "JwtAudience",
  "JwtUserIdClaim",
  "AllowedGroups",
  "AllowedRoles",
  "DefaultGroups",
  "DefaultRoles",
  "TokenLifetimeMinutes",
  "CorsAllowedOrigins",
] as const;

const hubPattern = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/;
const hmacAlgorithms: readonly Algorithm[] = ["HS256", "HS384", "HS512"];
const publicKeyAlgorithms: readonly Algorithm[] = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"];
const minJwtSecretBytes = 32;

/**
 * Validates every setting, failing with a message that names the setting, and returns a deeply
 * frozen config. Never reads `process.env` itself: the caller passes the record.
 */
export function parseConfig(settings: SettingsRecord): AppConfig {
  const read = (name: (typeof settingNames)[number]): string | undefined => {
    const value = settings[name]?.trim();
    return value ? value : undefined;
  };

  const service = read("RealtimeService")?.toLowerCase() ?? "webpubsub";
  if (!isRealtimeServiceKind(service)) throw invalid("RealtimeService", `is ${JSON.stringify(service)}; use ${realtimeServiceKinds.join(" or ")}`);
  const { connectionString, parsed, hub } = service === "signalr" ? readSignalRService(read) : readWebPubSubService(read);

  const identity = parseIdentity(read, parsed.endpoint);

  const grants: GrantPolicy = {
    allowedGroups: list(read("AllowedGroups")),
    allowedRoles: list(read("AllowedRoles")),
    defaultGroups: list(read("DefaultGroups")),
    defaultRoles: list(read("DefaultRoles")),
  };
  for (const group of grants.defaultGroups) {
    try {
      validateGroupName(group);
    } catch (error) {
      throw invalid("DefaultGroups", `holds an invalid group: ${(error as Error).message}`);
    }
  }
  for (const role of grants.defaultRoles) {
    if (!isWebPubSubRole(role)) throw invalid("DefaultRoles", `holds ${JSON.stringify(role)}, which is not a Web PubSub role`);
  }
  if (service === "signalr") {
    // A SignalR token carries no groups or roles; the app would have to drop them silently.
    if (grants.defaultGroups.length > 0) throw invalid("DefaultGroups", "must be empty when RealtimeService is signalr: SignalR tokens carry no groups; add connections with PUT /api/groups/{group}/connections/{connectionId}");
    if (grants.defaultRoles.length > 0) throw invalid("DefaultRoles", "must be empty when RealtimeService is signalr: SignalR has no client roles");
  }

  const tokenLifetimeMinutes = integer(read, "TokenLifetimeMinutes", defaultTokenLifetimeMinutes, 1, maxTokenLifetimeMinutes);
  const serviceMaxRetries = integer(read, "WebPubSubMaxRetries", 3, 0, 10);

  const corsAllowedOrigins = list(read("CorsAllowedOrigins"));
  for (const origin of corsAllowedOrigins) {
    if (origin !== "*" && !isOrigin(origin)) throw invalid("CorsAllowedOrigins", `holds ${JSON.stringify(origin)}; give * or origins like http://localhost:3000`);
  }

  return deepFreeze({
    service,
    connectionString,
    endpoint: parsed.endpoint,
    clientEndpoint: parsed.clientEndpoint,
    accessKey: parsed.accessKey,
    accessKeyObject: hmacKey(parsed.accessKey),
    hub,
    identity,
    grants,
    tokenLifetimeMinutes,
    corsAllowedOrigins,
    serviceMaxRetries,
  });
}

type Read = (name: (typeof settingNames)[number]) => string | undefined;

interface ServiceSettings {
  connectionString: string;
  parsed: { endpoint: string; clientEndpoint: string; accessKey: string };
  hub: string;
}

function readWebPubSubService(read: Read): ServiceSettings {
  const connectionString = read("WebPubSubConnectionString");
  if (!connectionString) throw invalid("WebPubSubConnectionString", "is required (e.g. Endpoint=http://localhost:8080;AccessKey=...;Version=1.0;)");
  const parsed = parseConnectionString(connectionString);
  if ("error" in parsed) throw invalid("WebPubSubConnectionString", `is not valid: ${parsed.error}`);
  return { connectionString, parsed: { ...parsed, clientEndpoint: parsed.endpoint }, hub: readHub(read, "WebPubSubHub") };
}

function readSignalRService(read: Read): ServiceSettings {
  const connectionString = read("AzureSignalRConnectionString");
  if (!connectionString) {
    throw invalid("AzureSignalRConnectionString", "is required when RealtimeService is signalr (e.g. Endpoint=http://localhost:8888;AccessKey=...;Version=1.0;)");
  }
  const parsed = parseSignalRConnectionString(connectionString);
  if ("error" in parsed) throw invalid("AzureSignalRConnectionString", `is not valid: ${parsed.error}`);
  return { connectionString, parsed, hub: readHub(read, "SignalRHub") };
}

function readHub(read: Read, name: "WebPubSubHub" | "SignalRHub"): string {
  const hub = read(name) ?? "chat";
  if (!hubPattern.test(hub)) throw invalid(name, "must start with a letter and hold only letters, digits and _`,.[] (at most 128 characters)");
  return hub;
}

function isRealtimeServiceKind(text: string): text is RealtimeServiceKind {
  return (realtimeServiceKinds as readonly string[]).includes(text);
}

function parseIdentity(read: Read, endpoint: string): IdentityConfig {
  const local = isLocalEndpoint(endpoint);
  const mode = read("IdentityMode") ?? (local ? "anonymous" : "easyauth");
  switch (mode) {
    case "anonymous": {
      const unsafe = boolean(read, "UnsafeAllowAnonymousIdentity", false);
      if (endpoint.startsWith("https:") && !unsafe) {
        throw invalid("IdentityMode", "is anonymous but the service endpoint is https (a real deployment); anyone could get a token as any user. Use easyauth or jwt, or set UnsafeAllowAnonymousIdentity=true if you really mean it");
      }
      return { mode };
    }
    case "easyauth":
      return { mode };
    case "jwt":
      return parseJwtIdentity(read);
    default:
      throw invalid("IdentityMode", `is ${JSON.stringify(mode)}; use anonymous, easyauth or jwt`);
  }
}

function parseJwtIdentity(read: Read): IdentityConfig {
  const secret = read("JwtSecret");
  const publicKey = read("JwtPublicKey")?.replace(/\\n/g, "\n");
  if (secret && publicKey) throw invalid("JwtSecret", "and JwtPublicKey are both set; set exactly one");
  if (!secret && !publicKey) throw invalid("JwtSecret", "or JwtPublicKey is required when IdentityMode is jwt");
  if (secret && Buffer.byteLength(secret, "utf8") < minJwtSecretBytes) {
    throw invalid("JwtSecret", `must be at least ${minJwtSecretBytes} bytes for HMAC signatures`);
  }
  const permitted = secret ? hmacAlgorithms : publicKeyAlgorithms;
  const algorithms = list(read("JwtAlgorithms") ?? (secret ? "HS256" : "RS256"));
  for (const algorithm of algorithms) {
    if (algorithm.toLowerCase() === "none") throw invalid("JwtAlgorithms", "must not include none (unsigned tokens)");
    if (!permitted.includes(algorithm as Algorithm)) {
      throw invalid("JwtAlgorithms", `holds ${JSON.stringify(algorithm)}; with ${secret ? "JwtSecret" : "JwtPublicKey"} use ${permitted.join(", ")}`);
    }
  }
  if (algorithms.length === 0) throw invalid("JwtAlgorithms", "must name at least one algorithm");
  const issuer = read("JwtIssuer");
  if (!issuer) throw invalid("JwtIssuer", "is required when IdentityMode is jwt");
  const audience = read("JwtAudience");
  if (!audience) throw invalid("JwtAudience", "is required when IdentityMode is jwt");
  let key: KeyObject;
  if (secret) key = hmacKey(secret);
  else {
    try {
      key = publicKeyFromPem(publicKey as string);
    } catch {
      throw invalid("JwtPublicKey", "is not a PEM public key (-----BEGIN PUBLIC KEY----- ...)");
    }
  }
  return {
    mode: "jwt",
    key,
    algorithms: algorithms as Algorithm[],
    issuer,
    audience,
    userIdClaim: read("JwtUserIdClaim") ?? "sub",
  };
}

function integer(read: Read, name: (typeof settingNames)[number], fallback: number, min: number, max: number): number {
  const text = read(name);
  if (text === undefined) return fallback;
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) throw invalid(name, `is ${JSON.stringify(text)}; use an integer from ${min} to ${max}`);
  return value;
}

function boolean(read: Read, name: (typeof settingNames)[number], fallback: boolean): boolean {
  const text = read(name)?.toLowerCase();
  if (text === undefined) return fallback;
  if (text === "true" || text === "1") return true;
  if (text === "false" || text === "0") return false;
  throw invalid(name, `is ${JSON.stringify(text)}; use true or false`);
}

function list(text: string | undefined): string[] {
  return text ? text.split(",").map((item) => item.trim()).filter((item) => item.length > 0) : [];
}

function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === text.replace(/\/$/, "");
  } catch {
    return false;
  }
}

function invalid(setting: string, reason: string): AppError {
  return new AppError("InvalidSetting", `App setting ${setting} ${reason}.`, { setting });
}

function deepFreeze<T>(value: T): T {
  // A KeyObject is left as it is: its native handle is not a plain object to walk.
  if (value && typeof value === "object" && !(value instanceof KeyObject)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
