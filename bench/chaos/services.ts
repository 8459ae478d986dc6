// The chaos suite's own Temporal dev server and S3 server (scripts/stack.ts), each restartable on
// the same port and data directory, so a trial can restart them under running operations.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startS3, startTemporal, type S3Service, type TemporalService } from '../../scripts/stack.js';

export interface ChaosServices {
  readonly temporalAddress: string;
  readonly s3: { endpoint: string; accessKey: string; secretKey: string };
  /** Stops the Temporal server, waits `downMs`, starts it again on the same port and database. */
  restartTemporal(downMs: number): Promise<void>;
  /** The same for the S3 server (same port, same data). */
  restartS3(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startChaosServices(runDir: string): Promise<ChaosServices> {
  const temporalDir = join(runDir, 'temporal');
  const s3Dir = join(runDir, 's3');
  mkdirSync(temporalDir, { recursive: true });
  let temporal: TemporalService = await startTemporal({ dataDir: temporalDir, headless: true });
  let s3: S3Service = await startS3({ dataDir: s3Dir });
  const temporalPort = Number(temporal.address.split(':').pop());
  const s3Port = Number(new URL(s3.endpoint).port);
  return {
    temporalAddress: temporal.address,
    s3: { endpoint: s3.endpoint, accessKey: s3.accessKey, secretKey: s3.secretKey },
    async restartTemporal(downMs) {
      await temporal.stop();
      await sleep(downMs);
      temporal = await startTemporal({ dataDir: temporalDir, port: temporalPort, headless: true });
    },
    async restartS3(downMs) {
      await s3.stop();
      await sleep(downMs);
      s3 = await startS3({ dataDir: s3Dir, port: s3Port });
    },
    async stop() {
      await Promise.allSettled([temporal.stop(), s3.stop()]);
    },
  };
}
