import { beforeAll, describe, expect, it } from 'vitest';
import { parseCertificationRequest, provePublicKey } from '../../src/ca/certification-request.js';
import { SignetError } from '../../src/i18n/signet-error.js';
import { foreignRequestSeeds, makeTargets, runFuzz, type Target } from './fuzz.js';

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

  it("takes Go's and BouncyCastle's requests as they write them, except Go's RSA-PSS one, which is not a PSS signature (golang/go#45990)", () => {
    const outcome = (der: Buffer) => {
      try {
        provePublicKey(parseCertificationRequest(der));
        return 'accepted';
      } catch (error) {
        if (error instanceof SignetError && error.status === 400) return `refused: ${error.code}`;
        throw error;
      }
    };
    const seeds = foreignRequestSeeds();
    expect(Object.fromEntries(seeds.map((seed) => [seed.name, outcome(seed.der)]))).toEqual({
      'go p256': 'accepted',
      'go p384': 'accepted',
      'go rsa': 'accepted',
      // Go up to 1.22 signs a CSR's RSA-PSS identifier with PKCS#1 v1.5 (OpenSSL's req -verify refuses it too).
      'go rsa-pss': 'refused: request.bad-signature',
      'go ed25519': 'accepted',
      'bouncycastle p256': 'accepted',
      'bouncycastle p384': 'accepted',
      'bouncycastle rsa': 'accepted',
      'bouncycastle rsa-pss': 'accepted',
      'bouncycastle ed25519': 'accepted',
      'bouncycastle sm2': 'accepted',
    });
  }, 240_000);
});

