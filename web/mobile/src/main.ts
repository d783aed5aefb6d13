/** The residents' app: read config.json, start sign-in and the API client, then mount. */
import { loadConfig } from "@courtyard/shared";
import { createApp } from "vue";

import App from "./App.vue";
import { startElderlyMode } from "./elderly";
import { i18n } from "./i18n";
import { startIdentity } from "./identity";
import { useVant } from "./plugins/vant";
import { router } from "./router";
import { startApi } from "./services";
import "./styles.css";

async function boot(): Promise<void> {
  const config = await loadConfig();
  startIdentity(config);
  startApi(config, () => {
    // The API refused the token (revoked, expired): back to the sign-in form, keeping the place.
    const here = router.currentRoute.value;
    if (!here.meta.public) void router.push({ name: "signin", query: { next: here.fullPath } });
  });
  startElderlyMode();
  const app = createApp(App);
  app.use(i18n);
  useVant(app);
  app.use(router);
  app.mount("#app");
}

boot().catch((error: unknown) => {
  // No config, no app: say so plainly instead of a blank screen.
  document.getElementById("app")!.innerHTML =
    `<p style="padding:32px;font-size:20px">暂时无法打开（${String(error)}）。请稍后再试。</p>`;
});
