import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";

// Served under /console/ by CloudFront and by the local edge; config.json is fetched at run time.
export default defineConfig({
  base: "/console/",
  plugins: [vue()],
  build: {
    target: "es2022",
    chunkSizeWarningLimit: 900,
    rollupOptions: {
      output: {
        // Element Plus and ECharts change rarely: their own chunks stay cached across console releases.
        manualChunks(id: string) {
          if (id.includes("node_modules/echarts") || id.includes("node_modules/zrender")) return "echarts";
          if (id.includes("node_modules/element-plus") || id.includes("node_modules/@element-plus")) return "element";
          if (id.includes("node_modules")) return "vendor";
          return undefined;
        },
      },
    },
  },
  server: { proxy: { "/api": "http://127.0.0.1:8080", "/_cognito": "http://127.0.0.1:8080", "/config.json": "http://127.0.0.1:8080" } },
});
