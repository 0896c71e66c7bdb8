import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * CORS for the client endpoint: `@microsoft/signalr` fetches with credentials, so the origin is
 * echoed (never `*`) with `Access-Control-Allow-Credentials: true`, as the cloud service and the
 * official emulator allow any origin.
 */
export function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  if (!origin) return {};
  return { "access-control-allow-origin": origin, "access-control-allow-credentials": "true", vary: "Origin" };
}

/** Answers a preflight: the requested headers are echoed, with the endpoint's methods. */
export function answerPreflight(req: IncomingMessage, res: ServerResponse, methods = "GET, POST"): void {
  const requested = req.headers["access-control-request-headers"];
  res.writeHead(204, {
    ...corsHeaders(req),
    "access-control-allow-methods": methods,
    ...(requested ? { "access-control-allow-headers": requested } : {}),
    "access-control-max-age": "600",
    "content-length": 0,
  });
  res.end();
}
