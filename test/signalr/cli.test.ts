import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EmulatorCli, lines } from "../support/cli-process";
import { DEFAULT_ACCESS_KEY } from "../../emulator/src/options";
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection } from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";
import { until } from "../support/until";
import { clientToken } from "./support/signalr-fixture";

const clis = new EmulatorCli();
afterEach(() => clis.killAll());
const startCli = (args: string[]) => clis.start(args);

describe("npm run emulator -- --service signalr", () => {
  it("prints its URL and the official emulator's connection string, each on its own line, and serves SignalR negotiate", async () => {
    const cli = startCli(["--service", "signalr", "--port", "0", "--quiet"]);
    const [url, connectionString] = await lines(cli.stdout, 2);
    const port = /^http:\/\/localhost:(\d+)$/.exec(url!)?.[1];
    expect(port).toBeDefined();
    expect(connectionString).toBe(`Endpoint=http://localhost;Port=${port};AccessKey=${DEFAULT_ACCESS_KEY};Version=1.0;`);
    const negotiate = await fetch(`${url}/client/negotiate?hub=chat&negotiateVersion=1`, { method: "POST", headers: { authorization: `Bearer ${clientToken("chat")}` } });
    expect(negotiate.status).toBe(200);
    cli.child.kill("SIGINT");
    expect(await cli.exited).toBe(0);
  });

  it("serves @microsoft/signalr over every transport, JSON and MessagePack where the transport allows, with and without stateful reconnect, and its transport flags", async () => {
    const cli = startCli(["--service", "signalr", "--port", "0", "--quiet", "--websocket-fragment-bytes", "1024", "--long-poll-timeout-ms", "2000"]);
    const [url] = await lines(cli.stdout, 2);
    const cases: Array<[HttpTransportType, "json" | "messagepack", boolean]> = [
      [HttpTransportType.WebSockets, "json", false],
      [HttpTransportType.WebSockets, "messagepack", true],
      [HttpTransportType.ServerSentEvents, "json", false],
      [HttpTransportType.LongPolling, "json", false],
      [HttpTransportType.LongPolling, "messagepack", false],
    ];
    const clients: Array<{ connection: HubConnection; got: string[] }> = [];
    for (const [transport, protocol, stateful] of cases) {
      let builder = new HubConnectionBuilder().withUrl(`${url}/client/?hub=chat`, { accessTokenFactory: () => clientToken("chat"), transport }).configureLogging(LogLevel.None);
      if (protocol === "messagepack") builder = builder.withHubProtocol(new MessagePackHubProtocol());
      if (stateful) builder = builder.withStatefulReconnect();
      const connection = builder.build();
      const got: string[] = [];
      connection.on("m", (text: string) => got.push(text));
      await connection.start();
      clients.push({ connection, got });
    }
    const path = "/api/hubs/chat/:send";
    const jwt = await import("jsonwebtoken");
    const token = jwt.default.sign({ aud: `http://localhost${path}?api-version=2022-06-01` }, DEFAULT_ACCESS_KEY, { algorithm: "HS256", expiresIn: 60 });
    // 5 KB: fragmented into 1 KB frames for the WebSocket clients (the flag), whole for the others.
    const big = "z".repeat(5000);
    const sent = await fetch(`${url}${path}?api-version=2022-06-01`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ target: "m", arguments: [big] }) });
    expect(sent.status).toBe(202);
    await until(() => (clients.every((c) => c.got.length === 1) ? true : undefined), 8000);
    expect(clients.map((c) => c.got[0] === big)).toEqual([true, true, true, true, true]);
    for (const { connection } of clients) await connection.stop();
    cli.child.kill("SIGINT");
    expect(await cli.exited).toBe(0);
  });

  it("reads upstream templates from a settings file in the official SignalR emulator's shape", async () => {
    const dir = mkdtempSync(join(tmpdir(), "signalr-cli-"));
    const file = join(dir, "settings.json");
    writeFileSync(file, JSON.stringify({ UpstreamSettings: { Templates: [{ UrlTemplate: "http://localhost:7071/runtime/webhooks/signalr?code=secret", EventPattern: "*", HubPattern: "chat", CategoryPattern: "*" }] } }));
    const cli = startCli(["--service", "signalr", "--port", "0", "--settings", file, "--access-key", "K-0123456789"]);
    const [, connectionString] = await lines(cli.stdout, 2);
    expect(connectionString).toMatch(/^Endpoint=http:\/\/localhost;Port=\d+;AccessKey=K-0123456789;Version=1\.0;$/);
    expect(cli.stderr()).toContain("upstream: hub chat, category *, event * → http://localhost:7071/runtime/webhooks/signalr");
    expect(cli.stderr()).not.toContain("secret");
    cli.child.kill("SIGINT");
    expect(await cli.exited).toBe(0);
  });

  it("rejects an unknown service and a settings file without UpstreamSettings", async () => {
    const bad = startCli(["--service", "mqtt"]);
    expect(await bad.exited).toBe(1);
    expect(bad.stderr()).toContain('--service must be webpubsub or signalr, got "mqtt"');
    const dir = mkdtempSync(join(tmpdir(), "signalr-cli-"));
    const file = join(dir, "settings.json");
    writeFileSync(file, JSON.stringify({ WebPubSub: {} }));
    const wrong = startCli(["--service", "signalr", "--port", "0", "--settings", file]);
    expect(await wrong.exited).toBe(1);
    expect(wrong.stderr()).toContain(`${file}: no UpstreamSettings section`);
  });
});
