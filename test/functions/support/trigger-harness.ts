import { HttpRequest, InvocationContext } from "@azure/functions";
import type { HttpHandler, HttpResponseInit } from "@azure/functions";
import { parseConfig } from "../../../shared/config";
import type { SettingsRecord } from "../../../shared/config";
import { createRealtimeService } from "../../../shared/realtime-service-factory";
import type { TriggerDeps } from "../../../functions/trigger-deps";

export const accessKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";

/** A port nothing listens on: port 9 (discard) is closed on a dev box, so any call fails fast. */
export const closedEndpoint = "http://127.0.0.1:9";

export function connectionStringFor(endpoint: string, key = accessKey): string {
  return `Endpoint=${endpoint};AccessKey=${key};Version=1.0;`;
}

/** Real config and SDK client, as the app builds them, from a settings record. */
export function makeDeps(settings: SettingsRecord & { WebPubSubConnectionString?: string } = {}): TriggerDeps {
  const config = parseConfig({
    WebPubSubConnectionString: connectionStringFor(closedEndpoint),
    WebPubSubMaxRetries: "0",
    ...settings,
  });
  return { config, service: createRealtimeService(config) };
}

export interface InvokeInit {
  method?: string;
  /** Path and query under the function host, e.g. `/api/send?userId=u1`. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  params?: Record<string, string>;
}

export interface InvokeResult {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  logs: string[];
}

/** Calls a handler with a real `HttpRequest` and `InvocationContext`, returning status and JSON. */
export async function invoke(handler: HttpHandler, init: InvokeInit): Promise<InvokeResult> {
  const logs: string[] = [];
  const context = new InvocationContext({
    functionName: "test",
    logHandler: (level, ...args) => logs.push(`${level}: ${args.map(String).join(" ")}`),
  });
  const body = init.body === undefined ? undefined : typeof init.body === "string" ? { string: init.body } : { bytes: init.body };
  const request = new HttpRequest({
    method: init.method ?? "GET",
    url: `http://localhost:7071${init.path}`,
    headers: init.headers ?? {},
    body,
    params: init.params ?? {},
  });
  const response: HttpResponseInit = await handler(request, context);
  const headers: Record<string, string> = {};
  new Headers(response.headers as Record<string, string> | undefined).forEach((value, key) => {
    headers[key] = value;
  });
  return { status: response.status ?? 200, body: response.jsonBody ?? null, headers, logs };
}
