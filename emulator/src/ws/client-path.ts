/** Hub names as the REST API constrains them. */
export const HUB_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/;

export type ClientPath = { kind: "client"; hub: string } | { kind: "notFound" } | { kind: "badHub"; hub: string };

/** Recognises `/client/hubs/{hub}` and `/client/?hub={hub}`. Pure. */
export function parseClientPath(url: URL): ClientPath {
  const path = url.pathname.replace(/\/+$/, "");
  let hub: string | null;
  if (path === "/client") {
    hub = url.searchParams.get("hub");
  } else {
    const match = /^\/client\/hubs\/([^/]+)$/.exec(path);
    if (!match) return { kind: "notFound" };
    try {
      hub = decodeURIComponent(match[1]!);
    } catch {
      return { kind: "badHub", hub: match[1]! };
    }
  }
  if (hub === null) return { kind: "badHub", hub: "" };
  return HUB_NAME_PATTERN.test(hub) ? { kind: "client", hub } : { kind: "badHub", hub };
}
