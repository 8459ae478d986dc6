import { describe, expect, it } from '@jest/globals';
import { Connection } from '@temporalio/client';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';

describe('the test stack', () => {
  it('has a Temporal server with ferry search attributes registered', async () => {
    const conn = await Connection.connect({ address: process.env.FERRY_TEST_TEMPORAL_ADDRESS! });
    try {
      const res = await conn.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(res.customAttributes ?? {})).toEqual(expect.arrayContaining(['FerryResource', 'FerryNode', 'FerryOperation']));
    } finally {
      await conn.close();
    }
  });

  it('has an S3 server that rejects unknown credentials', async () => {
    const bad = new S3Client({ endpoint: process.env.FERRY_TEST_S3_ENDPOINT, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'nobody', secretAccessKey: 'wrong' } });
    await expect(bad.send(new ListBucketsCommand({}))).rejects.toThrow();
    const good = new S3Client({ endpoint: process.env.FERRY_TEST_S3_ENDPOINT, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: process.env.FERRY_TEST_S3_ACCESS_KEY!, secretAccessKey: process.env.FERRY_TEST_S3_SECRET_KEY! } });
    await expect(good.send(new ListBucketsCommand({}))).resolves.toBeDefined();
  });
});
