// The operator's story of storage pools and resources (resources-story.ts) on the default SQLite catalog.
import { resourcesStory } from './resources-story.js';

resourcesStory('sqlite');
