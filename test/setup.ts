import { afterAll } from 'vitest';
import { removeTempDirs } from './helpers.js';

// Each test file removes the temporary folders it made (projects, plans) when it is done.
afterAll(removeTempDirs);
