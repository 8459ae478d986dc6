// Loads ferry's configuration: FERRY_CONFIG (or ./ferry.yaml / ./ferry.json when present) plus FERRY_* variables.
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { resolveConfig, type FerryConfig } from '../core/config.js';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): FerryConfig {
  const candidates = env.FERRY_CONFIG ? [env.FERRY_CONFIG] : ['ferry.yaml', 'ferry.yml', 'ferry.json'];
  let file: unknown = {};
  for (const path of candidates) {
    if (!existsSync(path)) {
      if (env.FERRY_CONFIG) throw new Error(`config file ${path} (FERRY_CONFIG) does not exist`);
      continue;
    }
    const text = readFileSync(path, 'utf8');
    file = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    break;
  }
  if (env.FERRY_API_TOKENS_FILE) file = withTokensFile(file, env.FERRY_API_TOKENS_FILE);
  return resolveConfig(file, env);
}

/** FERRY_API_TOKENS_FILE (JSON or YAML): a list of {name, role, sha256}, or {tokens: [...]}; replaces api.tokens. */
function withTokensFile(file: unknown, path: string): unknown {
  if (!existsSync(path)) throw new Error(`token file ${path} (FERRY_API_TOKENS_FILE) does not exist`);
  const text = readFileSync(path, 'utf8');
  const parsed: unknown = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  const tokens = Array.isArray(parsed) ? parsed : (parsed as { tokens?: unknown } | null)?.tokens;
  if (!Array.isArray(tokens)) throw new Error(`token file ${path} (FERRY_API_TOKENS_FILE): expected a list of {name, role, sha256} or {tokens: [...]}`);
  const base = (file && typeof file === 'object' ? file : {}) as Record<string, unknown>;
  return { ...base, api: { ...((base.api as object | undefined) ?? {}), tokens } };
}
