import { defineConfig } from 'vite';

/** This folder, without Node's path helpers (the config is typechecked with the pages' DOM types). */
const projectRoot = decodeURIComponent(new URL('.', import.meta.url).pathname);

// Two pages: the dashboard (index.html, a hash-routed app) and the login form. The
// server serves dist/ at `/`, so every asset lives under /assets/.
export default defineConfig({
  root: projectRoot,
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    rolldownOptions: {
      input: { index: `${projectRoot}index.html`, login: `${projectRoot}login.html` },
    },
  },
});
