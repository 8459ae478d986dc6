// DRBD options as properties: `DrbdOptions/<Section>/<option>` set on a resource definition, its
// resource group or the controller becomes `<option> <value>;` in the .res section DRBD expects:
// Net -> net, Disk and PeerDevice -> disk (drbd.conf keeps peer-device options there), Resource ->
// options. The closest level wins (core/properties.ts resolution order). Other DrbdOptions/* keys
// (AutoEvict*, auto-diskful, AutoSnapshot/*) are ferry's own and are not rendered.
//
// Pure: no I/O (used by the controller and by the API's validation).
import type { DrbdResourceOptions } from './drbd-config.js';
import { effectiveProperties, type PropLevels } from './properties.js';

const SECTIONS: Readonly<Record<string, keyof DrbdResourceOptions>> = {
  Net: 'net',
  Disk: 'disk',
  PeerDevice: 'disk',
  Resource: 'resource',
};

/** DrbdOptions/<Section>/* keys that are ferry's own settings (core/properties.ts checks them), never rendered */
const FERRY_SECTIONS = new Set(['AutoSnapshot']);

/** DRBD option names: lower case words joined by '-'. */
const OPTION_NAME = /^[a-z][a-z0-9-]{0,62}$/;
/** Values DRBD takes bare or quoted, on one line, without quotes or backslashes. */
const OPTION_VALUE = /^[A-Za-z0-9_.:+/ -]{1,256}$/;

/** Options ferry writes itself and a property may not replace. */
const RESERVED = new Set(['cram-hmac-alg', 'shared-secret']);

/** The section and option of a rendered DRBD option key, or null for other keys. */
export function drbdOptionOfKey(key: string): { section: keyof DrbdResourceOptions; option: string } | null {
  const m = /^DrbdOptions\/([A-Za-z]+)\/(.+)$/.exec(key);
  if (!m) return null;
  const section = SECTIONS[m[1]!];
  return section ? { section, option: m[2]! } : null;
}

/** Why a DrbdOptions/<Section>/<option> property cannot be rendered, or null when it can (or is not one). */
export function checkDrbdOptionProperty(key: string, value: string | null): string | null {
  const m = /^DrbdOptions\/([A-Za-z]+)\/(.*)$/.exec(key);
  if (!m) return null;
  if (FERRY_SECTIONS.has(m[1]!)) return null;
  if (!(m[1]! in SECTIONS)) return `DRBD option section '${m[1]}' is not known; allowed: ${Object.keys(SECTIONS).map((s) => `DrbdOptions/${s}/<option>`).join(', ')}`;
  if (!OPTION_NAME.test(m[2]!)) return `DRBD option name '${m[2]}' must be lower-case letters, digits and '-'`;
  if (RESERVED.has(m[2]!)) return `DRBD option '${m[2]}' is set by ferry and cannot be overridden`;
  if (value !== null && !OPTION_VALUE.test(value)) return `DRBD option '${m[2]}' value '${value}' must be letters, digits, '_', '.', ':', '+', '/', '-' or spaces`;
  return null;
}

/** The DRBD options in effect for a resource, by .res section. */
export function drbdOptionsFromProps(levels: PropLevels): DrbdResourceOptions {
  const out: { net?: Record<string, string>; disk?: Record<string, string>; resource?: Record<string, string> } = {};
  for (const p of effectiveProperties(levels, { prefix: 'DrbdOptions/', order: ['resource-definition', 'resource-group', 'controller'] })) {
    const o = drbdOptionOfKey(p.key);
    if (!o || checkDrbdOptionProperty(p.key, p.value) !== null) continue;
    (out[o.section] ??= {})[o.option] = p.value;
  }
  return out;
}
