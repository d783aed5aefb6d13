/** The tickets API's vocabularies (from the generated schema's enums) and how the pages colour them. */
import type { Schemas } from "@courtyard/shared";

export const STATUSES: Schemas["TicketStatus"][] = ["submitted", "assigned", "accepted", "in_progress", "resolved", "closed", "cancelled"];
export const OPEN_STATUSES: Schemas["TicketStatus"][] = ["submitted", "assigned", "accepted", "in_progress"];
export const CATEGORIES: Schemas["Category"][] = [
  "plumbing", "electrical", "elevator", "door_access", "fire_safety", "public_facility", "cleaning", "pest_control",
  "greening", "security", "noise", "parking", "renovation", "other",
];
export const PRIORITIES: Schemas["Priority"][] = ["normal", "urgent", "emergency"];

export type TagType = "danger" | "warning" | "primary" | "success" | "info";

export function statusTag(status: Schemas["TicketStatus"]): TagType {
  const tags: Record<Schemas["TicketStatus"], TagType> = {
    submitted: "danger", assigned: "warning", accepted: "warning", in_progress: "primary", resolved: "success", closed: "info", cancelled: "info",
  };
  return tags[status];
}

/** Still open and past its resolve-by time (the API's `overdue` filter says the same). */
export function isOverdue(ticket: Schemas["TicketOut"], now: number = Date.now()): boolean {
  return OPEN_STATUSES.includes(ticket.status) && Date.parse(ticket.resolve_by) < now;
}
