import { hubKey } from "../cluster/hub-namespace";

const HUB_NAME = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/;

export type HubName = { ok: true; hub: string; key: string } | { ok: false; which: "hub" | "application" };

/**
 * The hub a request names: lowercased (the SDKs lowercase it, the service is case-insensitive),
 * prefixed by `{application}_` when an application is given, in the SignalR namespace of the core.
 */
export function resolveHubName(hub: string | null, application: string | null): HubName {
  if (hub === null || !HUB_NAME.test(hub)) return { ok: false, which: "hub" };
  if (application !== null && application !== "" && !HUB_NAME.test(application)) return { ok: false, which: "application" };
  const name = (application ? `${application}_${hub}` : hub).toLowerCase();
  return { ok: true, hub: name, key: hubKey("signalr", name) };
}
