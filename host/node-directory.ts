/**
 * Which local nodes run side by side (`npm start -- --nodes N`), as the web page learns them
 * from `GET /api/local/nodes`: each node's function host and service port, this node's number,
 * and whether the nodes share a backplane. No secrets: connection strings stay on the terminal.
 * The launcher hands it to each node process as JSON; parsing is pure and checks every field.
 */
import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import type { RouteDefinition } from "../functions/route-table-types";

export type BackplaneKind = "none" | "redis";

export interface DirectoryNode {
  /** 1-based, in start order. */
  readonly node: number;
  readonly functionsPort: number;
  readonly servicePort: number;
}

export interface NodeDirectory {
  /** The node serving this directory. */
  readonly self: number;
  readonly backplane: BackplaneKind;
  readonly nodes: readonly DirectoryNode[];
}

/** Most nodes `npm start` runs at once: enough to show the story, small enough for a laptop. */
export const maxLocalNodes = 4;

export class NodeDirectoryError extends Error {
  override readonly name = "NodeDirectoryError";
}

function isPort(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0 && value <= 65535;
}

/** Parses the launcher's JSON; throws a `NodeDirectoryError` naming the bad field. */
export function parseNodeDirectory(text: string): NodeDirectory {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new NodeDirectoryError("the node directory is not JSON");
  }
  const record = parsed as { self?: unknown; backplane?: unknown; nodes?: unknown };
  if (typeof parsed !== "object" || parsed === null) throw new NodeDirectoryError("the node directory must be an object");
  if (record.backplane !== "none" && record.backplane !== "redis") throw new NodeDirectoryError('backplane must be "none" or "redis"');
  if (!Array.isArray(record.nodes) || record.nodes.length === 0 || record.nodes.length > maxLocalNodes) {
    throw new NodeDirectoryError(`nodes must list 1-${maxLocalNodes} nodes`);
  }
  const nodes = record.nodes.map((entry: unknown, index): DirectoryNode => {
    const node = entry as Partial<DirectoryNode> | null;
    if (!node || node.node !== index + 1 || !isPort(node.functionsPort) || !isPort(node.servicePort)) {
      throw new NodeDirectoryError(`nodes[${index}] must be { node: ${index + 1}, functionsPort, servicePort } with ports 1-65535`);
    }
    return Object.freeze({ node: node.node, functionsPort: node.functionsPort, servicePort: node.servicePort });
  });
  if (typeof record.self !== "number" || !nodes.some((node) => node.node === record.self)) throw new NodeDirectoryError("self must be one of the listed nodes");
  return Object.freeze({ self: record.self, backplane: record.backplane, nodes: Object.freeze(nodes) });
}

/** Browser origins of every node's function host, so a page served by one node may call the others. */
export function nodeOrigins(directory: NodeDirectory): string[] {
  return directory.nodes.flatMap((node) => ["localhost", "127.0.0.1", "[::1]"].map((host) => `http://${host}:${node.functionsPort}`));
}

/**
 * `GET /api/local/nodes`: served by the local host only (not part of the function app), so a
 * page under `func start` or Azure gets 404 and shows one node. `directory` is read per request:
 * a single node learns its own ports once it listens (until then it lists no nodes).
 */
export function nodeDirectoryRoute(directory: () => NodeDirectory): RouteDefinition {
  return Object.freeze({
    name: "localNodes",
    methods: ["GET"],
    route: "local/nodes",
    authLevel: "anonymous",
    handler: (_request: HttpRequest): Promise<HttpResponseInit> =>
      Promise.resolve({ status: 200, jsonBody: directory(), headers: { "cache-control": "no-store" } }),
  } satisfies RouteDefinition);
}
