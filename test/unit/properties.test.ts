import { describe, expect, it } from '@jest/globals';
import {
  autoplacerWeights,
  checkProperty,
  effectiveProperties,
  getProperty,
  parseSizeOrPercent,
  resolutionOrder,
  resolveBoolean,
  resolveProperty,
  validateProperties,
  validateProperty,
  type PropLevels,
} from '../../core/properties.js';
import { ValidationError } from '../../core/errors.js';

describe('a DRBD option set on several levels: the closest to the resource wins', () => {
  // The operator sets verify-alg on the controller, then sha256 on resource group rg1 (guide 2.9),
  // then overrides it for resource definition res11, and protocol only on the node.
  const levels: PropLevels = {
    controller: { 'DrbdOptions/Net/verify-alg': 'crc32c', 'DrbdOptions/Net/protocol': 'C', 'Aux/owner': 'ops' },
    'resource-group': { 'DrbdOptions/Net/verify-alg': 'sha1' },
    'resource-definition': { 'DrbdOptions/Net/verify-alg': 'sha256' },
    node: { 'DrbdOptions/Net/protocol': 'A' },
    resource: {},
  };

  it.each([
    ['DrbdOptions/Net/verify-alg', 'sha256', 'resource-definition'],
    ['DrbdOptions/Net/protocol', 'A', 'node'],
    ['Aux/owner', 'ops', 'controller'],
  ])('%s is %s from the %s', (key, value, origin) => {
    expect(resolveProperty(key, levels)).toEqual({ key, value, origin });
  });

  it('a value on the resource itself beats everything', () => {
    expect(getProperty('DrbdOptions/Net/verify-alg', { ...levels, resource: { 'DrbdOptions/Net/verify-alg': 'md5' } })).toBe('md5');
  });

  it('removing the resource definition value falls back to the resource group', () => {
    expect(resolveProperty('DrbdOptions/Net/verify-alg', { ...levels, 'resource-definition': {} })?.origin).toBe('resource-group');
  });

  it('lists every effective property with its origin, sorted by key', () => {
    expect(effectiveProperties(levels)).toEqual([
      { key: 'Aux/owner', value: 'ops', origin: 'controller' },
      { key: 'DrbdOptions/Net/protocol', value: 'A', origin: 'node' },
      { key: 'DrbdOptions/Net/verify-alg', value: 'sha256', origin: 'resource-definition' },
    ]);
    expect(effectiveProperties(levels, { prefix: 'Aux/' })).toHaveLength(1);
  });
});

describe('each key family has its own chain (as linstor-server looks them up)', () => {
  it.each([
    ['DrbdOptions/Resource/quorum', ['resource', 'resource-definition', 'resource-group', 'node', 'controller']],
    ['DrbdOptions/AutoEvictAfterTime', ['node', 'controller']],
    ['DrbdOptions/AutoEvictMinReplicaCount', ['resource-definition', 'resource-group', 'controller']],
    ['DrbdOptions/AutoEvictMaxDisconnectedNodes', ['controller']],
    ['Autoplacer/Weights/MinRscCount', ['controller']],
    ['MaxOversubscriptionRatio', ['storage-pool', 'storage-pool-definition', 'controller']],
    ['Autoplacer/MinThinFreeSpace', ['storage-pool', 'resource-definition', 'resource-group', 'node', 'controller']],
    ['BackupShipping/MaxConcurrentBackupsPerNode', ['node', 'controller']],
    ['AutoplaceTarget', ['node', 'controller']],
  ])('%s: %j', (key, order) => {
    expect(resolutionOrder(key)).toEqual(order);
  });

  it('node2 goes offline: auto-evict waits 60 minutes by default, 10 where the node says so', () => {
    expect(resolveProperty('DrbdOptions/AutoEvictAfterTime', { controller: {} })).toEqual({
      key: 'DrbdOptions/AutoEvictAfterTime',
      value: '60',
      origin: 'default',
    });
    expect(
      resolveProperty('DrbdOptions/AutoEvictAfterTime', {
        controller: { 'DrbdOptions/AutoEvictAfterTime': '30' },
        node: { 'DrbdOptions/AutoEvictAfterTime': '10' },
      })?.value,
    ).toBe('10');
  });

  it('a key set on a level outside its chain does not apply (weights on a node are ignored)', () => {
    const levels: PropLevels = { node: { 'Autoplacer/Weights/MinRscCount': '5' }, controller: {} };
    expect(resolveProperty('Autoplacer/Weights/MinRscCount', levels)?.origin).toBe('default');
    expect(effectiveProperties(levels)).toEqual([]);
  });

  it('AutoplaceTarget=false on the controller, true on node1: only node1 is a target', () => {
    const ctrl = { AutoplaceTarget: 'false' };
    expect(resolveBoolean('AutoplaceTarget', { controller: ctrl, node: { AutoplaceTarget: 'TRUE' } })).toBe(true);
    expect(resolveBoolean('AutoplaceTarget', { controller: ctrl, node: {} })).toBe(false);
  });

  it('lists defaults on request', () => {
    const all = effectiveProperties({ controller: {} }, { includeDefaults: true, prefix: 'DrbdOptions/AutoEvict' });
    expect(all.map((p) => `${p.key}=${p.value}`)).toEqual([
      'DrbdOptions/AutoEvictAfterTime=60',
      'DrbdOptions/AutoEvictAllowEviction=true',
      'DrbdOptions/AutoEvictMaxDisconnectedNodes=34',
    ]);
  });
});

