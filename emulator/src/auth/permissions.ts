import type { Permission } from "../cluster/commands";

const ROLE_PREFIX: Record<Permission, { all: string; one: string; pattern: string }> = {
  joinLeaveGroup: { all: "webpubsub.joinLeaveGroup", one: "webpubsub.joinLeaveGroup.", pattern: "webpubsub.joinLeaveGroups." },
  sendToGroup: { all: "webpubsub.sendToGroup", one: "webpubsub.sendToGroup.", pattern: "webpubsub.sendToGroups." },
};

/** `*` within one dot segment, `**` across segments, `?` one non-dot character; case-sensitive. */
export function compileGroupPattern(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === "*" && pattern[i + 1] === "*") {
      source += ".*";
      i++;
    } else if (char === "*") source += "[^.]*";
    else if (char === "?") source += "[^.]";
    else source += char.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

const grantKey = (permission: Permission, targetName: string | undefined): string => `${permission}\u0000${targetName ?? ""}`;

/**
 * What one connection may do with groups: its roles (token or connect event), changed by
 * permissions granted and revoked through REST. Without a target, grant/revoke covers all groups.
 */
export class ConnectionPermissions {
  private readonly allGroups = new Set<Permission>();
  private readonly exactGroups = new Set<string>();
  private patterns: Array<{ permission: Permission; regex: RegExp }> = [];
  private readonly revoked = new Set<string>();

  constructor(roles: readonly string[]) {
    for (const role of roles) {
      for (const permission of ["joinLeaveGroup", "sendToGroup"] as const) {
        const prefix = ROLE_PREFIX[permission];
        if (role === prefix.all) this.allGroups.add(permission);
        else if (role.startsWith(prefix.one)) this.exactGroups.add(grantKey(permission, role.slice(prefix.one.length)));
        else if (role.startsWith(prefix.pattern)) this.patterns.push({ permission, regex: compileGroupPattern(role.slice(prefix.pattern.length)) });
      }
    }
  }

  /** Without `group`: the permission for every group. */
  has(permission: Permission, group?: string): boolean {
    if (group !== undefined && this.revoked.has(grantKey(permission, group))) return false;
    if (this.allGroups.has(permission)) return true;
    if (group === undefined) return false;
    if (this.exactGroups.has(grantKey(permission, group))) return true;
    return this.patterns.some((p) => p.permission === permission && p.regex.test(group));
  }

  grant(permission: Permission, targetName?: string): void {
    if (targetName === undefined) {
      this.allGroups.add(permission);
      for (const key of [...this.revoked]) if (key.startsWith(grantKey(permission, ""))) this.revoked.delete(key);
      return;
    }
    this.revoked.delete(grantKey(permission, targetName));
    this.exactGroups.add(grantKey(permission, targetName));
  }

  revoke(permission: Permission, targetName?: string): void {
    if (targetName === undefined) {
      this.allGroups.delete(permission);
      for (const key of [...this.exactGroups]) if (key.startsWith(grantKey(permission, ""))) this.exactGroups.delete(key);
      this.patterns = this.patterns.filter((p) => p.permission !== permission);
      return;
    }
    this.exactGroups.delete(grantKey(permission, targetName));
    this.revoked.add(grantKey(permission, targetName));
  }
}
