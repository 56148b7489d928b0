import { describe, expect, it } from 'vitest';
import { SignetError } from '../i18n/signet-error.js';
import { residentIdCheckCharacter, usccCheckCharacter, validateResidentId, validateUscc } from './identifiers.js';

function refusal(run: () => unknown): SignetError {
  try {
    run();
  } catch (error) {
    if (error instanceof SignetError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('GB 11643 resident identity numbers (R1)', () => {
  it('computes the ISO 7064 MOD 11-2 check character, X included', () => {
    // The standard's own example: 11010519491231002X.
    expect(residentIdCheckCharacter('11010519491231002')).toBe('X');
    expect(validateResidentId('11010519491231002x')).toBe('11010519491231002X');
    expect(validateResidentId('110101199003077571')).toBe('110101199003077571');
  });

  it('refuses a wrong check digit, naming the field and the reason', () => {
    const error = refusal(() => validateResidentId('110101199003077578'));
    expect(error.status).toBe(400);
    expect(error.code).toBe('ra.invalid-resident-id.check-digit');
    expect(error.field).toBe('idNumber');
    expect(error.messageIn('zh-CN')).toContain('校验码');
  });

  it('refuses impossible birth dates and wrong shapes', () => {
    expect(refusal(() => validateResidentId('110101199002307571')).code).toBe('ra.invalid-resident-id.birth-date');
    expect(refusal(() => validateResidentId('11010119900307757')).code).toBe('ra.invalid-resident-id.format');
  });
});

describe('GB 32100 Unified Social Credit Codes (R1)', () => {
  it('computes the MOD 31 check character over the 31-character alphabet', () => {
    expect(usccCheckCharacter('91350100M000100Y4')).toBe('3');
    expect(validateUscc('91350100m000100y43')).toBe('91350100M000100Y43');
  });

  it('refuses a wrong check character, letters outside the alphabet, and wrong lengths', () => {
    const wrong = refusal(() => validateUscc('91350100M000100Y44', 'uscc'));
    expect([wrong.status, wrong.code, wrong.field]).toEqual([400, 'ra.invalid-uscc.check-character', 'uscc']);
    expect(refusal(() => validateUscc('91350100M000100I43')).code).toBe('ra.invalid-uscc.alphabet');
    expect(refusal(() => validateUscc('91350100M000100Y4')).code).toBe('ra.invalid-uscc.length');
  });
});
