// Error reports in the catalog (migration 7): one row per distinct failure; a repeat of the same
// failure (a retried attempt) counts up and moves last_at.
import type { Db, Row } from './db.js';
import { errorFingerprint, errorReportId, type ErrorReport, type ErrorReportInput } from '../core/error-report.js';

function toReport(r: Row): ErrorReport {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: String(r.id),
    source: r.source as ErrorReport['source'],
    node: (r.node as string | null) ?? null,
    workflowId: String(r.workflow_id),
    runId: (r.run_id as string | null) ?? null,
    workflowType: (r.workflow_type as string | null) ?? null,
    activityType: (r.activity_type as string | null) ?? null,
    attempt: num(r.attempt),
    errorType: String(r.error_type),
    message: String(r.message),
    commandLine: (r.command_line as string | null) ?? null,
    exitCode: num(r.exit_code),
    stderrTail: (r.stderr_tail as string | null) ?? null,
    at: Number(r.last_at),
    count: Number(r.count),
    firstAt: Number(r.first_at),
    lastAt: Number(r.last_at),
  };
}

export class ErrorReportStore {
  constructor(private readonly db: Db) {}

  /** Records a failure (already redacted); returns its report id. Idempotent per failure. */
  async record(r: ErrorReportInput): Promise<string> {
    const id = errorReportId(errorFingerprint(r));
    await this.db.tx(async (tx) => {
      const n = await tx.run(`UPDATE error_reports SET count = count + 1, last_at = ?, attempt = ? WHERE id = ?`, [r.at, r.attempt, id]);
      if (n > 0) return;
      await tx.run(
        `INSERT INTO error_reports (id, source, node, workflow_id, run_id, workflow_type, activity_type, attempt, error_type, message,
           command_line, exit_code, stderr_tail, count, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
        [id, r.source, r.node, r.workflowId, r.runId, r.workflowType, r.activityType, r.attempt, r.errorType, r.message,
          r.commandLine, r.exitCode, r.stderrTail, r.at, r.at]);
    });
    return id;
  }

  async list(f: { node?: string; since?: number; workflowId?: string; limit?: number } = {}): Promise<ErrorReport[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (f.node) { where.push('node = ?'); params.push(f.node); }
    if (f.since !== undefined) { where.push('last_at >= ?'); params.push(f.since); }
    if (f.workflowId) { where.push('workflow_id = ?'); params.push(f.workflowId); }
    params.push(f.limit ?? 100);
    const rows = await this.db.all(`SELECT * FROM error_reports${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY last_at DESC, id LIMIT ?`, params);
    return rows.map(toReport);
  }

  async get(id: string): Promise<ErrorReport | undefined> {
    const r = await this.db.get(`SELECT * FROM error_reports WHERE id = ?`, [id]);
    return r ? toReport(r) : undefined;
  }

  async delete(ids: string[]): Promise<number> {
    let n = 0;
    for (const id of ids) n += await this.db.run(`DELETE FROM error_reports WHERE id = ?`, [id]);
    return n;
  }
}
