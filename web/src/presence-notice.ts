/**
 * What a member-list refresh triggered by a presence notice cost, in billed messages. Pure.
 */
import { billedUnits } from "../../common/billing-units";
import { noticeBytes, type PresenceNotice } from "../../common/presence-notice";

export { noticeBytes, presenceNotice, readPresenceNotice, type PresenceChange, type PresenceNotice } from "../../common/presence-notice";

export interface RefreshCost {
  /** Billed messages the notice cost: one delivery per member, ceil(bytes / 2048) each. */
  billed: number;
  text: string;
}

const count = new Intl.NumberFormat("en-US");

/** What a refresh triggered by a notice of `bytes` to `recipients` connections cost. */
export function refreshCost(notice: PresenceNotice["presence"], recipients: number): RefreshCost {
  const bytes = noticeBytes(notice);
  const units = billedUnits(bytes);
  const billed = recipients * units;
  return {
    billed,
    text:
      `Refreshed after ${notice.userId} ${notice.change}: the ${count.format(bytes)}-byte notice went to ${count.format(recipients)} ` +
      `connection(s) × ${units} = ${count.format(billed)} billed message(s); listing the members is a REST call, not a billed message.`,
  };
}
