// A jest reporter that remembers which test files failed, in the integration run's directory
// ($FERRY_TEST_RUN_DIR/FAILED, one path a line), so that global-teardown.mjs keeps that directory (the
// controller's, agents' and simulated hosts' logs and state of the failed story) and says where it is.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

export default class FailureReporter {
  onTestResult(test, result) {
    const dir = process.env.FERRY_TEST_RUN_DIR;
    if (!dir || (result.numFailingTests === 0 && !result.testExecError)) return;
    appendFileSync(join(dir, 'FAILED'), `${test.path}\n`);
  }
}
