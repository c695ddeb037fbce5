// The settings docs/vite.md recommends: Vite's manifest on, output inside the Flask
// static folder, and a relative base so that chunks, CSS url()s and Vite's preload
// helper resolve against the CDN URL of the file that names them.
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  publicDir: false,
  build: {
    manifest: true,
    outDir: process.env.CDNPUB_VITE_OUT_DIR || "static/dist",
    emptyOutDir: true,
    // Maps without a sourceMappingURL comment: a script that names its map would be
    // edited by cdnpub until kept files are published byte for byte (issue #11).
    sourcemap: "hidden",
    assetsInlineLimit: 0,
    rollupOptions: {
      input: { main: "src/main.js", admin: "src/admin.js" },
    },
  },
});
