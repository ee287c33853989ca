// Adds up the JSON reports every project's Vitest run leaves in tmp/test-results and
// prints one closing line, `tests: N passed, N failed`, so a reader of a long
// `npm test` log (or CI) sees the whole workspace's count in one place.
//   node tools/ci/test-summary.mjs          print the summary; exit 1 when any test failed
//   node tools/ci/test-summary.mjs --reset  forget reports from an earlier run
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const resultsDir = resolve(import.meta.dirname, '../../tmp/test-results');

if (process.argv.includes('--reset')) {
  rmSync(resultsDir, { recursive: true, force: true });
  process.exit(0);
}

function reportFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return reportFiles(path);
    return entry.name.endsWith('.json') ? [path] : [];
  });
}

const totals = { passed: 0, failed: 0, skipped: 0 };
for (const file of reportFiles(resultsDir)) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  totals.passed += report.numPassedTests;
  totals.failed += report.numFailedTests;
  totals.skipped += report.numPendingTests + report.numTodoTests;
}
const skipped = totals.skipped > 0 ? `, ${totals.skipped} skipped` : '';
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed${skipped}`);
process.exit(totals.failed > 0 ? 1 : 0);
