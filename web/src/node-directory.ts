/**
 * The local nodes the page can use, from the app's `GET /api/local/nodes` (served by `npm start`,
 * absent under `func start` or Azure: then the page has one node, the base URL field's).
 * Pure apart from `fetchNodeDirectory`; URLs keep the host name the first node was reached by.
 */
export interface PageNode {
  node: number;
  /** Where this node's triggers live, e.g. `http://localhost:7072/api`. */
  baseUrl: string;
  servicePort: number;
}

export interface PageDirectory {
  backplane: "none" | "redis";
  nodes: PageNode[];
}

interface DirectoryBody {
  backplane?: unknown;
  nodes?: unknown;
}

/** Reads the app's answer; anything unexpected means "no node list" (undefined). */
export function toPageDirectory(body: unknown, page: { protocol: string; hostname: string }): PageDirectory | undefined {
  const record = body as DirectoryBody | null;
  if (typeof record !== "object" || record === null || !Array.isArray(record.nodes)) return undefined;
  if (record.backplane !== "none" && record.backplane !== "redis") return undefined;
  const host = page.hostname.includes(":") ? `[${page.hostname}]` : page.hostname;
  const nodes: PageNode[] = [];
  for (const entry of record.nodes as unknown[]) {
    const node = entry as { node?: unknown; functionsPort?: unknown; servicePort?: unknown } | null;
    if (!node || typeof node.node !== "number" || typeof node.functionsPort !== "number" || typeof node.servicePort !== "number") return undefined;
    nodes.push({ node: node.node, baseUrl: `${page.protocol}//${host}:${node.functionsPort}/api`, servicePort: node.servicePort });
  }
  return { backplane: record.backplane, nodes };
}

/** Asks the function host at `baseUrl`; the other nodes are reached by the same host name. */
export async function fetchNodeDirectory(baseUrl: string): Promise<PageDirectory | undefined> {
  try {
    const response = await fetch(`${baseUrl.replace(/\/+$/, "")}/local/nodes`, { headers: { accept: "application/json" } });
    if (!response.ok) return undefined;
    return toPageDirectory(await response.json(), new URL(baseUrl));
  } catch {
    return undefined;
  }
}

/** Which node holds a socket, from the service URL negotiate returned. */
export function nodeOfService(directory: PageDirectory, serviceOrigin: string | undefined): number | undefined {
  if (!serviceOrigin) return undefined;
  try {
    const port = Number(new URL(serviceOrigin).port);
    return directory.nodes.find((node) => node.servicePort === port)?.node;
  } catch {
    return undefined;
  }
}

/** Which node a function base URL belongs to (by port), e.g. to name the node a message came through. */
export function nodeOfBaseUrl(directory: PageDirectory, url: string): number | undefined {
  try {
    const port = new URL(url).port;
    return directory.nodes.find((node) => new URL(node.baseUrl).port === port)?.node;
  } catch {
    return undefined;
  }
}

/** The plain status line: "Your socket is on node 1. Sending through node 2. Nodes share: nothing." */
export function nodeStatusLine(directory: PageDirectory, socketNode: number | undefined, connectNode: number, sendNode: number): string {
  const socket = socketNode === undefined ? `Not connected: you will connect through node ${connectNode}.` : `Your socket is on node ${socketNode}.`;
  const share = directory.backplane === "redis" ? "Redis" : "nothing";
  return `${socket} Sending through node ${sendNode}. Nodes share: ${share}.`;
}
