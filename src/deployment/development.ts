import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import { bootstrapPrincipal } from '../ra/roles.js';
import { ensureDevelopmentHierarchy, type Signet } from '../signet.js';
import { SAMPLE_AGREEMENT_TEXT, SAMPLE_AGREEMENT_TITLE, SAMPLE_AGREEMENT_VERSION } from './sample-agreement.js';

/** Where the generated operator passwords are kept (0600), beside the other development secrets. */
export const CREDENTIALS_FILE = 'development-credentials';

export interface DevelopmentOperator {
  username: string;
  role: 'ca-admin' | 'ra-officer';
  password: string;
}

export interface DevelopmentDeployment {
  /** True when this start created it; the passwords are shown only then. */
  created: boolean;
  raId: string;
  raName: string;
  agreementVersion: string;
  operators: DevelopmentOperator[];
  credentialsFile: string;
}

const DEMO_RA_NAME = '示例注册机构 Demo RA';
const ACTOR = 'system:first-start';
/** The sample fee standard (R9), in integer fen: ¥120.00 a year for a person, ¥600.00 for an enterprise. */
const SAMPLE_FEES = [
  { profileId: 'individual-signing', validityDays: 365, amountFen: 12_000 },
  { profileId: 'individual-encryption', validityDays: 365, amountFen: 12_000 },
  { profileId: 'enterprise-signing', validityDays: 365, amountFen: 60_000 },
  { profileId: 'enterprise-encryption', validityDays: 365, amountFen: 60_000 },
];

/** 18 random bytes: 24 characters, well over the operators' 12-character minimum. */
const generatedPassword = () => randomBytes(18).toString('base64url');

/**
 * `npm start` on an empty data folder, development mode only: besides the CA
 * hierarchy, everything a newcomer needs to apply, approve and download in the
 * browser at once — a demo RA, a CA administrator and an RA officer with
 * generated passwords, the sample agreement in force in zh-CN and en, and a
 * sample fee schedule. A store that already has a root CA is left alone (it
 * returns what the credentials file says, if there is one), as is every
 * production deployment.
 */
export async function ensureDevelopmentDeployment(signet: Signet, algorithm: KeyAlgorithm): Promise<DevelopmentDeployment | null> {
  // The hierarchy and its first root ceremony; in production mode a store without one is refused there.
  const created = await ensureDevelopmentHierarchy(signet, algorithm);
  if (signet.config.mode !== 'development') return null;
  const credentialsFile = join(signet.config.dataDir, CREDENTIALS_FILE);
  if (!created) return readDevelopmentCredentials(credentialsFile);

  const by = bootstrapPrincipal('cli', ACTOR);
  const ra = await signet.ra.organisations.create(by, { name: DEMO_RA_NAME });
  const operators: DevelopmentOperator[] = [
    { username: 'admin', role: 'ca-admin', password: generatedPassword() },
    { username: 'officer', role: 'ra-officer', password: generatedPassword() },
  ];
  for (const operator of operators) {
    await signet.ra.operators.create(by, {
      username: operator.username,
      role: operator.role,
      raId: operator.role === 'ra-officer' ? ra.id : null,
      displayName: operator.role === 'ca-admin' ? 'CA 管理员 CA administrator' : '示例审核员 RA officer',
      password: operator.password,
    });
  }
  await signet.publication.publishAgreement(ACTOR, { id: SAMPLE_AGREEMENT_VERSION, title: { ...SAMPLE_AGREEMENT_TITLE }, text: { ...SAMPLE_AGREEMENT_TEXT } });
  for (const fee of SAMPLE_FEES) await signet.service.fees.setSchedule(ACTOR, { raId: ra.id, ...fee });

  const deployment: DevelopmentDeployment = { created: true, raId: ra.id, raName: ra.name, agreementVersion: SAMPLE_AGREEMENT_VERSION, operators, credentialsFile };
  writeDevelopmentCredentials(deployment);
  return deployment;
}

/** One line per operator, tab-separated, readable by `cut` and by people; only the owner may read it. */
function writeDevelopmentCredentials(deployment: DevelopmentDeployment): void {
  mkdirSync(join(deployment.credentialsFile, '..'), { recursive: true });
  const lines = [
    '# Signet development deployment: operator sign-in for the console (/console). Generated on first start.',
    `# ra\t${deployment.raId}\t${deployment.raName}`,
    ...deployment.operators.map((o) => `${o.username}\t${o.role}\t${o.password}`),
  ];
  writeFileSync(deployment.credentialsFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  chmodSync(deployment.credentialsFile, 0o600);
}

function readDevelopmentCredentials(file: string): DevelopmentDeployment | null {
  if (!existsSync(file)) return null;
  const lines = readFileSync(file, 'utf8').split('\n');
  const ra = lines.find((l) => l.startsWith('# ra\t'))?.split('\t') ?? [];
  const operators = lines
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t'))
    .filter((f): f is [string, DevelopmentOperator['role'], string] => f.length === 3 && (f[1] === 'ca-admin' || f[1] === 'ra-officer'))
    .map(([username, role, password]) => ({ username, role, password }));
  return { created: false, raId: ra[1] ?? '', raName: ra[2] ?? '', agreementVersion: SAMPLE_AGREEMENT_VERSION, operators, credentialsFile: file };
}
