import { CertificateAuthority, type IssuanceFaults } from './ca/authority.js';
import { createHierarchy } from './ca/hierarchy.js';
import type { KeyAlgorithm } from './crypto/algorithms.js';
import type { SignetConfig } from './config/settings.js';
import { openDatabase, type SignetDatabase } from './store/database.js';
import { StatusService } from './status/status-service.js';
import { TimeStampAuthority } from './tsa/time-stamp-authority.js';

/** The composition root: one store, the domains over it, nothing global. */
export interface Signet {
  config: SignetConfig;
  store: SignetDatabase;
  ca: CertificateAuthority;
  status: StatusService;
  tsa: TimeStampAuthority;
  close(): Promise<void>;
}

export interface OpenOptions {
  clock?: () => Date;
  faults?: IssuanceFaults;
}

export async function openSignet(config: SignetConfig, options: OpenOptions = {}): Promise<Signet> {
  const store = await openDatabase(config.databaseUrl);
  const ca = new CertificateAuthority({ store, config, clock: options.clock, faults: options.faults });
  // Whatever a crash left half-done is settled before anything new is signed.
  await ca.recoverInterruptedIssuance();
  const status = new StatusService(ca, { publicUrl: config.publicUrl });
  const tsa = new TimeStampAuthority({ ca, policyArc: config.policyOid, serialPrefix: config.serialPrefix, clock: options.clock });
  return { config, store, ca, status, tsa, close: () => store.close() };
}

/** `npm start` on a fresh data folder: a development hierarchy, created once. */
export async function ensureDevelopmentHierarchy(signet: Signet, algorithm: KeyAlgorithm): Promise<boolean> {
  const authorities = await signet.ca.authorities();
  if (authorities.some((a) => a.role === 'root')) return false;
  await createHierarchy(signet.ca, { algorithm, actor: 'system:first-start' });
  return true;
}
