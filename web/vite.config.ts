/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The service serves dist/ at `/`; in `npm run dev` the API is proxied from the service on :8000.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        // one vendor chunk for what every screen needs; each menu's pages are their own chunks
        manualChunks(id) {
          if (/node_modules\/(react|react-dom|scheduler|react-router|react-router-dom)\//.test(id)) return 'react';
          if (/node_modules\/(urql|@urql|wonka|graphql|graphql-ws|gql\.tada|@0no-co)\//.test(id)) return 'graphql';
          return undefined;
        },
      },
    },
  },
  server: {
    proxy: {
      '/graphql': { target: 'http://127.0.0.1:8000', ws: true },
      '/files': 'http://127.0.0.1:8000',
      '/templates': 'http://127.0.0.1:8000',
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
  },
});
