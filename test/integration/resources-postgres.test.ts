// The operator's story of storage pools and resources (resources-story.ts) with the controller's
// catalog on PostgreSQL (the run's server, test/harness/postgres.ts; a database of its own).
import { resourcesStory } from './resources-story.js';

resourcesStory('postgres');
