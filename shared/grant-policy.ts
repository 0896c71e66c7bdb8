import { AppError } from "./errors";
import { validateGroupName } from "./names";

/**
 * Which groups and roles a client may be given. Patterns are exact names, or globs where `*`
 * matches any run of characters (`room-*`, `webpubsub.joinLeaveGroup.room-*`, or `*` for all).
 */
export interface GrantPolicy {
  /** Groups a caller may request. @default [] (none) */
  readonly allowedGroups: readonly string[];
  /** Roles a caller may request. @default [] (none) */
  readonly allowedRoles: readonly string[];
  /** Groups every token gets without asking. @default [] */
  readonly defaultGroups: readonly string[];
  /** Roles every token gets without asking. @default [] */
  readonly defaultRoles: readonly string[];
}

export interface GrantRequest {
  groups: readonly string[];
  roles: readonly string[];
}

export type GrantDecision =
  | { allowed: true; groups: string[]; roles: string[] }
  | { allowed: false; error: AppError };

const rolePattern =
  /^webpubsub\.(?:(?:joinLeaveGroup|sendToGroup)(?:\..+)?|(?:joinLeaveGroups|sendToGroups)\..+)$/;

/** True when `role` has the shape of a Web PubSub role. */
export function isWebPubSubRole(role: string): boolean {
  return rolePattern.test(role);
}

/** True when `name` matches one of the patterns (`*` = any run of characters, case-sensitive). */
export function matchesAllowList(name: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => globToRegExp(pattern).test(name));
}

/**
 * Decides a negotiate (or upstream `connect`) request: every requested group and role must be
 * allowed (or be a default), otherwise the whole request is refused (403), never silently trimmed. Defaults are
 * added to what was granted; duplicates are removed, order kept.
 */
export function decideGrants(policy: GrantPolicy, request: GrantRequest): GrantDecision {
  for (const group of request.groups) {
    try {
      validateGroupName(group);
    } catch (error) {
      return { allowed: false, error: error as AppError };
    }
    if (!policy.defaultGroups.includes(group) && !matchesAllowList(group, policy.allowedGroups)) {
      return { allowed: false, error: new AppError("GroupNotAllowed", `Group ${JSON.stringify(group)} is not in the allow-list (AllowedGroups).`) };
    }
  }
  for (const role of request.roles) {
    if (!isWebPubSubRole(role)) {
      return { allowed: false, error: new AppError("InvalidRole", `Role ${JSON.stringify(role)} is not a Web PubSub role (webpubsub.joinLeaveGroup[.<group>] or webpubsub.sendToGroup[.<group>]).`) };
    }
    if (!policy.defaultRoles.includes(role) && !matchesAllowList(role, policy.allowedRoles)) {
      return { allowed: false, error: new AppError("RoleNotAllowed", `Role ${JSON.stringify(role)} is not in the allow-list (AllowedRoles).`) };
    }
  }
  return {
    allowed: true,
    groups: unique([...policy.defaultGroups, ...request.groups]),
    roles: unique([...policy.defaultRoles, ...request.roles]),
  };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  return new RegExp(`^${body}$`, "s");
}
