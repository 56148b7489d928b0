import { beforeAll, describe, expect, it } from 'vitest';
import { makeTargets, runFuzz, type Target } from './fuzz.js';

// A seeded slice of `npm run fuzz` (issue 15 item 6): the same mutations and invariants, few enough inputs for the suite.
describe('fuzzing the parsers that take outside input (seeded slice)', () => {
  let targets: Target[];
  beforeAll(() => {
    targets = makeTargets();
  });

  it('refuses every mutant with the parser\'s own refusal or accepts it as strict DER, none hanging', () => {
    const report = runFuzz({ seed: 20261205, inputs: 900, seconds: 60, targets, perInputMs: 5000 });
    expect(report.failures).toEqual([]);
    for (const [name, counts] of Object.entries(report.perTarget)) {
      expect(counts.inputs, name).toBeGreaterThan(0);
      // Structure-aware mutants reach past the framing: some are refused deep inside, some still parse.
      expect(counts.refused, name).toBeGreaterThan(0);
      expect(counts.accepted, name).toBeGreaterThan(0);
    }
  });
});
