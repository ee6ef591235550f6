import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// The storage browser: built from ui/ into dist/ui (index.html + assets/*), which the server
// serves at `/` with a strict Content-Security-Policy: no inline script or style, nothing from
// another origin. Every file it needs is bundled here.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [preact()],
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../dist/ui/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // The preload polyfill would be inline script, which the page's CSP refuses.
    modulePreload: { polyfill: false },
    // Small images stay files under /assets rather than data: URLs.
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
});
