import { describe, expect, it } from "vitest";
import { createBroadcastHandler } from "../../functions/broadcast";
import { createSendHandler } from "../../functions/send";
import { parseConfig } from "../../shared/config";
import { AppError } from "../../shared/errors";
import { stampPayload, stampSender, wantsSenderStamp } from "../../shared/sender-stamp";
import { useLiveService } from "./support/live-service";
import { invoke, makeDeps } from "./support/trigger-harness";

const anonymous = parseConfig({ WebPubSubConnectionString: "Endpoint=http://localhost:1;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;" }).identity;
const noHeaders = { get: () => null };

describe("the sender stamp (pure)", () => {
  it.each([
    ["json keeps its value", { dataType: "json", value: { n: 1 }, bytes: 7 } as const, { n: 1 }],
    ["text keeps its text", { dataType: "text", text: "hi", bytes: 2 } as const, "hi"],
    ["binary travels as base64", { dataType: "binary", data: Buffer.from("AB"), bytes: 2 } as const, "QUI="],
  ])("%s, wrapped in JSON with who and where", (_name, payload, data) => {
    const stamped = stampPayload(payload, { userId: "alice", via: "localhost:7072" });
    const value = { sentBy: { userId: "alice", via: "localhost:7072" }, dataType: payload.dataType, data };
    expect(stamped).toEqual({ dataType: "json", value, bytes: Buffer.byteLength(JSON.stringify(value)) });
  });

  it("asks for a stamp only with ?stamp=sender and refuses other values", () => {
    expect(wantsSenderStamp(new URLSearchParams(""))).toBe(false);
    expect(wantsSenderStamp(new URLSearchParams("stamp=sender"))).toBe(true);
    expect(() => wantsSenderStamp(new URLSearchParams("stamp=yes"))).toThrow(new AppError("InvalidQuery", '?stamp= takes "sender" (wrap the message with who sent it), got "yes".'));
  });

  it("in anonymous mode trusts ?from= and knows nobody without it", () => {
    const url = "http://localhost:7072/api/send?userId=bob";
    expect(stampSender(anonymous, { headers: noHeaders, query: new URLSearchParams("userId=bob&from=alice"), url })).toEqual({ userId: "alice", via: "localhost:7072" });
    expect(stampSender(anonymous, { headers: noHeaders, query: new URLSearchParams("userId=bob"), url })).toEqual({ userId: null, via: "localhost:7072" });
  });
});

describe("send and broadcast with ?stamp=sender (real service, real clients)", () => {
  const suite = useLiveService();

  it("deliver the message wrapped with the sender and the host it came through", async () => {
    const bob = await suite.connect("bob");
    const sent = await invoke(createSendHandler(suite.deps), {
      method: "POST",
      path: "/api/send?userId=bob&stamp=sender&from=alice",
      headers: { "content-type": "text/plain" },
      body: "hello bob",
    });
    const value = { sentBy: { userId: "alice", via: "localhost:7071" }, dataType: "text", data: "hello bob" };
    expect(sent).toMatchObject({ status: 202, body: { dataType: "json", bytes: Buffer.byteLength(JSON.stringify(value)) } });
    expect(await bob.waitFor(() => true)).toEqual({ from: "server", dataType: "json", data: value });
  });

  it("name the signed-in caller in a signed-in mode, and refuse an unsigned one with 401", async () => {
    const carol = await suite.connect("carol");
    const deps = makeDeps({ WebPubSubConnectionString: suite.server.connectionString, IdentityMode: "easyauth" });
    const headers = {
      "content-type": "application/json",
      "x-ms-client-principal": Buffer.from("{}").toString("base64"),
      "x-ms-client-principal-id": "id-1",
      "x-ms-client-principal-name": "dave",
    };
    expect((await invoke(createBroadcastHandler(deps), { method: "POST", path: "/api/broadcast?stamp=sender", headers, body: "[1]" })).status).toBe(202);
    expect(await carol.waitFor(() => true)).toEqual({ from: "server", dataType: "json", data: { sentBy: { userId: "easyauth:id-1", via: "localhost:7071" }, dataType: "json", data: [1] } });
    const unsigned = await invoke(createBroadcastHandler(deps), { method: "POST", path: "/api/broadcast?stamp=sender", headers: { "content-type": "application/json" }, body: "[1]" });
    expect(unsigned).toMatchObject({ status: 401, body: { code: "Unauthenticated" } });
  });

  it("refuse a message the stamp would push past the 1 MiB limit with 413", async () => {
    const body = new Uint8Array(900_000);
    const result = await invoke(createSendHandler(suite.deps), { method: "POST", path: "/api/send?userId=bob&stamp=sender", headers: { "content-type": "application/octet-stream" }, body });
    expect(result).toMatchObject({ status: 413, body: { code: "PayloadTooLarge" } });
    expect((result.body as { message: string }).message).toMatch(/^With \?stamp=sender the message grows to \d+ bytes, past the 1048576-byte limit\.$/);
  });
});
