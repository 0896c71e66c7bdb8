/**
 * The protocol faces of the service. Each face has its own hub namespace: a SignalR hub and a
 * Web PubSub hub with the same name are different hubs. The core keys every hub by
 * `hubKey(face, name)`; Web PubSub keys are the bare names (as before there were two faces), and
 * other faces prefix theirs with a character no hub name may contain.
 */
export type Face = "webpubsub" | "signalr";

const SIGNALR_PREFIX = "signalr:";

export function hubKey(face: Face, hub: string): string {
  switch (face) {
    case "webpubsub":
      return hub;
    case "signalr":
      return SIGNALR_PREFIX + hub;
    default: {
      const _never: never = face;
      return _never;
    }
  }
}

/** The face and public hub name behind a core hub key (for metering labels and logs). */
export function splitHubKey(key: string): { face: Face; hub: string } {
  return key.startsWith(SIGNALR_PREFIX) ? { face: "signalr", hub: key.slice(SIGNALR_PREFIX.length) } : { face: "webpubsub", hub: key };
}
