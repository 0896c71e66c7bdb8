import { describe, expect, it } from "vitest";
import { historyKey, loadHistory, resultRows, saveRun } from "../../web/src/check-history";
import { asCheckMessage, startCheck, tally } from "../../web/src/delivery-check";
import { nodeOfBaseUrl, nodeOfService, nodeStatusLine, toPageDirectory, type PageDirectory } from "../../web/src/node-directory";
import { describeSender, unwrapStamp } from "../../web/src/sender-stamp";

const page = { protocol: "http:", hostname: "127.0.0.1" };
const body = { self: 1, backplane: "none", nodes: [{ node: 1, functionsPort: 7071, servicePort: 8080 }, { node: 2, functionsPort: 7072, servicePort: 8081 }] };
const two: PageDirectory = toPageDirectory(body, page)!;

describe("the node list the page reads", () => {
  it("keeps the page's host name and builds each node's base URL", () => {
    expect(two).toEqual({
      backplane: "none",
      nodes: [
        { node: 1, baseUrl: "http://127.0.0.1:7071/api", servicePort: 8080 },
        { node: 2, baseUrl: "http://127.0.0.1:7072/api", servicePort: 8081 },
      ],
    });
    expect(toPageDirectory(body, { protocol: "http:", hostname: "::1" })?.nodes[0].baseUrl).toBe("http://[::1]:7071/api");
  });

  it.each([
    ["not an object", "nodes"],
    ["no nodes", { backplane: "none" }],
    ["an unknown backplane", { ...body, backplane: "kafka" }],
    ["a node without ports", { ...body, nodes: [{ node: 1 }] }],
  ])("is ignored when it is %s", (_name, bad) => {
    expect(toPageDirectory(bad, page)).toBeUndefined();
  });

  it("finds the node of a socket (by service port) and of a function host (by port)", () => {
    expect(nodeOfService(two, "http://localhost:8081")).toBe(2);
    expect(nodeOfService(two, "http://localhost:9999")).toBeUndefined();
    expect(nodeOfService(two, undefined)).toBeUndefined();
    expect(nodeOfBaseUrl(two, "http://localhost:7071/")).toBe(1);
  });

  it.each([
    [undefined, 1, 2, "none", "Not connected: you will connect through node 1. Sending through node 2. Nodes share: nothing."],
    [1, 1, 2, "none", "Your socket is on node 1. Sending through node 2. Nodes share: nothing."],
    [2, 2, 2, "redis", "Your socket is on node 2. Sending through node 2. Nodes share: Redis."],
  ] as const)("says where things are: socket %s, connect %s, send %s, %s", (socket, connect, send, backplane, line) => {
    expect(nodeStatusLine({ ...two, backplane }, socket, connect, send)).toBe(line);
  });
});

describe("the delivery test", () => {
  it.each([
    ["none arrived", 3, [], { delivered: 0, lost: 3, medianMs: null, maxMs: null }],
    ["an odd count", 3, [5, 1, 3], { delivered: 3, lost: 0, medianMs: 3, maxMs: 5 }],
    ["an even count", 4, [4, 1, 2], { delivered: 3, lost: 1, medianMs: 2, maxMs: 4 }],
    ["two in the middle", 4, [1, 2, 3, 4], { delivered: 4, lost: 0, medianMs: 2.5, maxMs: 4 }],
  ])("tallies %s", (_name, sent, latencies, expected) => {
    expect(tally(7, sent, latencies)).toEqual({ node: 7, sent, ...expected });
  });

  it("recognises only its own run's messages", () => {
    expect(asCheckMessage({ check: "a", node: 1, seq: 2 }, "a")).toEqual({ check: "a", node: 1, seq: 2 });
    expect(asCheckMessage({ check: "b", node: 1, seq: 2 }, "a")).toBeUndefined();
    expect(asCheckMessage("text", "a")).toBeUndefined();
  });

  it("sends N through every node in turn and counts each arrival once, losses after the grace period", async () => {
    let clock = 0;
    const sent: string[] = [];
    const run = startCheck({
      nodes: [1, 2],
      count: 2,
      now: () => clock,
      graceMs: 20,
      send: async (node, message) => {
        sent.push(`${node}/${message.seq}`);
        clock += 10;
        // Node 1 delivers each message twice (a repeat counts once); node 2 only its second one.
        if (node === 1) {
          run.receive(message, clock);
          run.receive(message, clock + 1);
        } else if (message.seq === 2) {
          run.receive(message, clock + 5);
        }
        await Promise.resolve();
      },
    });
    expect(run.receive({ check: "someone-else", node: 1, seq: 1 }, 0)).toBe(false);
    expect(await run.finished).toEqual([
      { node: 1, sent: 2, delivered: 2, lost: 0, medianMs: 10, maxMs: 10 },
      { node: 2, sent: 2, delivered: 1, lost: 1, medianMs: 15, maxMs: 15 },
    ]);
    expect(sent).toEqual(["1/1", "1/2", "2/1", "2/2"]);
  });

  it("ends as soon as every message arrived, without waiting out the grace period", async () => {
    const run = startCheck({ nodes: [1], count: 2, now: () => 0, graceMs: 600_000, send: async (_node, message) => void run.receive(message, 4) });
    expect(await run.finished).toEqual([{ node: 1, sent: 2, delivered: 2, lost: 0, medianMs: 4, maxMs: 4 }]);
  });

  it("stops with the error when a send fails", async () => {
    const run = startCheck({ nodes: [1], count: 3, now: () => 0, send: () => Promise.reject(new Error("refused")) });
    await expect(run.finished).rejects.toThrow("refused");
  });
});

