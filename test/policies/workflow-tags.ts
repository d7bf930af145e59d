import { TAG } from '../../src/core/tags.ts';

/** The tag keys the workflow owns, from the code that writes them: the tag capability's policy must allow exactly these. */
export const WORKFLOW_TAG_KEYS: string[] = Object.values(TAG);
