// Error reports never carry secrets, and one failure seen again is the same report.
import { describe, expect, it } from '@jest/globals';
import { errorFingerprint, errorReportId, knownSecretsFromEnv, redactReport, redactText, type ErrorReportInput } from '../../core/error-report.js';

const base: ErrorReportInput = {
  source: 'activity', node: 'node2', workflowId: 'backup/db0/s1', runId: 'r1', workflowType: 'backupCreate', activityType: 'shipBackup',
  attempt: 1, errorType: 'HostCommandError', message: 'x', commandLine: null, exitCode: 1, stderrTail: null, at: 1,
};

describe('redaction', () => {
  it('removes values of secret options, variables and JSON fields, and known secret strings', () => {
    expect(redactText('s3cmd --secret-key AbCdEf123 --access-key=AKIA0001 put')).toBe('s3cmd --secret-key [redacted] --access-key=[redacted] put');
    expect(redactText('AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI env')).toBe('AWS_SECRET_ACCESS_KEY=[redacted] env');
    expect(redactText('{"secretKey":"hunter22","bucket":"b"}')).toBe('{"secretKey":[redacted],"bucket":"b"}');
    expect(redactText('Authorization: Bearer ferry_abcdef')).not.toContain('ferry_abcdef');
    expect(redactText('upload failed for key topsecretvalue', ['topsecretvalue'])).toBe('upload failed for key [redacted]');
    const r = redactReport({ ...base, message: 'passphrase=p4ssw0rd', commandLine: 'tool --password pw1234', stderrTail: 'token: abcd1234' });
    expect(JSON.stringify(r)).not.toMatch(/p4ssw0rd|pw1234|abcd1234/);
  });

  it('scrubs the values of secret-named environment variables literally', () => {
    expect(knownSecretsFromEnv({ FERRY_S3_SECRET_KEY: 'verysecret', PATH: '/usr/bin', FERRY_MASTER_PASSPHRASE: 'pass-phrase' })).toEqual(['verysecret', 'pass-phrase']);
  });
});

describe('report ids', () => {
  it('are stable for the same failure and differ for another one', () => {
    expect(errorReportId(errorFingerprint(base))).toBe(errorReportId(errorFingerprint({ ...base, attempt: 7, at: 99 })));
    expect(errorReportId(errorFingerprint(base))).not.toBe(errorReportId(errorFingerprint({ ...base, node: 'node3' })));
    expect(errorReportId(errorFingerprint(base))).toMatch(/^ER-[0-9A-F]{8}-[0-9A-F]{8}$/);
  });
});
