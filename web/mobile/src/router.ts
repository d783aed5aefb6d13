/** Routes under /m/. The four tabs live in TabLayout; signing in and joining by invitation stand alone.
 * Pages load lazily so a resident's phone fetches only what it opens. */
import { createRouter, createWebHistory } from "vue-router";

import { claims } from "./identity";
import TabLayout from "./layout/TabLayout.vue";

declare module "vue-router" {
  interface RouteMeta {
    public?: boolean;
    /** i18n key of the screen's title */
    title?: string;
    /** the tab that is lit on this screen */
    tab?: "home" | "repairs" | "bills" | "me";
  }
}

export const router = createRouter({
  history: createWebHistory("/m/"),
  routes: [
    { path: "/signin", name: "signin", component: () => import("./pages/SignIn.vue"), meta: { public: true } },
    // WeChat's OAuth page sends the browser back here with ?code&state (「微信一键登录」).
    { path: "/wechat/callback", name: "wechatCallback", component: () => import("./pages/WeChatCallback.vue"), meta: { public: true } },
    { path: "/invite/:code", name: "invite", component: () => import("./pages/InvitePage.vue"), props: true },
    // The invitation's share link (`{app}/join#{code}`): the code rides in the fragment, out of every server log.
    {
      path: "/join",
      name: "join",
      component: () => import("./pages/InvitePage.vue"),
      props: (route) => ({ code: decodeURIComponent(route.hash.slice(1)) }),
    },
    // The visitor's pass (no account; the token is in the fragment) and the field staff's screens (no tabs).
    // An SMS's short link (public: the code is the credential) goes on to the page it names.
    { path: "/s/:code", name: "shortLink", component: () => import("./pages/ShortLink.vue"), props: true, meta: { public: true } },
    { path: "/v", name: "visitorPass", component: () => import("./pages/pass/VisitorPassPage.vue"), meta: { public: true } },
    { path: "/guard", name: "guard", component: () => import("./pages/guard/GuardPage.vue") },
    { path: "/tech", name: "tech", component: () => import("./pages/tech/TechJobs.vue") },
    { path: "/tech/:id", name: "techJob", component: () => import("./pages/tech/TechJob.vue"), props: true },
    {
      path: "/",
      component: TabLayout,
      children: [
        { path: "", name: "home", component: () => import("./pages/HomePage.vue"), meta: { tab: "home", title: "tabs.home" } },
        { path: "repairs", name: "repairs", component: () => import("./pages/RepairsPage.vue"), meta: { tab: "repairs", title: "tabs.repairs" } },
        { path: "repairs/new", name: "repairNew", component: () => import("./pages/RepairNew.vue"), meta: { tab: "repairs", title: "repairs.new" } },
        { path: "repairs/:id", name: "repair", component: () => import("./pages/RepairDetail.vue"), props: true, meta: { tab: "repairs", title: "repairs.detail" } },
        { path: "bills", name: "bills", component: () => import("./pages/BillsPage.vue"), meta: { tab: "bills", title: "tabs.bills" } },
        { path: "bills/receipt/:paymentId", name: "receipt", component: () => import("./pages/ReceiptPage.vue"), props: true, meta: { tab: "bills", title: "bills.receipt" } },
        { path: "visitors", name: "visitors", component: () => import("./pages/visitors/VisitorsPage.vue"), meta: { tab: "home", title: "visitors.title" } },
        { path: "visitors/new", name: "passNew", component: () => import("./pages/visitors/PassNew.vue"), meta: { tab: "home", title: "visitors.new" } },
        { path: "visitors/:id", name: "pass", component: () => import("./pages/visitors/PassShow.vue"), props: true, meta: { tab: "home", title: "visitors.pass" } },
        { path: "me", name: "me", component: () => import("./pages/MePage.vue"), meta: { tab: "me", title: "tabs.me" } },
        { path: "messages", name: "messages", component: () => import("./pages/MessagesPage.vue"), meta: { tab: "me", title: "messages.title" } },
        { path: "proxies", name: "proxies", component: () => import("./pages/FamilyProxiesPage.vue"), meta: { tab: "me", title: "proxies.title" } },
        { path: "me/export", name: "myExport", component: () => import("./pages/ExportPage.vue"), meta: { tab: "me", title: "export.title" } },
        { path: "preferences", name: "preferences", component: () => import("./pages/PreferencesPage.vue"), meta: { tab: "me", title: "preferences.title" } },
        { path: "me/phone", name: "phone", component: () => import("./pages/PhoneChangePage.vue"), meta: { tab: "me", title: "phone.title" } },
        { path: ":rest(.*)*", name: "notFound", component: () => import("./pages/NotFound.vue"), meta: { public: true, title: "state.notFoundTitle" } },
      ],
    },
  ],
});

router.beforeEach((to) => {
  if (to.meta.public || claims.value) return true;
  return { name: "signin", query: to.fullPath !== "/" ? { next: to.fullPath } : {} };
});

// Guards and technicians land on their own screen, not the residents' home.
router.beforeEach((to) => {
  const roles = claims.value?.roles ?? [];
  if (to.name !== "home" || roles.includes("resident")) return true;
  if (roles.includes("guard")) return { name: "guard" };
  if (roles.includes("technician")) return { name: "tech" };
  return true;
});
