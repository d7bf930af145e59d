import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The few files that take minutes start first. Without a duration cache (every CI run is a clean
 * clone) vitest orders files by size, and a short file holding one long test would start last and set
 * the suite's wall time alone; started first, it runs while the other worker does everything else.
 */
const SLOW_FIRST = [
  'test/workflow/organization-scale.test.ts',
  'test/workflow/cli-local-safety.test.ts',
  'test/infra/cdk-cli.test.ts',
  'test/workflow/cli.test.ts',
  'test/core/open-files.test.ts',
];

export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = SLOW_FIRST.findIndex((slow) => file.moduleId.endsWith(slow));
      return index === -1 ? SLOW_FIRST.length : index;
    };
    return sorted
      .map((file, order) => ({ file, order }))
      .sort((a, b) => rank(a.file) - rank(b.file) || a.order - b.order)
      .map(({ file }) => file);
  }
}
