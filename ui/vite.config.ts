import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The API server serves the app under /ui/ from the jar's dev/sluice/ui folder.
export default defineConfig({
  root: fileURLToPath(new URL("src/main/web", import.meta.url)),
  base: "/ui/",
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("target/classes/dev/sluice/ui", import.meta.url)),
    emptyOutDir: true,
    // No data: URLs, so the Content-Security-Policy can stay at 'self'.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    // `npm run dev` against a Sluice started with `./sluice standalone`.
    proxy: { "/api": "http://127.0.0.1:8080" },
  },
});
