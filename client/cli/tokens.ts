// `ferry token create --role ROLE NAME`: a new REST API token. The token is printed once; the
// controller keeps only its SHA-256 (the printed config line goes under api.tokens, or into the
// FERRY_API_TOKENS_FILE list). Runs locally: it needs no controller.
import type { Command } from 'commander';
import { z } from 'zod';
import { API_ROLES, type ApiRole } from '../../core/config.js';
import { newToken } from '../../api/auth.js';
import type { CliKit } from './resources.js';

const tokenName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, "token name: a letter or '_' first, then letters, digits, '_', '.', '-' (at most 64)");
const role = z.enum(API_ROLES, { error: `role: one of ${API_ROLES.join(', ')}` });

export function registerTokenCommands(program: Command, kit: Pick<CliKit, 'check'>): void {
  const token = program.command('token').description('REST API tokens (api.tokens)');
  token.command('create').alias('c').description('make a new random token; prints it once with the config line holding its hash')
    .argument('<name>', 'who or what uses the token (shown in 403 answers)')
    .option('--role <role>', `${API_ROLES.join(' | ')}`, 'admin')
    .option('-m, --machine-readable', 'print JSON')
    .action((name: string, o: { role: string; machineReadable?: boolean }, cmd: Command) => {
      const n = kit.check(tokenName, name);
      const r: ApiRole = kit.check(role, o.role);
      const { token: secret, entry } = newToken(n, r);
      const json = Boolean(o.machineReadable) || Boolean(cmd.optsWithGlobals<{ machineReadable?: boolean }>().machineReadable);
      if (json) {
        process.stdout.write(`${JSON.stringify({ token: secret, config: entry })}\n`);
        return;
      }
      process.stdout.write([
        `Token for '${n}' (role ${r}), shown only this once; give it to the client as FERRY_API_TOKEN:`,
        '',
        `  ${secret}`,
        '',
        'Add this entry under api.tokens in the controller configuration (or to the FERRY_API_TOKENS_FILE list):',
        '',
        `  - { name: ${n}, role: ${r}, sha256: ${entry.sha256} }`,
        '',
      ].join('\n'));
    });
}
