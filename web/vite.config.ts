// The studio's build: web/ -> dist/web, served by `portraitist serve` (createApp's webRoot).
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
  },
  server: {
    // `npm run dev:web` beside `portraitist serve`: the API stays on its own origin rules.
    proxy: { '/api': { target: 'http://127.0.0.1:4780', changeOrigin: true } },
  },
});
