import { describe, expect, it } from "vitest";
import { backplaneLine, planNodePorts, redactRedisUrl } from "../../host/node-cluster";
import { nodeOrigins, parseNodeDirectory } from "../../host/node-directory";

describe("the launcher's plan", () => {
  it("gives node i the base ports plus i - 1", async () => {
    expect(await planNodePorts(3, 17500, 17510)).toEqual([
      { node: 1, functionsPort: 17500, servicePort: 17510 },
      { node: 2, functionsPort: 17501, servicePort: 17511 },
      { node: 3, functionsPort: 17502, servicePort: 17512 },
    ]);
  });

  it("gives every node its own free ports for a base of 0", async () => {
    const nodes = await planNodePorts(2, 0, 0);
    const ports = nodes.flatMap((node) => [node.functionsPort, node.servicePort]);
    expect(ports.every((port) => port > 0)).toBe(true);
    expect(new Set(ports).size).toBe(4);
  });

  it.each([
    [0, 7071, 8080, "--nodes must be 1-4, got 0."],
    [5, 7071, 8080, "--nodes must be 1-4, got 5."],
    [2, 65535, 8080, "--functions-port 65535 leaves no room for 2 consecutive ports."],
    [2, 7071, 65535, "--emulator-port 65535 leaves no room for 2 consecutive ports."],
    [2, 7071, 7072, "Port 7072 would be used twice; pick bases at least 2 apart."],
  ])("refuses %i nodes from %i / %i", async (count, functionsPort, emulatorPort, message) => {
    await expect(planNodePorts(count, functionsPort, emulatorPort)).rejects.toThrow(message);
  });

  it("never prints a Redis password", () => {
    expect(redactRedisUrl("redis://user:secret@cache:6380")).toBe("redis://user:***@cache:6380");
    expect(backplaneLine("redis://:secret@cache:6379", false)).toBe("  Backplane:          Redis at redis://:***@cache:6379: every node delivers to every socket");
  });
});

describe("the node directory a node is given", () => {
  const good = { self: 2, backplane: "redis", nodes: [{ node: 1, functionsPort: 7071, servicePort: 8080 }, { node: 2, functionsPort: 7072, servicePort: 8081 }] };

  it("parses and freezes it", () => {
    const parsed = parseNodeDirectory(JSON.stringify(good));
    expect(parsed).toEqual(good);
    expect(Object.isFrozen(parsed.nodes[0])).toBe(true);
  });

  it.each([
    ["not JSON", "{", "the node directory is not JSON"],
    ["a bad backplane", JSON.stringify({ ...good, backplane: "kafka" }), 'backplane must be "none" or "redis"'],
    ["no nodes", JSON.stringify({ ...good, nodes: [] }), "nodes must list 1-4 nodes"],
    ["nodes out of order", JSON.stringify({ ...good, nodes: [good.nodes[1], good.nodes[0]] }), "nodes[0] must be { node: 1, functionsPort, servicePort } with ports 1-65535"],
    ["a port out of range", JSON.stringify({ ...good, nodes: [{ node: 1, functionsPort: 70000, servicePort: 1 }] }), "nodes[0] must be { node: 1, functionsPort, servicePort } with ports 1-65535"],
    ["self not listed", JSON.stringify({ ...good, self: 3 }), "self must be one of the listed nodes"],
  ])("refuses %s", (_name, text, message) => {
    expect(() => parseNodeDirectory(text)).toThrow(message);
  });

  it("allows every node's function host as a browser origin, by each loopback name", () => {
    expect(nodeOrigins(parseNodeDirectory(JSON.stringify(good)))).toEqual([
      "http://localhost:7071",
      "http://127.0.0.1:7071",
      "http://[::1]:7071",
      "http://localhost:7072",
      "http://127.0.0.1:7072",
      "http://[::1]:7072",
    ]);
  });
});
