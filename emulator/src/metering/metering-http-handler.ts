import type { IncomingMessage, ServerResponse } from "node:http";
import type { UsageMeter } from "./usage-meter";
import { buildUsageReport } from "./usage-report";
import { isUsageSnapshot, mergeSnapshots, type UsageSnapshot } from "./usage-snapshot";

export interface MeteringHttpDeps {
  meter: UsageMeter;
  /**
   * The other nodes' answers to the backplane `usage` query (raw, as received); they are
   * checked and summed with this node's. @default none: a single node reports its own usage
   */
  otherNodesUsage?: () => Promise<unknown[]>;
}

/** Handles `/api/usage` and `/metrics`; returns false (and leaves the response alone) for any other path. */
export type MeteringHttpHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export const USAGE_PATH = "/api/usage";
export const METRICS_PATH = "/metrics";

const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, HEAD, OPTIONS",
  "access-control-allow-headers": "*",
  "access-control-max-age": "600",
};

function sendError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify({ code, message }));
}

function sendBody(req: IncomingMessage, res: ServerResponse, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(200, { "content-type": contentType, "content-length": Buffer.byteLength(body), "cache-control": "no-store", ...headers });
  res.end(req.method === "HEAD" ? undefined : body);
}

async function clusterSnapshot(deps: MeteringHttpDeps): Promise<UsageSnapshot> {
  const own = deps.meter.snapshot();
  if (!deps.otherNodesUsage) return own;
  let answers: unknown[];
  try {
    answers = await deps.otherNodesUsage();
  } catch {
    // The backplane is down: report what this node knows rather than nothing; the error is counted.
    deps.meter.backplaneError();
    return own;
  }
  return mergeSnapshots([own, ...answers.filter(isUsageSnapshot)]);
}

export function createMeteringHttpHandler(deps: MeteringHttpDeps): MeteringHttpHandler {
  const serveUsage = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const report = buildUsageReport(await clusterSnapshot(deps), deps.meter.limits);
    sendBody(req, res, "application/json; charset=utf-8", JSON.stringify(report), CORS_HEADERS);
  };
  const serveMetrics = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    sendBody(req, res, deps.meter.metrics.contentType, await deps.meter.metrics.text());
  };
  const fail = (res: ServerResponse) => (error: unknown) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendError(res, 500, "InternalServerError", error instanceof Error ? "Usage could not be read." : "Unknown error.");
  };

  return (req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path !== USAGE_PATH && path !== METRICS_PATH) return false;
    const isUsage = path !== METRICS_PATH;
    if (isUsage && req.method === "OPTIONS") {
      res.writeHead(204, CORS_HEADERS);
      res.end();
      return true;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendError(res, 405, "MethodNotAllowed", `${path} supports GET and HEAD only.`, {
        allow: isUsage ? "GET, HEAD, OPTIONS" : "GET, HEAD",
        ...(isUsage ? CORS_HEADERS : {}),
      });
      return true;
    }
    const serve = path === USAGE_PATH ? serveUsage : serveMetrics;
    serve(req, res).catch(fail(res));
    return true;
  };
}
