// The chaos suite's own Temporal dev server and S3 server (scripts/stack.ts), each restartable on
// the same port and data directory, so a trial can restart them under running operations.
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
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

/**
 * A free port below the kernel's ephemeral range (32768..60999 here). A restarted server gets its
 * port back only if nobody took it while it was down, and every "free port" the test harness, the
 * other lanes' S3 servers and the OS hand out comes from the ephemeral range: a lane whose S3 port
 * was taken that way during a restart was lost for the rest of the run.
 */
async function stablePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((res) => {
      const srv = createServer();
      srv.once('error', () => res(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
    });
    if (free) return port;
  }
}

export async function startChaosServices(runDir: string): Promise<ChaosServices> {
  const temporalDir = join(runDir, 'temporal');
  const s3Dir = join(runDir, 's3');
  mkdirSync(temporalDir, { recursive: true });
  const temporalPort = await stablePort();
  const s3Port = await stablePort();
  let temporal: TemporalService = await startTemporal({ dataDir: temporalDir, port: temporalPort, headless: true });
  let s3: S3Service = await startS3({ dataDir: s3Dir, port: s3Port });
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
