import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'
import type { Plugin } from 'vite'
import { devIndexHtml } from './src/shared/security'

/**
 * `npm run dev` only (apply: 'serve'): index.html's meta CSP relaxed for the React refresh preamble (an inline script).
 * `electron-vite build` never runs it, so the built page keeps the strict policy (test/unit/security checks it).
 */
export const devCspPlugin: Plugin = { name: 'voice-assistant:dev-csp', apply: 'serve', transformIndexHtml: { order: 'pre', handler: devIndexHtml } }

// Three bundles: main (Electron main + the same services in browser mode + the backend server entry),
// preload (one self-contained CommonJS file, required by the sandbox), renderer (React app).
export default defineConfig({
  main: {
    build: {
      rolldownOptions: {
        input: {
          index: resolve('src/main/index.ts'),
          browser: resolve('src/main/browserMain.ts'),
          server: resolve('src/server/main.ts'),
          // The backend's server VAD thread (worker_threads), found next to server.js at run time.
          serverVadWorker: resolve('src/server/vad/serverVadWorker.ts'),
          // The backend's on-device STT thread (SttService's worker), found next to server.js at run time.
          sttWorker: resolve('src/node/stt/sttWorker.ts'),
          // The edge relay (issue 8): `node out/main/relay.js`, no tsx at run time.
          relay: resolve('src/server/relay/main.ts')
        }
      }
    }
  },
  preload: {
    build: {
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: resolve('src/renderer'),
    base: './',
    build: {
      rolldownOptions: { input: { index: resolve('src/renderer/index.html') } }
    },
    plugins: [react(), devCspPlugin]
  }
})
