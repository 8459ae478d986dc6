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
  return resolveConfig(file, env);
}
