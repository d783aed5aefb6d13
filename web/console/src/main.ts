/** The staff console: read config.json, start sign-in and the API client, then mount. */
import { loadConfig } from "@courtyard/shared";
import { createPinia } from "pinia";
import { createApp } from "vue";

import App from "./App.vue";
import { i18n, startLocale } from "./i18n";
import { router } from "./router";
import { startServices } from "./services";
import "./styles.css";

async function boot(): Promise<void> {
  const [config] = await Promise.all([loadConfig(), startLocale()]);
  startServices(config, () => {
    // The API refused the token (revoked, expired): back to the sign-in form, keeping the place.
    const here = router.currentRoute.value;
    if (!here.meta.public) void router.push({ name: "signin", query: { next: here.fullPath } });
  });
  const app = createApp(App);
  app.use(createPinia());
  app.use(i18n);
  app.use(router);
  app.mount("#app");
}

boot().catch((error: unknown) => {
  // No config, no console: say so plainly instead of a blank page.
  document.getElementById("app")!.innerHTML =
    `<p style="padding:48px;font-size:16px">控制台无法启动（${String(error)}）。请稍后刷新页面。</p>`;
});
