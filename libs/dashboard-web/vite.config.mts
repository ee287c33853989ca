import { defineConfig, loadEnv } from 'vite';

/** This folder, without Node's path helpers (the config is typechecked with the pages' DOM types). */
const projectRoot = decodeURIComponent(new URL('.', import.meta.url).pathname);

// Two pages: the dashboard (index.html, a hash-routed app) and the login form. The
// server serves dist/ at `/`, so every asset lives under /assets/. `vite` (dev) sends
// the API and the login routes to a running dashboard server at DASHBOARD_URL.
export default defineConfig(({ mode }) => {
  const dashboardUrl = loadEnv(mode, projectRoot, '')['DASHBOARD_URL'] ?? 'http://127.0.0.1:8080';
  return {
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
    server: {
      proxy: Object.fromEntries(['/api', '/login', '/logout'].map((path) => [path, dashboardUrl])),
    },
  };
});
