/** What the home shows, from the API only: the resident's units (GET /me), unread messages, open tickets
 * (their own), and what is due (issued bills of their units, late fees included). */
import { must, type Schemas } from "@courtyard/shared";

import { useApi } from "../services";

export const OPEN_STATUSES = ["submitted", "assigned", "accepted", "in_progress"] as const;

export interface HomeData {
  me: Schemas["MeOut"];
  units: Schemas["ResidentUnitOut"][];
  primary: Schemas["ResidentUnitOut"] | null;
  /** the primary unit's label as people say it ("1栋1单元101室"), not its room key */
  primaryLabel: string;
  unread: number;
  openTickets: number;
  due: number;
  dueBills: number;
}

export async function loadHome(): Promise<HomeData> {
  const api = useApi();
  const [me, unread, tickets, bills] = await Promise.all([
    api.GET("/me").then(must),
    api.GET("/inbox/unread-count").then(must),
    api.GET("/tickets", { params: { query: { mine: true, limit: 100 } } }).then(must),
    api.GET("/bills", { params: { query: { limit: 100 } } }).then(must),
  ]);
  const units = me.person?.units ?? [];
  const issued = bills.items.filter((b) => b.status === "issued");
  const primary = units.find((u) => u.primary) ?? units[0] ?? null;
  const unit = primary ? must(await api.GET("/units/{unit_id}", { params: { path: { unit_id: primary.unit_id } } })) : null;
  return {
    me,
    units,
    primary,
    primaryLabel: unit?.label ?? primary?.room ?? "",
    unread: unread.unread,
    openTickets: tickets.items.filter((t) => (OPEN_STATUSES as readonly string[]).includes(t.status)).length,
    due: issued.reduce((sum, b) => sum + b.amount_payable, 0),
    dueBills: issued.length,
  };
}
