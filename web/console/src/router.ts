/** Routes under /console/. `meta.roles` is who may open a page (the same roles as its menu entry); anyone
 * else gets the 403 page at the same address, and an unknown address the 404 page. */
import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";

import ConsoleLayout from "./layout/ConsoleLayout.vue";
import { allowed, homeFor, MENU } from "./menu";
import Forbidden from "./pages/system/Forbidden.vue";
import { useSession } from "./stores/session";

// Every page is its own chunk (the layout and the 403 page it shows in place are the only ones at start).
const ComingSoon = () => import("./pages/system/ComingSoon.vue");
const NotFound = () => import("./pages/system/NotFound.vue");
const SignIn = () => import("./pages/system/SignIn.vue");

declare module "vue-router" {
  interface RouteMeta {
    roles?: readonly string[];
    public?: boolean;
    /** i18n key of the page title */
    title?: string;
  }
}

function rolesOf(name: string): readonly string[] {
  const entry = MENU.find((e) => e.name === name);
  if (!entry) throw new Error(`no menu entry ${name}`);
  return entry.roles;
}

const pages: RouteRecordRaw[] = [
  { path: "today", name: "today", component: () => import("./pages/today/TodayPage.vue"), meta: { roles: rolesOf("today"), title: "menu.today" } },
  { path: "tickets", name: "tickets", component: () => import("./pages/tickets/TicketList.vue"), meta: { roles: rolesOf("tickets"), title: "menu.tickets" } },
  {
    path: "tickets/:id",
    name: "ticket",
    component: () => import("./pages/tickets/TicketDetail.vue"),
    props: true,
    meta: { roles: rolesOf("tickets"), title: "tickets.detail" },
  },
  { path: "devices", name: "devices", component: () => import("./pages/devices/DevicesPage.vue"), meta: { roles: rolesOf("devices"), title: "menu.devices" } },
  { path: "visitors", name: "visitors", component: () => import("./pages/visitors/VisitorsPage.vue"), meta: { roles: rolesOf("visitors"), title: "menu.visitors" } },
  { path: "money", name: "money", component: () => import("./pages/money/MoneyPage.vue"), meta: { roles: rolesOf("money"), title: "menu.money" } },
  { path: "notices", name: "notices", component: () => import("./pages/notices/NoticeList.vue"), meta: { roles: rolesOf("notices"), title: "menu.notices" } },
  {
    path: "notices/new",
    name: "noticeNew",
    component: () => import("./pages/notices/NoticeCompose.vue"),
    meta: { roles: rolesOf("notices"), title: "notices.compose" },
  },
  {
    path: "notices/:id",
    name: "notice",
    component: () => import("./pages/notices/NoticeDetail.vue"),
    props: true,
    meta: { roles: rolesOf("notices"), title: "notices.detail" },
  },
  { path: "community", name: "community", component: () => import("./pages/community/CommunityPage.vue"), meta: { roles: rolesOf("community"), title: "menu.community" } },
  {
    path: "community/units/:id",
    name: "unit",
    component: () => import("./pages/community/UnitPage.vue"),
    props: true,
    meta: { roles: rolesOf("community"), title: "community.unit" },
  },
  { path: "import", name: "import", component: () => import("./pages/import/ImportWizard.vue"), meta: { roles: rolesOf("import"), title: "menu.import" } },
  { path: "staff", name: "staff", component: () => import("./pages/staff/StaffPage.vue"), meta: { roles: rolesOf("staff"), title: "menu.staff" } },
  { path: "settings", name: "settings", component: () => import("./pages/settings/SettingsPage.vue"), meta: { roles: rolesOf("settings"), title: "menu.settings" } },
  // Pages still to be built keep their place (menu, roles, 403) so the console's shape is whole today.
  ...MENU.filter((e) => !["today", "tickets", "devices", "visitors", "money", "notices", "community", "import", "staff", "settings"].includes(e.name)).map(
    (e): RouteRecordRaw => ({ path: e.path.slice(1), name: e.name, component: ComingSoon, meta: { roles: e.roles, title: `menu.${e.name}` } }),
  ),
  { path: "forbidden", name: "forbidden", component: Forbidden },
  { path: ":rest(.*)*", name: "notFound", component: NotFound },
];

export const router = createRouter({
  history: createWebHistory("/console/"),
  routes: [
    { path: "/signin", name: "signin", component: SignIn, meta: { public: true } },
    { path: "/", component: ConsoleLayout, children: [{ path: "", name: "home", redirect: () => homeFor(useSession().roles) }, ...pages] },
  ],
});

router.beforeEach((to) => {
  const session = useSession();
  if (to.meta.public) return true;
  if (!session.signedIn) return { name: "signin", query: to.fullPath !== "/" ? { next: to.fullPath } : {} };
  return true;
});

/** Whether the signed-in user may open a route; the layout shows the 403 page in its place when not. */
export function mayOpen(roles: readonly string[], routeRoles: readonly string[] | undefined): boolean {
  return allowed(roles, routeRoles);
}
