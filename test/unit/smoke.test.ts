import { describe, expect, it } from '@jest/globals';
describe('toolchain', () => {
  it('runs TypeScript tests as ESM', async () => {
    const { execa } = await import('execa');
    const r = await execa('node', ['-e', 'process.stdout.write("ok")']);
    expect(r.stdout).toBe('ok');
  });
});
