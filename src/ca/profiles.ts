import { z } from 'zod';
import { KEY_ALGORITHMS, type KeyAlgorithm } from '../crypto/algorithms.js';
import { SignetError } from '../i18n/signet-error.js';
import builtIn from './profiles.json' with { type: 'json' };
import { IDENTITY_EXTENSION_TYPES } from './subject-identity.js';
import { IDENTIFIER_DISCLOSURES } from './identifier-disclosure.js';

export const SUBJECT_FIELDS = [
  'countryName',
  'stateOrProvinceName',
  'localityName',
  'organizationName',
  'organizationalUnitName',
  'organizationIdentifier',
  'serialNumber',
  'commonName',
  'emailAddress',
] as const;
export type SubjectField = (typeof SUBJECT_FIELDS)[number];

const KEY_USAGES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
] as const;
export type KeyUsageName = (typeof KEY_USAGES)[number];

export const EKU_OIDS = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  OCSPSigning: '1.3.6.1.5.5.7.3.9',
} as const;
export type ExtendedKeyUsageName = keyof typeof EKU_OIDS;

const localized = z.object({ 'zh-CN': z.string().min(1), en: z.string().min(1) });

const profileSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    name: localized,
    /** ca: builds the hierarchy; service: OCSP/TSA keys of the CA itself; subscriber: what the RA issues. */
    kind: z.enum(['ca', 'service', 'subscriber']),
    subscriberType: z.enum(['individual', 'enterprise']).optional(),
    purpose: z.enum(['signing', 'encryption', 'tls']).optional(),
    validityDays: z.number().int().positive().max(10958),
    keyTypes: z.array(z.enum(KEY_ALGORITHMS)).min(1),
    keyUsage: z.array(z.enum(KEY_USAGES)).min(1),
    /** Replaces keyUsage for ECDSA and Ed25519 keys, which cannot encipher. */
    keyUsageForEc: z.array(z.enum(KEY_USAGES)).min(1).optional(),
    extendedKeyUsage: z.array(z.enum(Object.keys(EKU_OIDS) as [ExtendedKeyUsageName])).optional(),
    extendedKeyUsageCritical: z.boolean().default(false),
    basicConstraints: z.object({ ca: z.boolean(), pathLen: z.number().int().min(0).optional() }).optional(),
    ocspNoCheck: z.boolean().default(false),
    subject: z.object({
      required: z.array(z.enum(SUBJECT_FIELDS)),
      optional: z.array(z.enum(SUBJECT_FIELDS)),
    }),
    subjectAltName: z.object({ allowed: z.array(z.enum(['dns', 'ip', 'email'])), required: z.boolean() }),
    /** Appended to the deployment's policy arc; null: the certificate asserts no policy (a trust anchor). */
    policySuffix: z.string().regex(/^\d+(\.\d+)*$/).nullable(),
    /**
     * For a CA that issues end-entity certificates: assert, beside its own
     * policySuffix, the policy of every service and subscriber profile, so that the
     * RFC 5280 §6.1 policy tree under it is not empty (openssl -explicit_policy,
     * Java's explicit policy, NSS vfychain -o).
     */
    assertsIssuedPolicies: z.boolean().default(false),
    /** False only for self-signed roots: there is no issuer to point CRLDP and AIA at. */
    issuerLinks: z.boolean().default(true),
    serverKeyGeneration: z.boolean(),
    /**
     * The GM/T 0015 identity extension the certificate carries, filled from
     * the RA-verified identity in the order (src/ca/subject-identity.ts).
     * required: refuse an order without a fitting identity; otherwise the
     * extension is left out when the identity has no alternative in it.
     */
    identityExtension: z.object({ type: z.enum(IDENTITY_EXTENSION_TYPES), required: z.boolean() }).strict().optional(),
    /**
     * What a person's certificate says about their ID number: the number,
     * a masked form, or a keyed hash (src/ca/identifier-disclosure.ts; the
     * decision per profile is documented in docs/personal-data.md).
     */
    personalIdentifier: z.enum(IDENTIFIER_DISCLOSURES).default('clear'),
  })
  .strict()
  .superRefine((p, ctx) => {
    const isCa = p.kind === 'ca';
    if (isCa !== (p.basicConstraints?.ca === true)) {
      ctx.addIssue({ code: 'custom', message: `${p.id}: basicConstraints.ca must be true exactly for CA profiles` });
    }
    if (isCa !== p.keyUsage.includes('keyCertSign')) {
      ctx.addIssue({ code: 'custom', message: `${p.id}: keyCertSign belongs to CA profiles only (RFC 5280 §4.2.1.9)` });
    }
    if (p.identityExtension && p.kind !== 'subscriber') {
      ctx.addIssue({ code: 'custom', message: `${p.id}: identity extensions belong to subscriber profiles` });
    }
    const holder = { IdentifyCode: 'individual', UnifiedSocialCreditCode: 'enterprise' } as const;
    if (p.identityExtension && p.subscriberType !== undefined && holder[p.identityExtension.type] !== p.subscriberType) {
      ctx.addIssue({ code: 'custom', message: `${p.id}: ${p.identityExtension.type} does not identify a(n) ${p.subscriberType}` });
    }
    if (p.personalIdentifier !== 'clear' && p.identityExtension?.type === 'IdentifyCode' && p.identityExtension.required) {
      ctx.addIssue({ code: 'custom', message: `${p.id}: a required IdentifyCode carries the ID number in clear; personalIdentifier must then be clear` });
    }
    if (p.assertsIssuedPolicies && (!isCa || p.policySuffix === null)) {
      ctx.addIssue({ code: 'custom', message: `${p.id}: assertsIssuedPolicies belongs to a CA profile that asserts a policy of its own` });
    }
    if (p.kind === 'subscriber' && p.policySuffix === null) {
      ctx.addIssue({ code: 'custom', message: `${p.id}: subscriber certificates must assert a policy (R11)` });
    }
  });

