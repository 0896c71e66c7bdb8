/**
 * Writes what a handler returned (an `HttpResponse` or a plain `HttpResponseInit`) to Node's
 * response. Plain inits go through `new HttpResponse(init)` so string, bytes, stream, `jsonBody`
 * and cookies behave exactly as the Functions library defines them.
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
