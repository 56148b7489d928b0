import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHierarchy } from '../../ca/hierarchy.js';
import { openTestSignet, writePem, type TestSignet } from '../../ca/test-support/ca-fixture.js';
import type { StoreBackendName } from '../../store/test-support/store-backends.js';
import { bootstrapPrincipal, type Principal } from '../roles.js';

export interface RaTestBed {
  t: TestSignet;
  /** A temporary folder holding root.pem and issuing.pem, for the tools under test. */
  dir: string;
  rootPem: string;
  issuingPem: string;
  /** An RA officer of the one RA. */
  officer: Principal;
}

/**
 * What every enrolment door's test starts from: a fresh store with a P-256
 * hierarchy, agreement v1 in force and one RA with an officer.
 */
export async function openRaTestBed(
  backend: StoreBackendName,
  options: { dirPrefix: string; raName?: string; signet?: Parameters<typeof openTestSignet>[1] },
): Promise<RaTestBed> {
  const t = await openTestSignet(backend, options.signet);
  const dir = mkdtempSync(join(tmpdir(), options.dirPrefix));
  const h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
  const rootPem = writePem(dir, 'root.pem', h.root.der);
  const issuingPem = writePem(dir, 'issuing.pem', h.issuing.der);
  await t.signet.ra.agreements.publish({ id: 'v1', title: '数字证书服务协议', text: '协议', actor: 'test' });
  const ra = await t.signet.ra.organisations.create(bootstrapPrincipal('cli', 'test'), { name: options.raName ?? '北京注册机构' });
  const officer: Principal = { operatorId: null, username: 'officer', role: 'ra-officer', raId: ra.id, via: 'cli' };
  return { t, dir, rootPem, issuingPem, officer };
}
