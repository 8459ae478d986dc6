// runHostCommand: argv only, typed failures with the stderr tail.
import { describe, expect, it } from '@jest/globals';
import { HostCommandError, OUTPUT_TAIL_BYTES, runHostCommand } from '../../activities/node/host/run.js';

const node = process.execPath;

describe('runHostCommand', () => {
  it('returns stdout and passes arguments without a shell', async () => {
    const r = await runHostCommand(node, ['-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', '$(echo x)', 'a b', "'q'"]);
    expect(JSON.parse(r.stdout)).toEqual(['$(echo x)', 'a b', "'q'"]);
    expect(r.exitCode).toBe(0);
  });

  it('passes stdin and extra environment', async () => {
    const r = await runHostCommand(node, ['-e', 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(s+process.env.FERRY_X))'], { input: 'in-', env: { FERRY_X: 'env' } });
    expect(r.stdout).toBe('in-env');
  });

  it('throws HostCommandError with command, args, exit code and the stderr tail', async () => {
    const big = 'x'.repeat(5000);
    const err = await runHostCommand(node, ['-e', `process.stderr.write(${JSON.stringify(big)} + "\\n  Volume group \\"vg\\" not found\\n"); process.exit(5)`]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostCommandError);
    const e = err as HostCommandError;
    expect(e.exitCode).toBe(5);
    expect(e.command).toBe(node);
    expect(e.args[0]).toBe('-e');
    expect(Buffer.byteLength(e.stderrTail)).toBeLessThanOrEqual(OUTPUT_TAIL_BYTES + 3);
    expect(e.stderrTail).toContain('Volume group "vg" not found');
    expect(e.message).toContain('exit code 5');
    expect(e.kind).toBe('host-command');
    expect(e.toDetails()).toMatchObject({ kind: 'host-command', exitCode: 5 });
  });

  it('accepts extra ok exit codes', async () => {
    const r = await runHostCommand(node, ['-e', 'process.exit(3)'], { okExitCodes: [3] });
    expect(r.exitCode).toBe(3);
  });

  it('reports a missing command and a timeout', async () => {
    const missing = (await runHostCommand('ferry-no-such-command', []).catch((e: unknown) => e)) as HostCommandError;
    expect(missing).toBeInstanceOf(HostCommandError);
    expect(missing.exitCode).toBeNull();
    expect(missing.stderrTail).toMatch(/ENOENT|not found/);
    const slow = (await runHostCommand(node, ['-e', 'setTimeout(()=>{}, 10000)'], { timeoutMs: 200 }).catch((e: unknown) => e)) as HostCommandError;
    expect(slow.timedOut).toBe(true);
    expect(slow.message).toContain('timed out');
  });
});
