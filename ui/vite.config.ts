import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// Everything is bundled: the app loads nothing from the network at run time.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  build: { outDir: "dist", emptyOutDir: true, target: "safari15", assetsInlineLimit: 0 },
  // The palette test reads app.css as text: vitest leaves that stylesheet as it is.
  test: { include: ["src/**/*.test.ts"], environment: "node", css: { include: [/app\.css/] } },
});
