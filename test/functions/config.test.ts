import { generateKeyPairSync, KeyObject } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../shared/config";
import { accessKey, connectionStringFor } from "./support/trigger-harness";

const local = connectionStringFor("http://localhost:8080");
const cloud = connectionStringFor("https://contoso.webpubsub.azure.com");
const secret = "a-jwt-secret-that-is-long-enough-32b";

describe("parseConfig", () => {
  it("gives local defaults and freezes the result", () => {
    const config = parseConfig({ WebPubSubConnectionString: local });
    expect(config).toEqual({
      service: "webpubsub",
      connectionString: local,
      endpoint: "http://localhost:8080/",
      clientEndpoint: "http://localhost:8080/",
      accessKey,
      accessKeyObject: expect.any(KeyObject),
      hub: "chat",
      identity: { mode: "anonymous" },
      grants: { allowedGroups: [], allowedRoles: [], defaultGroups: [], defaultRoles: [] },
      tokenLifetimeMinutes: 60,
      corsAllowedOrigins: [],
      serviceMaxRetries: 3,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.grants.allowedGroups)).toBe(true);
    // The access key becomes an HMAC key once, here, holding exactly the key's UTF-8 bytes.
    expect(config.accessKeyObject.type).toBe("secret");
    expect(config.accessKeyObject.export().equals(Buffer.from(accessKey, "utf8"))).toBe(true);
  });

  it("defaults to easyauth for a non-local endpoint", () => {
    expect(parseConfig({ WebPubSubConnectionString: cloud }).identity).toEqual({ mode: "easyauth" });
  });

  it("allows anonymous over https only with the unsafe setting", () => {
    expect(parseConfig({ WebPubSubConnectionString: cloud, IdentityMode: "anonymous", UnsafeAllowAnonymousIdentity: "true" }).identity).toEqual({ mode: "anonymous" });
  });

  it("reads jwt settings with HS256 as the default algorithm", () => {
    const config = parseConfig({ WebPubSubConnectionString: local, IdentityMode: "jwt", JwtSecret: secret, JwtIssuer: "iss", JwtAudience: "aud" });
    expect(config.identity).toEqual({ mode: "jwt", key: expect.any(KeyObject), algorithms: ["HS256"], issuer: "iss", audience: "aud", userIdClaim: "sub" });
    const key = (config.identity as { key: KeyObject }).key;
    expect([key.type, key.export().toString("utf8")]).toEqual(["secret", secret]);
  });

  it("reads JwtPublicKey into a public key once, with RS256 as the default algorithm", () => {
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
    // App settings often hold the PEM on one line with \n escapes.
    const config = parseConfig({ WebPubSubConnectionString: local, IdentityMode: "jwt", JwtPublicKey: pem.replace(/\n/g, "\\n"), JwtIssuer: "iss", JwtAudience: "aud" });
    const identity = config.identity as { key: KeyObject; algorithms: readonly string[] };
    expect([identity.key.type, identity.key.asymmetricKeyType, identity.algorithms]).toEqual(["public", "rsa", ["RS256"]]);
    expect(identity.key.equals(publicKey)).toBe(true);
  });

  it("parses lists, lifetime and CORS origins", () => {
    const config = parseConfig({
      WebPubSubConnectionString: local,
      AllowedGroups: " lobby, room-* ,",
      AllowedRoles: "webpubsub.joinLeaveGroup.lobby",
      DefaultGroups: "everyone",
      DefaultRoles: "webpubsub.sendToGroup.everyone",
      TokenLifetimeMinutes: "5",
      CorsAllowedOrigins: "http://localhost:3000,*",
      WebPubSubHub: "hub_1",
    });
    expect(config.grants).toEqual({
      allowedGroups: ["lobby", "room-*"],
      allowedRoles: ["webpubsub.joinLeaveGroup.lobby"],
      defaultGroups: ["everyone"],
      defaultRoles: ["webpubsub.sendToGroup.everyone"],
    });
    expect([config.tokenLifetimeMinutes, config.corsAllowedOrigins, config.hub]).toEqual([5, ["http://localhost:3000", "*"], "hub_1"]);
  });

  it.each([
    ["no connection string", { WebPubSubConnectionString: " " }, "App setting WebPubSubConnectionString is required"],
    ["no endpoint", { WebPubSubConnectionString: `AccessKey=${accessKey}` }, "App setting WebPubSubConnectionString is not valid: it has no Endpoint="],
    ["no access key", { WebPubSubConnectionString: "Endpoint=http://localhost:8080" }, "App setting WebPubSubConnectionString is not valid: it has no AccessKey="],
    ["bad hub", { WebPubSubHub: "my-hub" }, "App setting WebPubSubHub must start with a letter"],
    ["unknown mode", { IdentityMode: "open" }, 'App setting IdentityMode is "open"; use anonymous, easyauth or jwt.'],
    ["anonymous over https", { WebPubSubConnectionString: cloud, IdentityMode: "anonymous" }, "App setting IdentityMode is anonymous but the service endpoint is https"],
    ["bad unsafe flag", { UnsafeAllowAnonymousIdentity: "yes" }, 'App setting UnsafeAllowAnonymousIdentity is "yes"; use true or false.'],
    ["jwt without key", { IdentityMode: "jwt", JwtIssuer: "i", JwtAudience: "a" }, "App setting JwtSecret or JwtPublicKey is required when IdentityMode is jwt."],
    ["short secret", { IdentityMode: "jwt", JwtSecret: "short", JwtIssuer: "i", JwtAudience: "a" }, "App setting JwtSecret must be at least 32 bytes for HMAC signatures."],
    ["alg none", { IdentityMode: "jwt", JwtSecret: secret, JwtAlgorithms: "none", JwtIssuer: "i", JwtAudience: "a" }, "App setting JwtAlgorithms must not include none (unsigned tokens)."],
    ["RS256 with a secret", { IdentityMode: "jwt", JwtSecret: secret, JwtAlgorithms: "RS256", JwtIssuer: "i", JwtAudience: "a" }, 'App setting JwtAlgorithms holds "RS256"; with JwtSecret use HS256, HS384, HS512.'],
    ["a public key that is not PEM", { IdentityMode: "jwt", JwtPublicKey: "not-a-key", JwtIssuer: "i", JwtAudience: "a" }, "App setting JwtPublicKey is not a PEM public key"],
    ["jwt without issuer", { IdentityMode: "jwt", JwtSecret: secret, JwtAudience: "a" }, "App setting JwtIssuer is required when IdentityMode is jwt."],
    ["jwt without audience", { IdentityMode: "jwt", JwtSecret: secret, JwtIssuer: "i" }, "App setting JwtAudience is required when IdentityMode is jwt."],
    ["lifetime 0", { TokenLifetimeMinutes: "0" }, 'App setting TokenLifetimeMinutes is "0"; use an integer from 1 to 1440.'],
    ["lifetime text", { TokenLifetimeMinutes: "1h" }, 'App setting TokenLifetimeMinutes is "1h"; use an integer from 1 to 1440.'],
    ["bad default role", { DefaultRoles: "admin" }, 'App setting DefaultRoles holds "admin", which is not a Web PubSub role.'],
    ["bad default group", { DefaultGroups: "a, ,b", AllowedGroups: "" }, null],
    ["bad CORS origin", { CorsAllowedOrigins: "localhost:3000" }, 'App setting CorsAllowedOrigins holds "localhost:3000"; give * or origins like http://localhost:3000.'],
    ["bad retries", { WebPubSubMaxRetries: "11" }, 'App setting WebPubSubMaxRetries is "11"; use an integer from 0 to 10.'],
  ])("refuses %s with a message naming the setting", (_name, settings: Record<string, string>, message: string | null) => {
    const run = () => parseConfig({ WebPubSubConnectionString: local, ...settings });
    if (message === null) {
      // Empty list items are dropped, not treated as names.
      expect(run().grants.defaultGroups).toEqual(["a", "b"]);
      return;
    }
    expect(run).toThrow(expect.objectContaining({ code: "InvalidSetting", message: expect.stringContaining(message) }));
  });
});
