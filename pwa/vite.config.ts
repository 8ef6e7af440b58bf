/// <reference types="vitest/config" />
// Build: one small bundle (Preact) plus an injectManifest service worker that precaches the shell only;
// the supervisor console is a lazy chunk outside the precache.
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

// The console's lazy code: its feature folder (but not the tiny files the field app links through: who may open it,
// its route, its frame drawn while the chunk loads, and the overview's first requests started beside it) and ECharts.
const isConsoleModule = (id: string): boolean =>
  /[\\/](features[\\/]console|node_modules[\\/](echarts|zrender|tslib))[\\/]/.test(id)
  && !/[\\/]features[\\/]console[\\/](access|ConsoleRoute|ConsoleFrame|early)\.tsx?$/.test(id)
  && !/[\\/]features[\\/]console[\\/]frame\.css$/.test(id);

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    target: 'es2020',
    sourcemap: false,
    assetsInlineLimit: 0,
    // dist/.vite/manifest.json: which chunk imports which (benchmarks/pwa_bundle.py measures from it).
    manifest: true,
    rollupOptions: {
      output: {
        // The supervisor console (and ECharts) gets a "console-" prefix so the service worker can leave it out.
        chunkFileNames: (chunk) => (chunk.moduleIds.some(isConsoleModule)
          ? 'assets/console-[name]-[hash].js' : 'assets/[name]-[hash].js'),
        assetFileNames: (asset) => ((asset.names ?? []).some((n) => n.startsWith('ConsoleApp'))
          || (asset.originalFileNames ?? []).some(isConsoleModule)
          ? 'assets/console-[name]-[hash][extname]' : 'assets/[name]-[hash][extname]'),
      },
    },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8000' } },
  plugins: [
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      injectRegister: false,
      registerType: 'autoUpdate',
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,png,svg,webmanifest}'],
        // Field phones never download the console: it is fetched from the network when a supervisor opens it.
        globIgnores: ['**/console-*'],
      },
      manifest: {
        id: '/',
        name: '隐患排查治理 · 现场端',
        short_name: '隐患排查',
        description: '网格员巡查、随手拍与企业整改的离线优先应用',
        lang: 'zh-CN',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'portrait',
        background_color: '#ffffff',
        theme_color: '#0b3d91',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
    }),
  ],
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test-setup.ts'],
  },
});
