import net from "node:net";
import fc from "fast-check";
import jwt from "jsonwebtoken";
import type { FuzzOutcome, FuzzTarget } from "../support/fuzz-target";
import { encodeComponent, hostileText, inParallel, latin1HeaderText, samples } from "../support/hostile";
import { clientToken } from "../support/tokens";

type TokenKind = "none" | "garbage" | "valid" | "noExp" | "wrongKey" | "wrongAud" | "expired" | "algNone";

interface HandshakeInput {
  hub: string;
  pathForm: "path" | "query" | "other";
  token: TokenKind;
  userId: string;
  roles: unknown;
  subprotocol: string;
  extraHeader: string;
  /** Query parameters appended to the connect URL, Object.prototype member names among them. */
  extraQuery: string;
  /** Bytes written right after a successful upgrade: garbage, a truncated frame, or nothing. */
  afterUpgrade: Buffer;
}

const input: fc.Arbitrary<HandshakeInput> = fc.record({
  hub: fc.oneof({ weight: 3, arbitrary: fc.constantFrom("hs", "Hs", "hs_1", "constructor", "toString") }, { weight: 2, arbitrary: hostileText }),
  pathForm: fc.constantFrom("path", "query", "other"),
  token: fc.constantFrom("none", "garbage", "valid", "valid", "valid", "noExp", "wrongKey", "wrongAud", "expired", "algNone"),
  userId: hostileText,
  roles: fc.oneof(fc.constant(undefined), fc.constantFrom("webpubsub.joinLeaveGroup", ["webpubsub.sendToGroup.x"], 5, { a: 1 })),
  subprotocol: fc.oneof(
    fc.constantFrom("", "json.webpubsub.azure.v1", "json.reliable.webpubsub.azure.v1", "protobuf.webpubsub.azure.v1", "mqtt", "a, b, json.webpubsub.azure.v1"),
    fc.string({ unit: "grapheme-ascii", maxLength: 20 }),
  ),
  extraHeader: latin1HeaderText,
  extraQuery: fc.constantFrom("", "&toString=1", "&constructor=1&valueOf=2", "&__proto__=x&hasOwnProperty=y", "&access_token=&access_token="),
  afterUpgrade: fc.oneof(
    fc.constant(Buffer.alloc(0)),
    fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
    // A masked text frame header announcing more bytes than follow (truncated).
    fc.integer({ min: 1, max: 125 }).map((length) => Buffer.from([0x81, 0x80 | length, 1, 2, 3, 4, 0x41])),
    // A frame announcing 2^63-1 bytes.
    fc.constant(Buffer.from([0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4])),
  ),
});

function tokenFor(serviceUrl: string, hub: string, item: HandshakeInput): string | undefined {
  const claims: Record<string, unknown> = { sub: item.userId, ...(item.roles === undefined ? {} : { role: item.roles }) };
  switch (item.token) {
    case "none":
      return undefined;
    case "garbage":
      return "not.a.token";
    case "valid":
      return clientToken(serviceUrl, hub, claims);
    case "noExp":
      return jwt.sign({ aud: `${serviceUrl}/client/hubs/${hub}`, ...claims }, "x".repeat(10) + serviceUrl, { algorithm: "HS256" });
    case "wrongKey":
      return clientToken(serviceUrl, hub, claims, "another-key-another-key-another-key-00");
    case "wrongAud":
      return clientToken(serviceUrl, `${hub}x`, claims);
    case "expired":
      return clientToken(serviceUrl, hub, { ...claims, exp: Math.floor(Date.now() / 1000) - 3600 });
    case "algNone":
      return jwt.sign({ aud: `${serviceUrl}/client/hubs/${hub}`, exp: Math.floor(Date.now() / 1000) + 60, ...claims }, "", { algorithm: "none" });
    default: {
      const _never: never = item.token;
      return _never;
    }
  }
}

/** Sends one raw upgrade request and returns the status line's code (0 when the server just closed). */
export function rawUpgrade(port: number, request: Buffer, afterUpgrade: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = Buffer.alloc(0);
    let status: number | undefined;
    const finish = (): void => {
      socket.destroy();
      resolve(status ?? 0);
    };
    socket.setTimeout(10_000, finish);
    socket.on("error", finish);
    socket.on("close", finish);
    socket.on("connect", () => socket.write(request));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const line = /^HTTP\/1\.1 (\d{3})/.exec(received.toString("latin1"));
      if (!line || status !== undefined) return;
      status = Number(line[1]);
      if (status === 101 && afterUpgrade.length > 0) socket.write(afterUpgrade, () => setTimeout(finish, 5));
      else finish();
    });
  });
}

export const wsHandshakeTarget: FuzzTarget = {
  name: "Web PubSub client handshake",
  inputs: 1500,
  async run({ seed, service }): Promise<FuzzOutcome> {
    const failures: string[] = [];
    const port = Number(new URL(service.url).port);
    const items = samples(input, seed, this.inputs);
    await inParallel(items, 8, async (item) => {
      const encodedHub = encodeComponent(item.hub);
      const token = tokenFor(service.url, item.hub, item);
      const tokenQuery = token === undefined ? "" : `access_token=${token}`;
      const target =
        item.pathForm === "path"
          ? `/client/hubs/${encodedHub}?${tokenQuery}${item.extraQuery}`
          : item.pathForm === "query"
            ? `/client/?hub=${encodedHub}&${tokenQuery}${item.extraQuery}`
            : `/${encodedHub}/client?${tokenQuery}${item.extraQuery}`;
      const headers = [
        `GET ${target} HTTP/1.1`,
        "Host: 127.0.0.1",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        ...(item.subprotocol ? [`Sec-WebSocket-Protocol: ${item.subprotocol}`] : []),
        `X-Fuzz: ${item.extraHeader}`,
      ];
      const request = Buffer.from(`${headers.join("\r\n")}\r\n\r\n`, "latin1");
      const status = await rawUpgrade(port, request, item.afterUpgrade);
      if (status >= 500 || status === 0) failures.push(`handshake answered ${status || "nothing"} for ${JSON.stringify({ ...item, afterUpgrade: item.afterUpgrade.toString("hex") })}`);
    });
    return { inputs: items.length, failures };
  },
};
