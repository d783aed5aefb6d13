/** A community's units (id -> label), read page by page through the API's cursor: bills filter by unit and a
 * failed billing run names its missed units by label rather than by id. */
import { must, type Schemas } from "@courtyard/shared";

import { useApi } from "../../services";

export type Unit = Schemas["UnitOut"];

export async function siteUnits(siteId: string): Promise<Unit[]> {
  const api = useApi();
  const units: Unit[] = [];
  let cursor: string | undefined;
  do {
    const page = must(
      await api.GET("/sites/{site_id}/units", { params: { path: { site_id: siteId }, query: { limit: 100, cursor } } }),
    );
    units.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return units;
}
