import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  // Relative asset paths, so the built app also works behind a reverse proxy under a sub-path.
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  server: {
    // `npm run dev -w packages/dashboard` talks to a `tessera serve` on the default port.
    proxy: { '/v1': 'http://127.0.0.1:8470' },
  },
});
