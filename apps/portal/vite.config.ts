// Vite builds the portal into dist/apps/portal (index.html at its root, hashed assets under
// assets/), served by the gateway at `/`. `nx run portal:serve` runs the dev server and proxies
// /api to a running gateway (KAMI_API_URL, default http://127.0.0.1:3000).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/apps/portal', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
  },
  server: {
    port: 4200,
    proxy: { '/api': { target: process.env['KAMI_API_URL'] ?? 'http://127.0.0.1:3000', changeOrigin: false } },
  },
  preview: { port: 4300 },
});
