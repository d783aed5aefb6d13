import { Avatar, Bell, Cpu, Money, OfficeBuilding, Odometer, Setting, Tickets, Upload, User } from "@element-plus/icons-vue";
import { markRaw, type Component } from "vue";

/** The side menu: one entry per page, with the roles that may use it. A role sees only its entries, and the
 * router refuses the others with the 403 page (the API refuses them too: the menu only spares a click). */
export type StaffRole = "manager" | "service_desk" | "technician" | "finance" | "guard";

export interface MenuEntry {
  /** route name, also the i18n key `menu.<name>` */
  name: string;
  path: string;
  icon: Component;
  roles: readonly StaffRole[];
}

export const MENU: readonly MenuEntry[] = [
  { name: "today", path: "/today", icon: markRaw(Odometer), roles: ["manager", "service_desk"] },
  { name: "tickets", path: "/tickets", icon: markRaw(Tickets), roles: ["manager", "service_desk", "technician"] },
  { name: "community", path: "/community", icon: markRaw(OfficeBuilding), roles: ["manager", "service_desk"] },
  { name: "import", path: "/import", icon: markRaw(Upload), roles: ["manager"] },
  { name: "money", path: "/money", icon: markRaw(Money), roles: ["manager", "finance"] },
  { name: "notices", path: "/notices", icon: markRaw(Bell), roles: ["manager", "service_desk"] },
  { name: "visitors", path: "/visitors", icon: markRaw(Avatar), roles: ["manager", "service_desk", "guard"] },
  { name: "devices", path: "/devices", icon: markRaw(Cpu), roles: ["manager", "service_desk", "technician"] },
  { name: "staff", path: "/staff", icon: markRaw(User), roles: ["manager"] },
  // The settings routes (tickets, visitor and payment settings) are the manager's alone.
  { name: "settings", path: "/settings", icon: markRaw(Setting), roles: ["manager"] },
];

export function allowed(roles: readonly string[], wanted: readonly string[] | undefined): boolean {
  return !wanted || wanted.some((role) => roles.includes(role));
}

export function menuFor(roles: readonly string[]): MenuEntry[] {
  return MENU.filter((entry) => allowed(roles, entry.roles));
}

/** Where a role lands after sign-in: its first page. */
export function homeFor(roles: readonly string[]): string {
  return menuFor(roles)[0]?.path ?? "/forbidden";
}
