import { defineConfig } from "vite";

// The server serves dist/ with `corral server --ui-dir ui/dist`; its Content-Security-Policy is
// `default-src 'self'`, so the build must not inline scripts or styles into index.html.
export default defineConfig({
  build: {
    outDir: "dist",
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1200,
    target: "es2022",
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:8080", "/healthz": "http://127.0.0.1:8080" },
  },
});
