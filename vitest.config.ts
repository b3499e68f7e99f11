import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // Generous bounds, not speed checks: with the whole unit project on two cores, loading a model on a worker
          // thread (tsx in the thread) once took over 10 s. A hung test still fails, just later.
          testTimeout: 60_000,
          hookTimeout: 60_000
        }
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Browsers, the backend and fake-mic audio share 2 cores: run e2e files one at a time.
          fileParallelism: false
        }
      }
    ]
  }
})
