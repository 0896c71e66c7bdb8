/** The parts of a Web PubSub connection string this app uses. */
export interface ParsedConnectionString {
  /** Normalised endpoint, always ending in `/`, as the SDK stores it. */
  endpoint: string;
  accessKey: string;
}

/**
 * Parses like `@azure/web-pubsub`'s parseConnectionString: `;`-separated, split at the first `=`,
 * keys case-insensitive, `https://` prepended when the scheme is missing, `Port=` overriding.
 * Returns a reason string instead of throwing so the config module can name the setting.
 */
export function parseConnectionString(text: string): ParsedConnectionString | { error: string } {
  const values = new Map<string, string>();
  for (const piece of text.split(";")) {
    const at = piece.indexOf("=");
    if (at > 0) values.set(piece.slice(0, at).trim().toLowerCase(), piece.slice(at + 1).trim());
  }
  const rawEndpoint = values.get("endpoint");
  const accessKey = values.get("accesskey");
  if (!rawEndpoint) return { error: "it has no Endpoint=" };
  if (!accessKey) return { error: "it has no AccessKey= (Microsoft Entra ID credentials are not supported by this app)" };
  let url: URL;
  try {
    url = new URL(rawEndpoint.startsWith("http") ? rawEndpoint : `https://${rawEndpoint}`);
  } catch {
    return { error: "its Endpoint is not a URL" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { error: "its Endpoint must be http:// or https://" };
  const port = values.get("port");
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return { error: "its Port is not a port number" };
    url.port = port;
  }
  return { endpoint: url.toString(), accessKey };
}

/** Loopback endpoints are "local": anonymous identity is the default there. */
export function isLocalEndpoint(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return host === "localhost" || host === "[::1]" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