describe('setting properties: known keys are checked, Aux/ passes through', () => {
  it.each([
    ['DrbdOptions/AutoEvictAfterTime', '10', 'node', '10'],
    ['DrbdOptions/AutoEvictAfterTime', '+010', 'controller', '10'],
    ['AutoplaceTarget', 'False', 'node', 'false'],
    ['Autoplacer/Weights/MaxFreeSpace', '0.5', 'controller', '0.5'],
    ['BackupShipping/MaxConcurrentBackupsPerNode', '-1', 'node', '-1'],
    ['DrbdOptions/AutoEvictMaxDisconnectedNodes', '100', 'controller', '100'],
    ['Autoplacer/MinThinFreeSpace', '50GiB', 'storage-pool', '50GiB'],
    ['Autoplacer/MinThinFreeSpace', '15%', 'controller', '15%'],
    ['MaxOversubscriptionRatio', '1.5', 'storage-pool', '1.5'],
    ['Aux/rack', 'rack a, row 3', 'node', 'rack a, row 3'],
    ['DrbdOptions/Net/max-buffers', '8000', 'resource-definition', '8000'],
  ] as const)('%s=%s on %s', (key, value, level, normalised) => {
    expect(validateProperty(key, value, level)).toBe(normalised);
  });

  it.each([
    ['DrbdOptions/AutoEvictAfterTime', 'soon', 'node', 'must be an integer >= 0'],
    ['DrbdOptions/AutoEvictAfterTime', '1.5', 'node', 'must be an integer >= 0'],
    ['DrbdOptions/AutoEvictAfterTime', '10', 'resource', 'cannot be set on a resource; allowed on: node, controller'],
    ['AutoplaceTarget', 'no', 'node', 'must be true or false'],
    ['Autoplacer/Weights/MaxFreeSpace', '-1', 'controller', 'must be a number >= 0'],
    ['Autoplacer/Weights/MaxFreeSpace', '1', 'node', 'cannot be set on a node'],
    ['Autoplacer/Weights/Random', '1', 'controller', "unknown autoplacer strategy 'Random'"],
    ['BackupShipping/MaxConcurrentBackupsPerNode', 'many', 'node', 'must be an integer'],
    ['DrbdOptions/AutoEvictMaxDisconnectedNodes', '101', 'controller', 'from 0 to 100'],
    ['Autoplacer/MinThinFreeSpace', '150%', 'controller', 'or a percentage'],
    ['MaxOversubscriptionRatio', '2000', 'storage-pool', 'from 0 to 1000'],
    ['Foo/bar', 'x', 'node', "property key 'Foo/bar' is not known; allowed: Aux/<name>"],
  ] as const)('refuses %s=%s on %s', (key, value, level, why) => {
    const r = checkProperty(key, value, level);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(why);
  });

  it('validateProperties reports every bad key as a ValidationError field', () => {
    expect(() => validateProperties({ 'Aux/a': '1', AutoplaceTarget: 'maybe', 'Foo/x': '1' }, 'node')).toThrow(ValidationError);
    try {
      validateProperties({ 'Aux/a': '1', AutoplaceTarget: 'maybe', 'Foo/x': '1' }, 'node');
    } catch (e) {
      const v = e as ValidationError;
      expect(v.field).toBe('properties.AutoplaceTarget');
      expect(v.issues.map((i) => i.field)).toEqual(['properties.AutoplaceTarget', 'properties.Foo/x']);
    }
    expect(validateProperties({ 'Aux/a': '1', AutoplaceTarget: 'TRUE' }, 'node')).toEqual({ 'Aux/a': '1', AutoplaceTarget: 'true' });
  });
});

describe('typed helpers', () => {
  it('autoplacer weights default to MaxFreeSpace=1, others 0; unparsable counts as 1 (LINSTOR)', () => {
    expect(autoplacerWeights(undefined)).toEqual({ MaxFreeSpace: 1, MinReservedSpace: 0, MinRscCount: 0, MaxThroughput: 0 });
    expect(autoplacerWeights({ 'Autoplacer/Weights/MinRscCount': '2', 'Autoplacer/Weights/MaxFreeSpace': 'x' })).toMatchObject({
      MinRscCount: 2,
      MaxFreeSpace: 1,
    });
  });
  it('MinThinFreeSpace: percent, sizes, plain numbers are KiB', () => {
    expect(parseSizeOrPercent('10%')).toEqual({ kind: 'percent', percent: 10 });
    expect(parseSizeOrPercent('50GB')).toEqual({ kind: 'bytes', bytes: 50e9 });
    expect(parseSizeOrPercent('1GiB')).toEqual({ kind: 'bytes', bytes: 2 ** 30 });
    expect(parseSizeOrPercent('1024')).toEqual({ kind: 'bytes', bytes: 2 ** 20 });
    expect(parseSizeOrPercent('lots')).toBeUndefined();
  });
});
