import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { runInitSettings, upstreamFromCli } from "../../emulator/src/upstream/upstream-cli";
import { loadSettingsFile } from "../../emulator/src/upstream/settings-file";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "upstream-cli-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("init-settings", () => {
  it("writes a starter file that loads back, and refuses to overwrite without --force", async () => {
    const file = join(dir, "emulator.settings.json");
    const printed: string[] = [];
    await runInitSettings([file], (line) => printed.push(line));
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual({
      WebPubSub: { Hubs: { "*": { EventHandlers: [{ UrlTemplate: "http://localhost:7071/api/events/{hub}", SystemEvents: ["connect", "connected", "disconnected", "joined", "left"], EventPattern: "*" }] } } },
    });
    expect(printed).toEqual([
      `wrote ${file}: every event of hub * goes to http://localhost:7071/api/events/{hub}`,
      `start the service with: npx pubsub-emulator --settings ${file}`,
    ]);
    await expect(runInitSettings([file], () => {})).rejects.toThrow(`${file} already exists; pass --force to overwrite it.`);
    await runInitSettings([file, "--force", "--hub", "chat", "--functions-url", "http://127.0.0.1:9000/"], () => {});
    expect((await loadSettingsFile(file)).hubs).toEqual({
      chat: [{ urlTemplate: "http://127.0.0.1:9000/api/events/{hub}", systemEvents: ["connect", "connected", "disconnected", "joined", "left"], eventPattern: "*" }],
    });
  });
});

describe("--settings and --event-handler", () => {
  it("reports unreadable and invalid files with the file name", async () => {
    const missing = join(dir, "missing.json");
    await expect(loadSettingsFile(missing)).rejects.toThrow(`cannot read settings file ${missing}:`);
    const broken = join(dir, "broken.json");
    await writeFile(broken, "{ nope");
    await expect(loadSettingsFile(broken)).rejects.toThrow(`settings file ${broken} is not valid JSON:`);
    const bad = join(dir, "bad.json");
    await writeFile(bad, JSON.stringify({ WebPubSub: { Hubs: { chat: { EventHandlers: [{ UrlTemplate: "nope" }] } } } }));
    await expect(loadSettingsFile(bad)).rejects.toThrow(`${bad}: WebPubSub.Hubs.chat.EventHandlers[0]: UrlTemplate "nope" is not an absolute URL.`);
  });

  it("accepts a BOM and builds one dispatcher from the file plus --event-handler", async () => {
    const file = join(dir, "appsettings.json");
    await writeFile(file, `\uFEFF${JSON.stringify({ WebPubSub: { Hubs: { chat: { EventHandlers: [{ UrlTemplate: "http://a/x?code=secret", SystemEvents: ["connect"] }] } } } })}`);
    const built = await upstreamFromCli({ settings: file, "event-handler": ["other=http://b/{event}"] }, { accessKeys: ["k"], log: () => {} });
    expect(built.upstream).toBeDefined();
    expect(built.summary).toEqual(["upstream: hub chat → http://a/x", "upstream: hub other → http://b/{event}"]);
    await built.upstream!.close();
  });

  it("builds no dispatcher when nothing is configured", async () => {
    const built = await upstreamFromCli({}, { accessKeys: ["k"], log: () => {} });
    expect(built.upstream).toBeUndefined();
    expect(built.summary).toEqual([]);
  });
});

describe("npm run emulator -- --settings <file>", () => {
  it("the CLI sends a connect event to the handler of the settings file, whose 403 reaches the client", async () => {
    const seen: string[] = [];
    const handler = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers["ce-type"] ?? ""}`.trim());
      if (req.method === "OPTIONS") return void res.writeHead(200, { "WebHook-Allowed-Origin": "*" }).end();
      res.writeHead(403).end("nope");
    });
    handler.listen(0, "127.0.0.1");
    await new Promise((resolve) => handler.once("listening", resolve));
    const file = join(dir, "settings.json");
    await runInitSettings([file, "--hub", "chat", "--functions-url", `http://127.0.0.1:${(handler.address() as AddressInfo).port}`], () => {});

    const child = spawn("node_modules/.bin/tsx", ["emulator/src/cli.ts", "--port", "0", "--quiet", "--settings", file], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const lines = await new Promise<string[]>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const got = out.split("\n").filter((l) => l.length > 0);
          if (got.length >= 2) resolve(got);
        });
        child.once("exit", (code) => reject(new Error(`CLI exited with ${code}`)));
      });
      const { url } = await new WebPubSubServiceClient(lines[1]!, "chat", { allowInsecureConnection: true }).getClientAccessToken({ userId: "u" });
      const ws = new WebSocket(url);
      const status = await new Promise<number>((resolve) => ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)));
      expect(status).toBe(403);
      expect(seen).toEqual(["OPTIONS /api/events/chat", "POST /api/events/chat azure.webpubsub.sys.connect"]);
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once("exit", resolve)));
      handler.closeAllConnections();
      await new Promise((resolve) => handler.close(resolve));
    }
  }, 20_000);
});
