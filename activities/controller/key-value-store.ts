// Controller activities of LINSTOR's key-value store: set/delete keys of an instance, delete an
// instance. Idempotent: setting the same values again, or deleting what is gone, converges.
import type { Catalog } from '../../catalog/index.js';

export function createKeyValueStoreActivities(deps: { catalog: Catalog }) {
  const { catalog } = deps;
  return {
    async catalogModifyKeyValueStore(input: { name: string; changes: Record<string, string | null> }): Promise<{ name: string; keys: number }> {
      const kv = await catalog.keyValueStore.modify(input.name, input.changes);
      return { name: kv.name, keys: Object.keys(kv.props).length };
    },

    async catalogDeleteKeyValueStore(name: string): Promise<boolean> {
      return catalog.keyValueStore.delete(name);
    },
  };
}
