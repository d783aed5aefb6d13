/** Names for the ids a ticket carries: staff (GET /staff, manager and service desk only) by staff id and by
 * user id, and the open load of each technician (open tickets per assignee, counted from GET /tickets). */
import { must, type Schemas } from "@courtyard/shared";
import { computed, shallowRef } from "vue";

import { useApi } from "../../services";
import { useSession } from "../../stores/session";

type Staff = Schemas["StaffOut"];
type Status = Schemas["TicketStatus"];

/** Statuses that hold a technician's time: the load a dispatcher weighs. */
const BUSY: Status[] = ["assigned", "accepted", "in_progress"];

const staff = shallowRef<Staff[]>([]);
let loaded: Promise<void> | null = null;

export function mayDispatch(roles: readonly string[]): boolean {
  return roles.includes("manager") || roles.includes("service_desk");
}

export function useTicketPeople() {
  const api = useApi();
  const session = useSession();

  /** Every staff member, following the cursor; once per page load (the directory changes rarely). */
  function load(): Promise<void> {
    if (!mayDispatch(session.roles)) return Promise.resolve();
    loaded ??= (async () => {
      const all: Staff[] = [];
      let cursor: string | undefined;
      do {
        const page = must(await api.GET("/staff", { params: { query: { limit: 100, cursor } } }));
        all.push(...page.items);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      staff.value = all;
    })().catch((error: unknown) => {
      loaded = null;
      throw error;
    });
    return loaded;
  }

  const byStaffId = computed(() => new Map(staff.value.map((s) => [s.staff_id, s])));
  const byUserId = computed(() => new Map(staff.value.map((s) => [s.user_id, s])));
  const technicians = computed(() => staff.value.filter((s) => s.active && s.roles.includes("technician")));

  function staffName(staffId: string | null | undefined): string | null {
    if (!staffId) return null;
    return byStaffId.value.get(staffId)?.name ?? null;
  }

  function userName(userId: string): string | null {
    return byUserId.value.get(userId)?.name ?? null;
  }

  /** Open tickets per assignee (staff id) across the firm, every page read. */
  async function loads(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const status of BUSY) {
      let cursor: string | undefined;
      do {
        const page = must(await api.GET("/tickets", { params: { query: { status, limit: 100, cursor } } }));
        for (const ticket of page.items) {
          if (ticket.assignee_staff_id) counts.set(ticket.assignee_staff_id, (counts.get(ticket.assignee_staff_id) ?? 0) + 1);
        }
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
    }
    return counts;
  }

  return { load, staff, technicians, staffName, userName, loads };
}
