import { allConnectionsRoute } from "./all-connections";
import { broadcastRoute } from "./broadcast";
import { connectionRoute } from "./connection";
import { connectionGroupsRoute } from "./connection-groups";
import { eventsRoutes } from "./events";
import { groupRoute } from "./group";
import { groupConnectionRoute } from "./group-connection";
import { groupConnectionsRoute } from "./group-connections";
import { groupMemberCountRoute } from "./group-member-count";
import { groupMembersRoute } from "./group-members";
import { groupUserRoute } from "./group-user";
import { joinGroupRoute, leaveGroupRoute } from "./join-group";
import { negotiateRoute } from "./negotiate";
import { realtimeServiceInfoRoutes } from "./realtime-service-info";
import type { RouteDefinition } from "./route-table-types";
import { sendRoute } from "./send";
import { signalRUpstreamRoutes } from "./signalr-upstream";
import { userRoute } from "./user";
import { userConnectionsRoute } from "./user-connections";
import { userGroupsRoute } from "./user-groups";
import { userOnlineRoute } from "./user-online";
import { webRoutes } from "./web";

/** The one route table: `index.ts` registers it with `app.http`; the local host serves it as is. */
export const routes: RouteDefinition[] = [
  negotiateRoute,
  sendRoute,
  broadcastRoute,
  groupUserRoute,
  groupConnectionRoute,
  userGroupsRoute,
  connectionGroupsRoute,
  connectionRoute,
  allConnectionsRoute,
  userRoute,
  userConnectionsRoute,
  groupRoute,
  groupConnectionsRoute,
  // Presence: who is in a group, how many, is a user online.
  groupMembersRoute,
  groupMemberCountRoute,
  userOnlineRoute,
  // A user's own page joining or leaving a group, under negotiate's allow-list.
  joinGroupRoute,
  leaveGroupRoute,
  ...eventsRoutes,
  ...signalRUpstreamRoutes,
  ...realtimeServiceInfoRoutes,
  ...webRoutes,
];
