import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";

// Served under /console/ by CloudFront and by the local edge; config.json is fetched at run time.
export default defineConfig({
  base: "/console/",
  plugins: [vue()],
  // vue-i18n's feature flags: the console uses the Composition API only and no <i18n-t> component, so the
  // legacy API and the global components stay out of the first load.
  define: {
    __VUE_I18N_FULL_INSTALL__: false,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  build: {
    target: "es2022",
    chunkSizeWarningLimit: 900,
  },
  server: { proxy: { "/api": "http://127.0.0.1:8080", "/_cognito": "http://127.0.0.1:8080", "/config.json": "http://127.0.0.1:8080" } },
});
