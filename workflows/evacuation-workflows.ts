// The workflows of node evacuation, eviction, restore/lost, toggle-disk and properties (one line in index.ts).
export { evacuateNode } from './evacuate-node.js';
export { toggleDisk } from './toggle-disk.js';
export { restoreNode, loseNode, setProperties } from './node-restore.js';
export { autoEvict } from './auto-evict.js';
