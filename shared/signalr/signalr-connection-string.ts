/** The parts of an Azure SignalR Service connection string this app uses. */
export interface SignalRConnectionString {
  /** Where REST calls go (`ServerEndpoint`, else `Endpoint`), ending in `/`. */
  endpoint: string;
  /** What clients are sent to (`ClientEndpoint`, else `Endpoint`), ending in `/`. */
  clientEndpoint: string;
  /** Secret: HMAC key as UTF-8 bytes, never base64-decoded (the .NET SDK's rule). */
  accessKey: string;
}

/**
 * Parses like the service SDK's `ConnectionStringParser`: `;`-separated `Key=Value`, split at the
 * first `=`, keys case-insensitive, duplicates refused, `Version` 1.x, `Port` overriding the
 * `Endpoint`'s port. Entra ID (`AuthType=…`) cannot sign offline, so it is refused with a reason.
 * Returns a reason instead of throwing so the config module can name the setting.
 */
export function parseSignalRConnectionString(text: string): SignalRConnectionString | { error: string } {
  const values = new Map<string, string>();
  for (const piece of text.split(";")) {
    if (piece.trim() === "") continue;
    const at = piece.indexOf("=");
    if (at <= 0) return { error: `${JSON.stringify(piece.trim().slice(0, 40))} is not Key=Value` };
    const key = piece.slice(0, at).trim().toLowerCase();
    if (values.has(key)) return { error: `it sets ${piece.slice(0, at).trim()} twice` };
    values.set(key, piece.slice(at + 1).trim());
  }
  if (values.has("authtype")) return { error: "AuthType (Microsoft Entra ID) is not supported by this app; use an AccessKey connection string" };
  const version = values.get("version");
  if (version !== undefined && !/^1\.\d+/.test(version)) return { error: `Version ${JSON.stringify(version)} is not supported; use 1.0` };
  const accessKey = values.get("accesskey");
  const port = values.get("port");
  if (port !== undefined && (!/^\d{1,5}$/.test(port) || Number(port) > 65535)) return { error: "its Port is not a port number" };
  const endpoint = endpointUrl(values.get("endpoint"), "Endpoint", port);
  if (typeof endpoint !== "string") return endpoint;
  if (!accessKey) return { error: "it has no AccessKey=" };
  const server = values.has("serverendpoint") ? endpointUrl(values.get("serverendpoint"), "ServerEndpoint", undefined) : endpoint;
  if (typeof server !== "string") return server;
  const client = values.has("clientendpoint") ? endpointUrl(values.get("clientendpoint"), "ClientEndpoint", undefined) : endpoint;
  if (typeof client !== "string") return client;
  return { endpoint: server, clientEndpoint: client, accessKey };
}

function endpointUrl(raw: string | undefined, name: string, port: string | undefined): string | { error: string } {
  if (!raw) return { error: `it has no ${name}=` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { error: `its ${name} is not a URL` };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { error: `its ${name} must be http:// or https://` };
  if (port !== undefined) url.port = port;
  url.search = "";
  url.hash = "";
  return url.toString().replace(/\/*$/, "/");
}
