/**
 * Writes what a handler returned (an `HttpResponse` or a plain `HttpResponseInit`) to Node's
 * response. Plain inits go through `new HttpResponse(init)` so string, bytes, stream, `jsonBody`
 * and cookies behave exactly as the Functions library defines them; the commonest one, a status
 * with `jsonBody` and plain headers, is written directly (see `plainJsonResponse`).
 */
import type { ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { HttpResponse, type Cookie, type HttpResponseInit } from "@azure/functions";

export function toHttpResponse(result: unknown): HttpResponse {
  if (result instanceof HttpResponse) return result;
  if (result === undefined || result === null) return new HttpResponse({ status: 200 });
  return new HttpResponse(result as HttpResponseInit);
}

/** A response whose bytes are known up front: written with Content-Length in one write. */
export interface PlainResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON text: as a string, Node sends it in the same write as the head. */
  body: string | undefined;
}

// Statuses the fetch spec gives no body (the Functions library drops `jsonBody` for them).
const nullBodyStatuses = new Set([204, 205, 304]);
const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const headerValue = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * The bytes `new HttpResponse(init)` would produce for `{ status?, jsonBody?, headers? }` with a
 * plain record of string headers, without building a web `Response` and streaming its body
 * (which cost more than the rest of a small request). Anything else (a body, cookies, a
 * `Headers` object, an invalid status or header) returns undefined and takes the library's path.
 */
export function plainJsonResponse(result: unknown): PlainResponse | undefined {
  if (typeof result !== "object" || result === null || result instanceof HttpResponse) return undefined;
  const init = result as HttpResponseInit & Record<string, unknown>;
  if (init.body !== undefined || init.cookies !== undefined || init.enableContentNegotiation) return undefined;
  const status = init.status ?? 200;
  if (!Number.isInteger(status) || status < 200 || status > 599) return undefined;
  const headers: Record<string, string> = {};
  if (init.headers !== undefined) {
    if (Object.getPrototypeOf(init.headers) !== Object.prototype) return undefined;
    for (const [name, value] of Object.entries(init.headers as Record<string, unknown>)) {
      const lower = name.toLowerCase();
      // Names differing only in case are joined by Headers; leave that to the library.
      if (typeof value !== "string" || !headerName.test(name) || !headerValue.test(value) || lower in headers) return undefined;
      headers[lower] = value.trim();
    }
  }
  if (init.jsonBody === undefined || init.jsonBody === null || nullBodyStatuses.has(status)) return { status, headers, body: undefined };
  const text = JSON.stringify(init.jsonBody) as string | undefined;
  if (text === undefined) return undefined;
  headers["content-type"] ??= "application/json";
  return { status, headers, body: text };
}

export function writePlainResponse(res: ServerResponse, response: PlainResponse, extraHeaders: Record<string, string>, omitBody: boolean): void {
  for (const [name, value] of Object.entries(extraHeaders)) res.setHeader(name, value);
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  res.statusCode = response.status;
  if (!response.body) {
    res.end();
    return;
  }
  res.setHeader("content-length", Buffer.byteLength(response.body, "utf8"));
  res.end(omitBody ? undefined : response.body, "utf8");
}

export function serializeCookie(cookie: Cookie): string {
  const parts = [`${cookie.name}=${cookie.value}`];
  if (cookie.domain) parts.push(`Domain=${cookie.domain}`);
  if (cookie.path) parts.push(`Path=${cookie.path}`);
  if (cookie.expires !== undefined) {
    const expires = typeof cookie.expires === "number" ? new Date(cookie.expires) : cookie.expires;
    parts.push(`Expires=${expires.toUTCString()}`);
  }
  if (cookie.maxAge !== undefined) parts.push(`Max-Age=${cookie.maxAge}`);
  if (cookie.secure) parts.push("Secure");
  if (cookie.httpOnly) parts.push("HttpOnly");
  if (cookie.sameSite) parts.push(`SameSite=${cookie.sameSite}`);
  return parts.join("; ");
}

export async function writeFunctionResponse(
  res: ServerResponse,
  response: HttpResponse,
  extraHeaders: Record<string, string>,
  omitBody: boolean,
): Promise<void> {
  for (const [name, value] of Object.entries(extraHeaders)) res.setHeader(name, value);
  const setCookies: string[] = [];
  response.headers.forEach((value, name) => {
    if (name === "set-cookie") setCookies.push(value);
    else res.setHeader(name, value);
  });
  setCookies.push(...response.cookies.map(serializeCookie));
  if (setCookies.length > 0) res.setHeader("set-cookie", setCookies);
  res.statusCode = response.status;
  const body = response.body;
  if (!body || omitBody) {
    await body?.cancel();
    res.end();
    return;
  }
  await pipeline(Readable.fromWeb(body as unknown as NodeReadableStream<Uint8Array>), res);
}
