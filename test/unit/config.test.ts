import { describe, expect, it } from '@jest/globals';
import { controllerTaskQueue, nodeTaskQueue, resolveConfig } from '../../core/config.js';

describe('configuration', () => {
  it('works with no file and no variables: the local stack defaults', () => {
    const c = resolveConfig({}, {});
    expect(c.temporal).toEqual({ address: '127.0.0.1:7233', namespace: 'default', uiUrl: 'http://localhost:8233', taskQueuePrefix: 'ferry' });
    expect(c.catalog).toBe('sqlite:.data/catalog.sqlite');
    expect(c.api).toEqual({ host: '127.0.0.1', port: 3370 });
    expect(c.controllers).toEqual(['http://127.0.0.1:3370']);
    expect(controllerTaskQueue(c)).toBe('ferry-controller');
    expect(nodeTaskQueue(c.temporal.taskQueuePrefix, 'node2')).toBe('ferry-node-node2');
  });

  it('lets FERRY_* variables win over the file', () => {
    const c = resolveConfig(
      { temporal: { address: 'file:7233', namespace: 'prod' }, catalog: 'sqlite:/var/lib/ferry.db', api: { port: 4000 } },
      { FERRY_TEMPORAL_ADDRESS: 'env:7233', FERRY_API_PORT: '3999', FERRY_CONTROLLERS: 'ctl1,http://ctl2:80,ctl3:3371' },
    );
    expect(c.temporal.address).toBe('env:7233');
    expect(c.temporal.namespace).toBe('prod');
    expect(c.catalog).toBe('sqlite:/var/lib/ferry.db');
    expect(c.api.port).toBe(3999);
    expect(c.controllers).toEqual(['http://ctl1:3370', 'http://ctl2:80', 'http://ctl3:3371']);
  });

  it.each([
    [{ FERRY_CATALOG: 'mysql://x' }, /catalog: sqlite:<path> or postgres/],
    [{ FERRY_API_PORT: '70000' }, /api\.port/],
    [{ FERRY_TASK_QUEUE_PREFIX: 'Bad Prefix' }, /temporal\.taskQueuePrefix/],
    [{ FERRY_LOG_LEVEL: 'loud' }, /logLevel/],
  ])('rejects %j naming the setting', (env, message) => {
    expect(() => resolveConfig({}, env)).toThrow(message);
  });
});
