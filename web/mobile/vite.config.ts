import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";

// Served under /m/ by CloudFront and by the local edge; config.json is fetched at run time, never cached.
export default defineConfig({
  base: "/m/",
  plugins: [
    vue(),
    VitePWA({
      // A deploy replaces the old version at the next visit: no stale app on a resident's phone.
      registerType: "autoUpdate",
      injectRegister: "auto",
      manifest: {
        name: "Courtyard 社区服务",
        short_name: "社区服务",
        lang: "zh-CN",
        start_url: "/m/",
        scope: "/m/",
        display: "standalone",
        theme_color: "#1f6f43",
        background_color: "#ffffff",
        icons: [{ src: "icon.svg", sizes: "any", type: "image/svg+xml", purpose: "any" }],
      },
      workbox: {
        navigateFallback: "/m/index.html",
        // The API, the console, sign-in and the run-time settings are never answered from the app's cache.
        navigateFallbackDenylist: [/^\/api\//, /^\/console\//, /^\/_cognito\//, /^\/config\.json/],
        // The QR reader's WebAssembly (about 0.9 MB) too: a gate that lost its network still scans.
        globPatterns: ["**/*.{js,css,html,svg,wasm}"],
        // Push (a technician's new job): shown by the worker, and the open pages are told (public/push-sw.js).
        importScripts: ["push-sw.js"],
        // The run-time settings from the network when there is one, else the last copy: a visitor's pass page or
        // a gate opened once must start again without network (the app cannot boot without config.json).
        runtimeCaching: [
          {
            urlPattern: ({ url }) => url.pathname === "/config.json",
            handler: "NetworkFirst",
            options: { cacheName: "courtyard-config", networkTimeoutSeconds: 5 },
          },
        ],
      },
    }),
  ],
  build: { target: "es2022" },
  server: { proxy: { "/api": "http://127.0.0.1:8080", "/_cognito": "http://127.0.0.1:8080", "/config.json": "http://127.0.0.1:8080" } },
});
