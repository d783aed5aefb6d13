/** Loading helpers of the community pages: every page of a cursor list (a building has a few hundred units,
 * a community a few thousand residents at most), and what makes a unit count as occupied. */
import type { Schemas } from "@courtyard/shared";

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

/** All items of a cursor list, following `next_cursor` until the API says there is no more. */
export async function everyPage<T>(load: (cursor: string | undefined) => Promise<Page<T>>, cap = 100): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < cap; n++) {
    const page = await load(cursor);
    items.push(...page.items);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return items;
}

export type CellState = "arrears" | "occupied" | "vacant";

/** A unit is occupied when the firm marked it lived in (self-occupied, rented, decorating) or somebody is
 * linked to it as a resident (an import links people but leaves the occupancy field as it was). */
export function isOccupied(unit: Schemas["UnitOut"], withResidents: ReadonlySet<string>): boolean {
  return unit.occupancy !== "vacant" || withResidents.has(unit.unit_id);
}

export const OPEN_STATUSES: Schemas["TicketStatus"][] = ["submitted", "assigned", "accepted", "in_progress"];
