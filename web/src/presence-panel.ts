/**
 * Members of the groups this page joined, from the function app's presence route, refreshed when
 * the function app tells the group that a connection joined or left (its events trigger, on the
 * service's group presence events), with what each refresh cost in billed messages.
 */
import { getJson, type FunctionApiSettings } from "./function-api";
import { readPresenceNotice, refreshCost, type PresenceChange } from "./presence-notice";

interface MembersPage {
  members: Array<{ connectionId: string; userId: string | null }>;
  continuationToken: string | null;
}

/** Pages read per refresh: at most 5 × 200 = 1,000 members are shown. */
export const MAX_PAGES_PER_REFRESH = 5;

export interface PresencePanelOptions {
  settings: () => FunctionApiSettings;
  /** Where failures are reported (the page's error list). */
  onError: (action: string, error: unknown) => void;
}

export interface PresencePanel {
  /** After this page joined or left `group`: show or drop its list (the members hear of it from the function app). */
  groupChanged(group: string, change: PresenceChange): Promise<void>;
  /** Every message the page receives; a presence notice refreshes its group. True when it was one. */
  onMessage(data: unknown): boolean;
  /** Re-reads one group's members; `cost` is shown beside them. */
  refresh(group: string, cost?: (members: number) => string): Promise<void>;
}

export function mountPresencePanel(container: HTMLElement, options: PresencePanelOptions): PresencePanel {
  const sections = new Map<string, HTMLElement>();

  const sectionFor = (group: string): HTMLElement => {
    let section = sections.get(group);
    if (!section) {
      section = document.createElement("section");
      section.className = "presence-group";
      section.dataset.group = group;
      const title = document.createElement("h3");
      title.textContent = `Members of ${group}`;
      const summary = document.createElement("p");
      summary.className = "presence-count";
      const list = document.createElement("ul");
      list.className = "presence-members";
      list.setAttribute("aria-label", `Members of ${group}`);
      const cost = document.createElement("p");
      cost.className = "presence-cost help";
      cost.setAttribute("role", "status");
      section.append(title, summary, list, cost);
      sections.set(group, section);
      container.append(section);
    }
    return section;
  };

  const refresh = async (group: string, cost?: (members: number) => string): Promise<void> => {
    const members: MembersPage["members"] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const query: [string, string][] = [["maxPageSize", "200"]];
      if (token) query.push(["continuationToken", token]);
      const page: MembersPage = await getJson<MembersPage>(options.settings(), `groups/${encodeURIComponent(group)}/members`, query);
      members.push(...page.members);
      token = page.continuationToken;
      pages += 1;
    } while (token !== null && pages < MAX_PAGES_PER_REFRESH);
    if (!sections.has(group)) return; // left while the list was loading
    const section = sectionFor(group);
    section.querySelector(".presence-count")!.textContent = `${members.length}${token ? "+" : ""} connection(s)`;
    section.querySelector(".presence-members")!.replaceChildren(
      ...members.map((member) => {
        const item = document.createElement("li");
        item.dataset.connectionId = member.connectionId;
        item.textContent = `${member.userId ?? "(anonymous)"} (${member.connectionId})`;
        return item;
      }),
    );
    if (cost) section.querySelector(".presence-cost")!.textContent = cost(members.length);
  };

  return {
    refresh,
    async groupChanged(group, change) {
      if (change === "left") {
        sections.get(group)?.remove();
        sections.delete(group);
        return;
      }
      sectionFor(group);
      try {
        await refresh(group);
      } catch (error) {
        options.onError(`Listing the members of ${group}`, error);
      }
    },
    onMessage(data) {
      const notice = readPresenceNotice(data);
      if (!notice) return false;
      if (!sections.has(notice.group)) return true;
      refresh(notice.group, (members) => refreshCost(notice, members).text).catch((error: unknown) =>
        options.onError(`Listing the members of ${notice.group}`, error),
      );
      return true;
    },
  };
}
