import { describe, expect, it } from '@jest/globals';
import { DrbdConfigError, parseDrbdRate, renderAddress, renderResourceFile } from '../../core/drbd-config.js';
import type { DrbdResourceConfig } from '../../core/drbd-config.js';

const three: DrbdResourceConfig = {
  name: 'db0',
  port: 7000,
  nodes: [
    { name: 'node2', nodeId: 1, address: '10.0.0.2', volumes: [{ volume: 0, minor: 1000, disk: '/dev/vg/db0_00000' }] },
    { name: 'node1', nodeId: 0, address: '10.0.0.1', volumes: [{ volume: 0, minor: 1000, disk: '/dev/vg/db0_00000' }] },
    { name: 'node3', nodeId: 2, address: 'fd00::3', volumes: [{ volume: 0, minor: 1000, disk: null }] },
  ],
  options: { resource: { quorum: 'majority', 'auto-promote': true }, disk: { 'c-max-rate': '100M' } },
};

describe('renderResourceFile', () => {
  it('renders real drbd.conf syntax: on sections by node-id, diskless volume, mesh', () => {
    const text = renderResourceFile(three);
    expect(text).toBe(`# DRBD resource db0: written by ferry, do not edit (ferry rewrites it).
resource db0 {
    options {
        auto-promote yes;
        quorum majority;
    }
    net {
        protocol C;
    }
    disk {
        c-max-rate 100M;
    }

    on node1 {
        node-id 0;
        volume 0 {
            device minor 1000;
            disk /dev/vg/db0_00000;
            meta-disk internal;
        }
        address ipv4 10.0.0.1:7000;
    }

    on node2 {
        node-id 1;
        volume 0 {
            device minor 1000;
            disk /dev/vg/db0_00000;
            meta-disk internal;
        }
        address ipv4 10.0.0.2:7000;
    }

    on node3 {
        node-id 2;
        volume 0 {
            device minor 1000;
            disk none;
        }
        address ipv6 [fd00::3]:7000;
    }

    connection-mesh {
        hosts node1 node2 node3;
    }
}
`);
  });

  it('is deterministic and lets net options override the protocol', () => {
    const cfg = { ...three, options: { net: { protocol: 'A', 'verify-alg': 'crc32c' } } };
    expect(renderResourceFile(cfg)).toBe(renderResourceFile(cfg));
    expect(renderResourceFile(cfg)).toContain('        protocol A;\n        verify-alg crc32c;\n');
  });

  it('quotes values that are not plain words', () => {
    const text = renderResourceFile({ ...three, options: { net: { 'shared-secret': 'a b"c' } } });
    expect(text).toContain('shared-secret "a b\\"c";');
  });

  it.each([
    ['bad resource name', { ...three, name: '1db; rm' }],
    ['bad port', { ...three, port: 0 }],
    ['duplicate node id', { ...three, nodes: [three.nodes[0]!, { ...three.nodes[1]!, nodeId: 1 }] }],
    ['bad disk path', { ...three, nodes: [{ ...three.nodes[0]!, volumes: [{ volume: 0, minor: 1, disk: '/dev/vg/x;y' }] }] }],
    ['different volumes', { ...three, nodes: [three.nodes[0]!, { ...three.nodes[1]!, volumes: [{ volume: 1, minor: 1001, disk: null }] }] }],
    ['bad address', { ...three, nodes: [{ ...three.nodes[0]!, address: 'node1.example' }] }],
    ['bad option name', { ...three, options: { disk: { 'C MAX': 1 } } }],
    ['newline in value', { ...three, options: { net: { 'shared-secret': 'a\nb' } } }],
  ])('rejects %s', (_label, cfg) => {
    expect(() => renderResourceFile(cfg as DrbdResourceConfig)).toThrow(DrbdConfigError);
  });
});

describe('helpers', () => {
  it('renders addresses', () => {
    expect(renderAddress('192.168.1.5', 7001)).toBe('ipv4 192.168.1.5:7001');
    expect(renderAddress('[fd00::1]', 7001)).toBe('ipv6 [fd00::1]:7001');
    expect(() => renderAddress('300.1.1.1', 1)).toThrow(DrbdConfigError);
  });
  it('parses rates in KiB/s with binary suffixes', () => {
    expect(parseDrbdRate('102400')).toBe(100 * 1024 * 1024);
    expect(parseDrbdRate('100M')).toBe(100 * 1024 * 1024);
    expect(parseDrbdRate('4096k')).toBe(4 * 1024 * 1024);
    expect(parseDrbdRate('1G')).toBe(1024 * 1024 * 1024);
    expect(parseDrbdRate('fast')).toBeNull();
  });
});
