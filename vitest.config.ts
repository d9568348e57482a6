import { defineConfig } from 'vitest/config';

// `npx vitest` at the root runs every package's suite; `pnpm test` runs them
// package by package through turbo (after building, since some tests spawn bins).
export default defineConfig({
  test: {
    projects: ['packages/*'],
  },
});
