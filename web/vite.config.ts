import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The Signet web application, built into web/dist and served by the Signet
 * process itself (src/http/web-routes.ts). The build is deterministic and
 * offline: no network, no environment-dependent output.
 */
export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The charts are big; they load only with the dashboard, not with the public pages.
    chunkSizeWarningLimit: 800,
    sourcemap: false,
  },
  // In development the app talks to a Signet on 8080 (npm start).
  server: {
    proxy: Object.fromEntries(['/api', '/ca', '/crl', '/ocsp', '/cps', '/tsa', '/healthz'].map((p) => [p, 'http://127.0.0.1:8080'])),
  },
  logLevel: 'warn',
});