export type CertificateProfile = z.infer<typeof profileSchema>;

export class ProfileCatalogue {
  private readonly byId: Map<string, CertificateProfile>;

  constructor(profiles: CertificateProfile[]) {
    this.byId = new Map(profiles.map((p) => [p.id, p]));
  }

  static builtIn(): ProfileCatalogue {
    return ProfileCatalogue.parse(builtIn);
  }

  static parse(data: unknown): ProfileCatalogue {
    const parsed = z.object({ profiles: z.array(profileSchema) }).passthrough().parse(data);
    return new ProfileCatalogue(parsed.profiles);
  }

  get(id: string): CertificateProfile {
    const profile = this.byId.get(id);
    if (!profile) {
      throw new SignetError('request.unknown-profile', 400, { profile: id, known: [...this.byId.keys()].join(', ') }, 'profile');
    }
    return profile;
  }

  list(): CertificateProfile[] {
    return [...this.byId.values()];
  }

  /** The policy suffixes of every certificate an issuing CA signs (service and subscriber profiles), each once. */
  issuedPolicySuffixes(): string[] {
    const suffixes = this.list()
      .filter((p) => p.kind !== 'ca' && p.policySuffix !== null)
      .map((p) => p.policySuffix!);
    return [...new Set(suffixes)];
  }
}

/**
 * ECDSA, Ed25519 and ML-DSA keys cannot encipher (RFC 5480, RFC 8410, RFC 9881): profiles give
 * them keyUsageForEc. RSA and SM2 keys (SM2 encrypts, GM/T 0015) take keyUsage.
 */
export function keyUsageFor(profile: CertificateProfile, keyAlgorithm: KeyAlgorithm): KeyUsageName[] {
  const cannotEncipher = keyAlgorithm.startsWith('ecdsa-') || keyAlgorithm === 'ed25519' || keyAlgorithm.startsWith('ml-dsa-');
  return cannotEncipher && profile.keyUsageForEc ? profile.keyUsageForEc : profile.keyUsage;
}
