/**
 * Where the local servers listen, and when that is unsafe. Both the local service's CLI and
 * `npm start` use it: loopback unless told otherwise, and never another interface with the
 * well-known default access key (anyone who could reach the port could then sign REST calls and
 * client tokens, and so bypass the function app's keys and identity).
 */

/** The default listen address: IPv4 loopback. `localhost` URLs still work (Node and browsers fall back from ::1). */
export const DEFAULT_LISTEN_HOST = "127.0.0.1";

/** True for an address only this machine can reach: `localhost`, 127.0.0.0/8, `::1` (bracketed or not), `::ffff:127.x`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice("::ffff:".length) : h;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * Why listening on `host` with this key must be refused, or undefined when it is fine.
 * `howToSetKey` names the flag or setting of the caller (each deployable reads its own).
 */
export function listenRefusal(host: string, usesDefaultKey: boolean, howToSetKey: string): string | undefined {
  if (isLoopbackHost(host) || !usesDefaultKey) return undefined;
  return (
    `Refusing to listen on ${host} with the well-known default access key: anyone who can reach this machine could call the ` +
    `service's REST API and sign client tokens. Set a key of your own with ${howToSetKey}, or leave --host unset to listen on loopback only.`
  );
}
