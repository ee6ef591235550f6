// Prints "N passed, N failed, N skipped" from a vitest JSON report; exits non-zero on any failure,
// on a missing report, on no test run, or when the test command itself failed.
import { existsSync, readFileSync } from 'node:fs';

const [reportPath, statusArg = '0'] = process.argv.slice(2);
const status = Number(statusArg);
if (!reportPath || !existsSync(reportPath)) {
  console.error(`no test report at ${reportPath}: the test command failed before the tests ran (exit ${status})`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(reportPath, 'utf8'));
const passed = report.numPassedTests ?? 0;
// A test file that failed without a failing test (it did not load) counts as one failure.
const brokenFiles = (report.testResults ?? []).filter(
  (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed'),
).length;
const failed = (report.numFailedTests ?? 0) + brokenFiles;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
if (failed > 0 || passed === 0 || status !== 0 || report.success === false) process.exit(1);
