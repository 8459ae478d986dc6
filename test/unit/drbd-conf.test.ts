// The drbd.conf parser of the simulated drbdadm: ferry's rendered files, and the syntax LINSTOR's
// satellite writes (quoted names, braces on their own lines, volume disk-option blocks, peers'
// placeholder disks, explicit connection blocks with or without path sections).
import { describe, expect, it } from '@jest/globals';
import { renderResourceFile } from '../../core/drbd-config.js';
import { ConfParseError, parseConfText, peersOf, resyncRateOf } from '../../sim/drbd/conf.js';

const linstorStyle = `# written in the layout LINSTOR's satellite uses
resource "lin0"
{
    options
    {
        quorum majority;
        on-no-quorum io-error;
    }

    net
    {
        cram-hmac-alg     sha1;
        shared-secret     "s3cr;et {x}";
        protocol C;
    }

    on "node1"
    {
        volume 0
        {
            disk        /dev/vg/lin0_00000;
            disk
            {
                discard-zeroes-if-aligned yes;
            }
            meta-disk   internal;
            device      minor 1010;
        }
        node-id    0;
    }

    on "node2"
    {
        volume 0
        {
            disk        /dev/drbd/this/is/not/used;
            meta-disk   internal;
            device      minor 1010;
        }
        node-id    1;
    }

    on "node3"
    {
        volume 0
        {
            disk        none;
            meta-disk   internal;
            device      minor 1010;
        }
        node-id    2;
    }

    connection
    {
        host "node1" address ipv4 10.0.0.1:7010;
        host "node2" address ipv4 10.0.0.2:7010;
    }

    connection
    {
        disk
        {
            c-max-rate 10M;
        }
        path
        {
            host "node1" address ipv4 10.0.0.1:7010;
            host "node3" address ipv4 10.0.0.3:7010;
        }
    }
}
`;

describe('drbd.conf parser (simulated drbdadm)', () => {
  it('reads LINSTOR-style files', () => {
    const [r] = parseConfText(linstorStyle, 'lin0.res');
    expect(r!.name).toBe('lin0');
    expect(r!.groups.options).toEqual({ quorum: 'majority', 'on-no-quorum': 'io-error' });
    expect(r!.groups.net!['shared-secret']).toBe('s3cr;et {x}');
    expect(r!.hosts.map((h) => [h.name, h.nodeId, h.volumes[0]!.disk, h.volumes[0]!.minor])).toEqual([
      ['node1', 0, '/dev/vg/lin0_00000', 1010],
      ['node2', 1, '/dev/drbd/this/is/not/used', 1010],
      ['node3', 2, null, 1010],
    ]);
    expect(r!.connections).toEqual([
      ['node1', 'node2'],
      ['node1', 'node3'],
    ]);
    expect(peersOf(r!, 'node1')).toEqual(['node2', 'node3']);
    expect(peersOf(r!, 'node3')).toEqual(['node1']);
    expect(resyncRateOf(r!, 'node1', 'node3')).toBe(10 * 1024 * 1024);
    expect(resyncRateOf(r!, 'node1', 'node2')).toBeNull();
  });

  it('reads what core/drbd-config renders', () => {
    const text = renderResourceFile({
      name: 'db0',
      port: 7000,
      nodes: [
        { name: 'a', nodeId: 0, address: '10.1.0.1', volumes: [{ volume: 0, minor: 1000, disk: '/dev/vg/db0_00000' }, { volume: 1, minor: 1001, disk: '/dev/vg/db0_00001' }] },
        { name: 'b', nodeId: 1, address: '10.1.0.2', volumes: [{ volume: 0, minor: 1000, disk: null }, { volume: 1, minor: 1001, disk: null }] },
        { name: 'c', nodeId: 2, address: '10.1.0.3', volumes: [{ volume: 0, minor: 1000, disk: '/dev/vg/db0_00000' }, { volume: 1, minor: 1001, disk: '/dev/vg/db0_00001' }] },
      ],
      options: { disk: { 'resync-rate': 4096 } },
    });
    const [r] = parseConfText(text);
    expect(r!.hosts.map((h) => [h.name, h.address, h.volumes.map((v) => v.disk)])).toEqual([
      ['a', '10.1.0.1:7000', ['/dev/vg/db0_00000', '/dev/vg/db0_00001']],
      ['b', '10.1.0.2:7000', [null, null]],
      ['c', '10.1.0.3:7000', ['/dev/vg/db0_00000', '/dev/vg/db0_00001']],
    ]);
    expect(r!.connections).toHaveLength(3);
    expect(resyncRateOf(r!, 'a', 'c')).toBe(4096 * 1024);
  });

  it('accepts DRBD 8 style two-host files with implicit connection and resource-level disk', () => {
    const [r] = parseConfText(`resource r0 { device /dev/drbd1; disk /dev/vg/r0; meta-disk internal;
      on alice { address 10.1.1.31:7789; node-id 0; } on bob { address 10.1.1.32:7789; node-id 1; } }`);
    expect(r!.hosts.map((h) => [h.name, h.volumes[0]!.minor, h.volumes[0]!.disk])).toEqual([
      ['alice', 1, '/dev/vg/r0'],
      ['bob', 1, '/dev/vg/r0'],
    ]);
    expect(r!.connections).toEqual([['alice', 'bob']]);
  });

  it.each([
    ['unbalanced braces', 'resource r { on a { node-id 0; }'],
    ['missing semicolon', 'resource r { on a { node-id 0 } }'],
    ['unterminated string', 'resource "r { }'],
    ['connection with one host', 'resource r { on a { node-id 0; } connection { host a; } }'],
  ])('reports %s with file and line', (_l, text) => {
    expect(() => parseConfText(text, 'x.res')).toThrow(ConfParseError);
    expect(() => parseConfText(text, 'x.res')).toThrow(/^x\.res:\d+: Parse error: /);
  });
});