describe("stamped messages", () => {
  it.each([
    ["text", { sentBy: { userId: "alice", via: "localhost:7072" }, dataType: "text", data: "hi" }, { userId: "alice", via: "localhost:7072", dataType: "text", data: "hi" }],
    ["json", { sentBy: { userId: null, via: "h:1" }, dataType: "json", data: { n: 1 } }, { userId: null, via: "h:1", dataType: "json", data: { n: 1 } }],
  ])("unwraps %s", (_name, wire, expected) => {
    expect(unwrapStamp("json", wire)).toEqual(expected);
  });

  it("turns base64 back into bytes for binary", () => {
    const unwrapped = unwrapStamp("json", { sentBy: { userId: "a", via: "h:1" }, dataType: "binary", data: "QUI=" });
    expect(new Uint8Array(unwrapped!.data as ArrayBuffer)).toEqual(new Uint8Array([65, 66]));
  });

  it.each([
    ["a text message", "text", "hi"],
    ["JSON without sentBy", "json", { dataType: "text", data: "x" }],
    ["an unknown inner type", "json", { sentBy: { userId: "a", via: "h" }, dataType: "xml", data: "x" }],
  ])("leaves %s alone", (_name, dataType, data) => {
    expect(unwrapStamp(dataType, data)).toBeUndefined();
  });

  it("names the node when the page knows it, else the host", () => {
    const stamp = { userId: null, via: "localhost:7072", dataType: "text" as const, data: "x" };
    expect(describeSender(stamp, () => 2)).toBe("an anonymous caller via node 2");
    expect(describeSender({ ...stamp, userId: "bob" }, () => undefined)).toBe("bob via localhost:7072");
  });
});

describe("the delivery test's saved runs", () => {
  function memoryStore(initial?: string) {
    const values = new Map<string, string>(initial === undefined ? [] : [[historyKey, initial]]);
    return { values, getItem: (key: string) => values.get(key) ?? null, setItem: (key: string, value: string) => void values.set(key, value) };
  }
  const lossy = { node: 2, sent: 20, delivered: 0, lost: 20, medianMs: null, maxMs: null };
  const full = { node: 1, sent: 20, delivered: 20, lost: 0, medianMs: 3.5, maxMs: 9 };

  it("keeps the latest run per backplane kind, two at most", () => {
    const store = memoryStore();
    saveRun(store, { backplane: "none", at: "2026-01-01T00:00:00.000Z", socketNode: 1, tallies: [full] });
    saveRun(store, { backplane: "none", at: "2026-01-01T00:01:00.000Z", socketNode: 1, tallies: [full, lossy] });
    const history = saveRun(store, { backplane: "redis", at: "2026-01-01T00:02:00.000Z", socketNode: 1, tallies: [full] });
    expect(Object.keys(history).sort()).toEqual(["none", "redis"]);
    expect(loadHistory(store)).toEqual(history);
    expect(history.none?.at).toBe("2026-01-01T00:01:00.000Z");
  });

  it("orders rows by node, nothing before Redis, and marks the run made now", () => {
    const history = {
      none: { backplane: "none" as const, at: "t1", socketNode: 1, tallies: [full, lossy] },
      redis: { backplane: "redis" as const, at: "t2", socketNode: 1, tallies: [full, { ...lossy, delivered: 20, lost: 0 }] },
    };
    expect(resultRows(history, "t2").map((row) => `${row.tally.node}/${row.backplane}/${row.current ? "this" : "earlier"}`)).toEqual([
      "1/none/earlier",
      "1/redis/this",
      "2/none/earlier",
      "2/redis/this",
    ]);
  });

  it.each([
    ["not JSON", "{"],
    ["a run under the wrong kind", JSON.stringify({ none: { backplane: "redis", at: "t", socketNode: 1, tallies: [full] } })],
    ["a tally with a negative count", JSON.stringify({ none: { backplane: "none", at: "t", socketNode: 1, tallies: [{ ...full, lost: -1 }] } })],
    ["more than four nodes", JSON.stringify({ none: { backplane: "none", at: "t", socketNode: 1, tallies: [full, full, full, full, full] } })],
  ])("reads %s as nothing saved", (_name, text) => {
    expect(loadHistory(memoryStore(text))).toEqual({});
  });

  it("still shows the run when storage refuses to save", () => {
    const store = { getItem: () => null, setItem: () => { throw new Error("QuotaExceededError"); } };
    expect(saveRun(store, { backplane: "none", at: "t", socketNode: null, tallies: [full] }).none?.tallies).toEqual([full]);
  });
});
