// What each node activity runs on its host, in the host's own command names, for the one-line
// summary the Web UI shows on every activity of a workflow ("lvcreate -T (thin LV) on node2 for
// db0"). Pure module: bundled with the workflows (workflows/interceptors.ts sets the summaries).

export const NODE_ACTIVITY_COMMANDS: Readonly<Record<string, string>> = {
  inventory: 'vgs, lvs',
  inspectHost: 'lvs, drbdsetup status, ls /etc/drbd.d',
  ensureResourceVolumes: 'lvcreate -T (thin LVs)',
  writeDrbdResourceFile: 'write /etc/drbd.d/<rsc>.res',
  createDrbdMetadata: 'drbdadm create-md',
  adjustDrbd: 'drbdadm adjust',
  skipInitialSync: 'drbdadm new-current-uuid --clear-bitmap',
  applyResource: 'lvcreate -T, write .res, drbdadm create-md, drbdadm adjust',
  settleResource: 'drbdadm new-current-uuid --clear-bitmap, drbdsetup status',
  deployReplica: 'lvcreate -T, write .res, drbdadm create-md, drbdadm adjust, drbdsetup status (until UpToDate)',
  waitUpToDate: 'drbdsetup status (until UpToDate)',
  resyncProgress: 'drbdsetup status --statistics',
  reportResourceVolumes: 'lvs, drbdsetup status',
  assertResourceUnused: 'drbdsetup status',
  downResource: 'drbdadm down',
  removeResourceFromHost: 'drbdadm down, rm .res, lvremove',
  removeResourceVolumes: 'lvremove',
  removeStaleResources: 'drbdadm down, rm .res, lvremove',
  growResourceVolume: 'lvextend',
  resizeDrbdVolume: 'drbdadm resize',
  suspendResourceIo: 'drbdadm suspend-io',
  resumeResourceIo: 'drbdadm resume-io',
  createSnapshot: 'lvcreate -s (thin snapshots)',
  deleteSnapshot: 'lvremove (snapshots)',
  replaceLvsFromSnapshot: 'lvremove, lvcreate -s (rollback)',
  backupLvsPresent: 'lvs',
  backupReplicaUpToDate: 'drbdsetup status (UpToDate?)',
  backupShipVolume: 'thin_send | zstd | S3 multipart upload',
  backupReceiveVolume: 'S3 download | zstd -d | thin_recv',
  backupCreateReceiveLvs: 'lvcreate -T',
  backupRemoveLvs: 'lvremove',
  doctorDownResource: 'drbdadm down',
  doctorRemoveResourceFile: 'rm /etc/drbd.d/<rsc>.res',
  doctorRemoveLv: 'lvremove',
};

/**
 * The summary of an activity run on a node's queue: its host command, the node and, when its input
 * names one, the resource. Null for activities that run no host command (the controller's).
 */
export function activitySummary(activityType: string, node: string | null, args: readonly unknown[]): string | null {
  const command = NODE_ACTIVITY_COMMANDS[activityType];
  if (!command || !node) return null;
  const resource = resourceOf(args[0]);
  return `${command} on ${node}${resource ? ` for ${resource}` : ''}`;
}

/** The resource an activity's input names: a string, `{ resource }` or `{ layout: { resource } }`. */
function resourceOf(input: unknown): string | null {
  if (typeof input === 'string') return input;
  if (!input || typeof input !== 'object') return null;
  const o = input as { resource?: unknown; layout?: unknown };
  if (typeof o.resource === 'string') return o.resource;
  return o.layout ? resourceOf(o.layout) : null;
}
