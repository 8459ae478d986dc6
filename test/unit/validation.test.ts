import { describe, expect, it } from '@jest/globals';
import {
  autoPlaceOptionsSchema,
  autoPlaceSchema,
  cliSizeSchema,
  minorNumberSchema,
  nodeAddressSchema,
  nodeCreateSchema,
  nodeNameSchema,
  parseInput,
  parseSize,
  placeCountSchema,
  portSchema,
  propertiesSchema,
  propertyKeySchema,
  propertyValueSchema,
  remoteNameSchema,
  resourceCreateSchema,
  resourceGroupNameSchema,
  resourceNameSchema,
  scheduleCreateSchema,
  sizeSchema,
  snapshotNameSchema,
  storagePoolNameSchema,
} from '../../core/validation.js';
import { checkName } from '../../core/names.js';
import {
  ConflictError,
  errorFromFailure,
  errorKindOf,
  errorKinds,
  exitCodeOf,
  httpStatusOf,
  nonRetryableErrorTypes,
  NotFoundError,
  PlacementError,
  RemoteFailureError,
  ValidationError,
} from '../../core/errors.js';

function fails(schema: Parameters<typeof parseInput>[0], input: unknown, field?: string): ValidationError {
  try {
    parseInput(schema, input, field);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

describe('an operator names resources, groups, snapshots and pools as LINSTOR allows', () => {
  it.each([
    ['db0'],
    ['_scratch'],
    ['web-data_01'],
    ['A'.repeat(48)],
  ])('accepts the resource name %s', (name) => {
    expect(parseInput(resourceNameSchema, name, 'resource')).toBe(name);
  });

  it.each([
    ['', 'must not be empty'],
    ['a', 'too short'],
    ['0db', "cannot begin with '0'"],
    ['-db', "cannot begin with '-'"],
    ['db 0', "cannot contain ' ' (space)"],
    ['db.0', "cannot contain '.'"],
    ['db/0', "cannot contain '/'"],
    ['db;rm -rf', "cannot contain ';'"],
    ['__', 'at least one letter'],
    ['A'.repeat(49), 'too long (49 > 48'],
    ['all', 'reserved by DRBD'],
    ['Proxy', 'reserved by DRBD'],
  ])('refuses the resource name %j (%s) and says what is allowed', (name, why) => {
    const e = fails(resourceNameSchema, name, 'resource');
    expect(e.field).toBe('resource');
    expect(e.message).toContain(why);
    expect(e.message).toMatch(/^resource: resource name/);
    if (!why.includes('reserved')) expect(e.message).toContain("a letter or '_' first");
  });

  it('storage pool names need 3 characters, resource groups and snapshots 2', () => {
    expect(checkName('storage-pool', 'p1')).toContain('too short (2 < 3)');
    expect(parseInput(storagePoolNameSchema, 'pool1')).toBe('pool1');
    expect(parseInput(resourceGroupNameSchema, 'rg')).toBe('rg');
    expect(parseInput(snapshotNameSchema, 'snap_2024-01-01')).toBe('snap_2024-01-01');
    expect(fails(snapshotNameSchema, 'snap:1').message).toContain("cannot contain ':'");
  });

  it('nodes, remotes and schedules are host names (dots and leading digits allowed)', () => {
    for (const ok of ['node1', 'nomad-01.example.com', '10node', 'n1.k8s-mwa.at.linbit.com']) {
      expect(parseInput(nodeNameSchema, ok)).toBe(ok);
    }
    expect(parseInput(remoteNameSchema, 's3remote')).toBe('s3remote');
    expect(fails(nodeNameSchema, 'node_1').message).toContain("cannot contain '_'");
    expect(fails(nodeNameSchema, '.node').message).toContain("cannot begin with '.'");
    expect(fails(nodeNameSchema, 'node-').message).toContain("cannot end with '-'");
    expect(fails(nodeNameSchema, 'a..b').message).toContain('empty label');
    expect(fails(nodeNameSchema, `${'a'.repeat(64)}.example`).message).toContain('label of 64 characters');
    expect(fails(nodeNameSchema, 'x').message).toContain('too short');
    expect(fails(nodeNameSchema, 42, 'node').message).toBe('node: node name must be a string');
  });
});

describe('`ferry node create NAME IP` takes an IP address, like LINSTOR', () => {
  it.each(['10.43.70.3', '192.168.1.110', 'fd00::3', '::1'])('accepts %s', (ip) => {
    expect(parseInput(nodeAddressSchema, ip)).toBe(ip);
  });
  it.each(['node2.example.com', '10.43.70', '300.1.1.1', '', 'fd00:::3'])('refuses %j', (bad) => {
    const e = fails(nodeAddressSchema, bad, 'address');
    expect(e.message).toContain('is not an IP address; allowed: an IPv4');
  });
  it('reports every bad field of a node create at once', () => {
    const e = fails(nodeCreateSchema, { name: '-x', address: 'foo', port: 0 });
    expect(e.issues.map((i) => i.field)).toEqual(['name', 'address', 'port']);
    expect(e.field).toBe('name');
    expect(e.message).toContain('port: port must be an integer from 1 to 65535, got 0');
    expect(parseInput(nodeCreateSchema, { name: 'node1', address: '10.0.0.1', port: '3366' })).toEqual({
      name: 'node1',
      address: '10.0.0.1',
      port: 3366,
    });
  });
});

describe('sizes use LINSTOR units: K/M/G/T are KiB/MiB/GiB/TiB', () => {
  it.each([
    ['64M', 64 * 2 ** 20],
    ['1G', 2 ** 30],
    ['1.5GiB', 1.5 * 2 ** 30],
    ['512K', 512 * 1024],
    ['512k', 512 * 1024],
    ['2T', 2 * 2 ** 40],
    ['1GB', 1_000_000_512], // 10^9 rounded up to whole KiB
    ['1048576', 1048576], // bytes when no unit
    ['100B', 1024], // rounded up to whole KiB
    [' 10 MiB ', 10 * 2 ** 20],
    [4096, 4096],
  ])('%j is %d bytes', (input, bytes) => {
    expect(parseInput(sizeSchema, input, 'size')).toBe(bytes);
  });

  it('a bare number on the command line means GiB, as in `linstor vd create db0 10`', () => {
    expect(parseInput(cliSizeSchema, '10')).toBe(10 * 2 ** 30);
    expect(parseInput(cliSizeSchema, '10M')).toBe(10 * 2 ** 20);
  });

  it.each([
    ['0', 'greater than 0'],
    ['0M', 'greater than 0'],
    ['-1G', 'negative'],
    [-5, 'greater than 0'],
    ['abc', 'is not a size'],
    ['1.2.3G', 'is not a size'],
    ['10X', "unknown unit 'x'"],
    ['2P', 'too large; the maximum is 1 PiB'],
    ['99999999999999999999T', 'too large'],
    [1.5, 'whole number'],
    [Number.NaN, 'size must be'],
  ])('refuses %j (%s)', (input, why) => {
    const e = fails(sizeSchema, input, 'size');
    expect(e.field).toBe('size');
    expect(e.message).toContain(why);
  });

  it('explains the allowed units when the input is not a size', () => {
    const r = parseSize('lots');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('K, M, G, T (KiB, MiB, GiB, TiB)');
  });
});

describe('counts, ports and minors', () => {
  it('place count is 1..32, from numbers or digit strings', () => {
    expect(parseInput(placeCountSchema, '3')).toBe(3);
    expect(fails(placeCountSchema, 0, 'placeCount').message).toBe('placeCount: place count must be an integer from 1 to 32, got 0');
    expect(fails(placeCountSchema, 33).message).toContain('from 1 to 32');
    expect(fails(placeCountSchema, '2.5').message).toContain("got '2.5'");
    expect(fails(placeCountSchema, 'three').message).toContain("got 'three'");
  });
  it('--auto-place takes N or +N', () => {
    expect(parseInput(autoPlaceSchema, '3')).toEqual({ relative: false, count: 3 });
    expect(parseInput(autoPlaceSchema, '+1')).toEqual({ relative: true, count: 1 });
    expect(parseInput(autoPlaceSchema, 2)).toEqual({ relative: false, count: 2 });
    expect(fails(autoPlaceSchema, '-1').message).toContain('or +N to add N replicas');
    expect(fails(autoPlaceSchema, '+0').message).toContain("got '+0'");
  });
  it('ports are 1..65535 and DRBD minors 0..1048575', () => {
    expect(parseInput(portSchema, 7000)).toBe(7000);
    expect(fails(portSchema, 65536).message).toContain('from 1 to 65535');
    expect(parseInput(minorNumberSchema, '1000')).toBe(1000);
    expect(fails(minorNumberSchema, 1048576).message).toContain('from 0 to 1048575');
  });
});

describe('properties', () => {
  it('keys are slash-separated paths like DrbdOptions/AutoEvictAfterTime or Aux/rack', () => {
    for (const k of ['DrbdOptions/AutoEvictAfterTime', 'Aux/rack', 'DrbdOptions/Net/allow-two-primaries', 'sys/fs/blkio_throttle_read']) {
      expect(parseInput(propertyKeySchema, k)).toBe(k);
    }
    expect(fails(propertyKeySchema, 'Aux//rack').message).toContain("empty segment ('//')");
    expect(fails(propertyKeySchema, '/Aux').message).toContain("cannot begin or end with '/'");
    expect(fails(propertyKeySchema, 'Aux/ra ck').message).toContain("cannot contain ' '");
    expect(fails(propertyKeySchema, '').message).toContain('must not be empty');
  });
  it('values are text without control characters', () => {
    expect(parseInput(propertyValueSchema, 'a value\twith tab')).toBe('a value\twith tab');
    expect(fails(propertyValueSchema, 'two\nlines').message).toContain('control characters');
    expect(fails(propertyValueSchema, 'x'.repeat(4097)).message).toContain('too long');
  });
  it('a property map names the bad key as the field', () => {
    const e = fails(propertiesSchema, { 'Aux//rack': 'a', 'Aux/ok': 'x\n' }, 'properties');
    expect(e.issues).toHaveLength(2);
    expect(e.issues[0]!.field).toBe('properties.Aux//rack');
    expect(e.issues[0]!.message).toContain('empty segment');
    expect(e.issues[1]!.field).toBe('properties.Aux/ok');
    expect(fails(propertiesSchema, 5, 'properties').message).toBe('properties: properties must be an object of key -> string value');
  });
});

describe('auto-place options as the CLI and REST give them', () => {
  it('splits comma lists, prefixes Aux/ and upper-cases providers', () => {
    const v = parseInput(resourceCreateSchema, {
      resource: 'db0',
      autoPlace: '+1',
      storagePool: 'pool1,pool_ssd',
      replicasOnSame: 'rack=a,Aux/zone',
      replicasOnDifferent: ['room'],
      doNotPlaceWith: 'db1',
      doNotPlaceWithRegex: '^web-',
      providers: 'lvm_thin,LVM',
      disklessOnRemaining: true,
    });
    expect(v).toMatchObject({
      resource: 'db0',
      autoPlace: { relative: true, count: 1 },
      storagePool: ['pool1', 'pool_ssd'],
      replicasOnSame: [{ key: 'Aux/rack', value: 'a' }, { key: 'Aux/zone' }],
      replicasOnDifferent: [{ key: 'Aux/room' }],
      doNotPlaceWith: ['db1'],
      providers: ['LVM_THIN', 'LVM'],
      disklessOnRemaining: true,
    });
  });
  it('refuses unknown providers, bad regexes and a create with neither nodes nor auto-place', () => {
    expect(fails(autoPlaceOptionsSchema, { providers: 'LVM_THICK' }).message).toContain("storage provider 'LVM_THICK' is unknown; allowed: LVM, LVM_THIN");
    expect(fails(autoPlaceOptionsSchema, { doNotPlaceWithRegex: '(' }).message).toContain('not a valid regular expression');
    expect(fails(autoPlaceOptionsSchema, { replicasOnSame: ['=a'] }).message).toContain('NAME or NAME=VALUE');
    const e = fails(resourceCreateSchema, { resource: 'db0' });
    expect(e.field).toBe('nodes');
    expect(e.message).toContain('or auto-place');
  });
  it('schedules: cron has 5 fields, on-failure SKIP or RETRY', () => {
    expect(parseInput(scheduleCreateSchema, { name: 'nightly', fullCron: '0 3 * * *', keepLocal: '7' })).toMatchObject({ keepLocal: 7, onFailure: 'SKIP' });
    expect(fails(scheduleCreateSchema, { name: 'nightly', fullCron: '0 3 * *' }).message).toContain('must have 5 fields');
    expect(fails(scheduleCreateSchema, { name: 'nightly', fullCron: '0 3 * * *', onFailure: 'IGNORE' }).message).toContain('SKIP or RETRY');
  });
});

describe('errors map to exit codes, HTTP statuses and Temporal retryability', () => {
  it.each([
    ['bad input', new ValidationError('size', 'must be positive'), 'validation', 2, 400, false],
    ['not found', new NotFoundError('resource definition', 'db0'), 'not-found', 3, 404, false],
    ['already exists', new ConflictError('node', 'node1', 'exists'), 'conflict', 5, 409, false],
    ['no placement', new PlacementError({ needed: 3, existing: 0, steps: [{ constraint: 'online', nodesLeft: 2 }] }), 'placement', 10, 422, false],
  ] as const)('%s: kind, exit code, HTTP status, not retried', (_what, err, kind, exit, http, retryable) => {
    expect(err.kind).toBe(kind);
    expect(exitCodeOf(err)).toBe(exit);
    expect(httpStatusOf(err)).toBe(http);
    expect(err.retryable).toBe(retryable);
    expect(nonRetryableErrorTypes).toContain(err.name);
  });

  it('messages read like LINSTOR', () => {
    expect(new NotFoundError('resource definition', 'db0').message).toBe("resource definition 'db0' not found");
    expect(new ConflictError('node', 'node1', 'exists').message).toBe("node 'node1' already exists");
    expect(new ConflictError('storage pool', 'pool1', 'in-use').message).toBe("storage pool 'pool1' is in use");
    expect(new ValidationError('size', 'must be positive').message).toBe('size: must be positive');
  });

  it('host command failures and unknown errors are retried; the kind survives a Temporal failure chain', () => {
    expect(nonRetryableErrorTypes).not.toContain('HostCommandError');
    expect(errorKinds['host-command'].retryable).toBe(true);
    const activityFailure = { name: 'ActivityFailure', cause: { name: 'ApplicationFailure', type: 'NotFoundError', message: 'x' } };
    expect(errorKindOf(activityFailure)).toBe('not-found');
    expect(exitCodeOf(new Error('boom'))).toBe(1);
    expect(httpStatusOf({ type: 'HostCommandError' })).toBe(502);
  });

  it('rebuilds the same error from ApplicationFailure type, message and details', () => {
    const orig = new PlacementError({ resource: 'db0', needed: 3, existing: 0, steps: [{ constraint: 'online', nodesLeft: 2, rejected: ['node3: offline'] }] });
    const back = errorFromFailure(orig.name, orig.message, orig.toDetails());
    expect(back).toBeInstanceOf(PlacementError);
    expect((back as PlacementError).explanation).toEqual(orig.explanation);
    expect(back.message).toBe(orig.message);
    const v = errorFromFailure('ValidationError', 'size: bad', new ValidationError('size', 'bad').toDetails());
    expect(v).toBeInstanceOf(ValidationError);
    expect((v as ValidationError).field).toBe('size');
    const h = errorFromFailure('HostCommandError', 'lvcreate failed', { command: 'lvcreate' });
    expect(h).toBeInstanceOf(RemoteFailureError);
    expect(h.kind).toBe('host-command');
    expect(h.name).toBe('HostCommandError');
  });
});
