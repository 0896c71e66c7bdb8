/**
 * Presence over the Web PubSub SDK (`group(...).listConnections`, `userExists`).
 *
 * Paging: the SDK's continuation token is the service's `nextLink`, a URL the SDK would call
 * with the hub's credentials. Handing it to callers and taking it back would let anyone with a
 * function key point the app's signed request anywhere, so the app passes out only the link's
 * own `continuationToken` query value and sends it back to the service as that query parameter.
 */
import type { WebPubSubServiceClient } from "@azure/web-pubsub";
import type { GroupMembersPage, MembersPageRequest, PresenceSource } from "./group-presence";

/** The service's continuation token inside a `nextLink` (absolute or relative); null when there is none. */
export function continuationTokenOf(nextLink: string | undefined): string | null {
  if (!nextLink) return null;
  let url: URL;
  try {
    url = new URL(nextLink, "http://service.invalid");
  } catch {
    return null;
  }
  return url.searchParams.get("continuationToken");
}

export function webPubSubPresence(service: WebPubSubServiceClient): PresenceSource {
  return {
    async groupMembersPage(group: string, request: MembersPageRequest): Promise<GroupMembersPage> {
      // The SDK keeps a page's next link in a private map; the raw response callback is the public way to read it.
      let nextLink: string | undefined;
      const iterator = await service.group(group).listConnections({
        maxPageSize: request.maxPageSize,
        ...(request.top === undefined ? {} : { top: request.top }),
        ...(request.continuationToken === undefined ? {} : { continuationToken: request.continuationToken }),
        onResponse: (response) => {
          const body = response.parsedBody as { nextLink?: unknown } | undefined;
          nextLink = typeof body?.nextLink === "string" ? body.nextLink : undefined;
        },
      });
      // One request: the first page only; the next one starts from the token we hand out. (The page size
      // goes in the options above: the generated `byPage` throws on a `maxPageSize` of its own.)
      const first = await iterator.byPage().next();
      if (first.done) return { members: [], continuationToken: null };
      const page = first.value as Array<{ connectionId: string; userId?: string }>;
      return {
        members: page.map((member) => ({ connectionId: member.connectionId, userId: member.userId ?? null })),
        continuationToken: continuationTokenOf(nextLink),
      };
    },
    userExists: (userId) => service.userExists(userId),
  };
}
