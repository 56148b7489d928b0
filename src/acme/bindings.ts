import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CertificateAuthority } from '../ca/authority.js';
import { canonicalDnsName } from '../ca/encoding-lint.js';
import type { CertificateProfile } from '../ca/profiles.js';
import { appendAuditEntry } from '../audit/audit-log.js';
import { SignetError } from '../i18n/signet-error.js';
import type { SubscriberRegistry } from '../ra/subscribers.js';
import { actorOf, requireRole, type Principal } from '../ra/roles.js';
import type { Tx } from '../store/database.js';
import { acmeDb, type AcmeBindingTable } from './migrations.js';
import { fromBase64Url, parseJws, type FlattenedJws } from './jws.js';
import { AcmeProblem, malformed, unauthorized } from './problems.js';

const DAY_MS = 86_400_000;

/** What an RA officer decides when handing a verified enterprise its ACME key. */
export interface BindingRequest {
  subscriberId: string;
  /** `example.com`, or `*.example.com` for that name and every name under it. */
  identifiers: string[];
  /** Default: ['tls-server']. */
  profiles?: string[];
  /** At most the first profile's validity; default the profile's. */
  validityDays?: number;
  /** How long the binding lets its account order; default 365 days. */
  lifetimeDays?: number;
}

export interface Binding {
  keyId: string;
  subscriberId: string;
  raId: string;
  identifiers: string[];
  profiles: string[];
  validityDays: number;
  expiresAt: string;
  createdBy: string;
  createdAt: string;
  accountId: string | null;
  revokedAt: string | null;
}

export interface IssuedBinding extends Binding {
  /** base64url HMAC key: shown once, for the subscriber's ACME client (`--eab-hmac-key`). */
  macKey: string;
}

export function toBinding(row: AcmeBindingTable): Binding {
  return {
    keyId: row.key_id,
    subscriberId: row.subscriber_id,
    raId: row.ra_id,
    identifiers: JSON.parse(row.identifiers) as string[],
    profiles: JSON.parse(row.profiles) as string[],
    validityDays: row.validity_days,
    expiresAt: row.expires_at,
    createdBy: row.created_by,
    createdAt: row.created_at,
    accountId: row.account_id,
    revokedAt: row.revoked_at,
  };
}

/** Whether `name` (a canonical DNS name) falls under one of the binding's patterns. */
export function bindingAllows(binding: Pick<Binding, 'identifiers'>, name: string): boolean {
  return binding.identifiers.some((pattern) => {
    if (!pattern.startsWith('*.')) return name === pattern;
    const base = pattern.slice(2);
    const bare = name.startsWith('*.') ? name.slice(2) : name;
    return bare === base || bare.endsWith(`.${base}`);
  });
}

/** A profile ACME can issue under: for subscribers, with DNS names. */
/**
 * A fresh 256-bit HMAC key in base64url that does not begin with '-': one in 64 would, and certbot's
 * argument parser (Python argparse) then takes the pasted `--eab-hmac-key -…` for an option and stops.
 * Drawing again costs under 0.03 bits of the 256.
 */
export function pasteableMacKey(draw: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const key = draw(32).toString('base64url');
    if (!key.startsWith('-')) return key;
  }
}

function macKeyContext(keyId: string): string {
  return `acme-eab:${keyId}`;
}

export function acmeCapable(profile: CertificateProfile): boolean {
  return profile.kind === 'subscriber' && profile.subjectAltName.allowed.includes('dns');
}

/** Seals the HMAC key at rest (the deployment's personal-data cipher: AES-GCM, rotatable, bound to a context). */
export interface SecretSealer {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
  needsRotation(sealed: string): boolean;
  reseal(sealed: string, context: string): string;
}

export interface BindingOptions {
  ca: CertificateAuthority;
  subscribers: SubscriberRegistry;
  sealer: SecretSealer;
  clock: () => Date;
}

/**
 * External Account Bindings (RFC 8555 §7.3.4) as RA decisions: an officer of
 * the subscriber's RA issues one for an enterprise it verified, naming the
 * domains, profiles and validity; the ACME account that presents it inherits
 * exactly that, and nothing else (R1, R4).
 */
export class ExternalAccountBindings {
  constructor(private readonly options: BindingOptions) {}

  private get db() {
    return acmeDb(this.options.ca.store);
  }

  /**
   * After a rotation of the personal-data key: every binding's HMAC key sealed
   * again under the current key, so that the old key can leave the
   * configuration (`signet retention reseal`). Returns how many changed.
   */
  async reseal(actor = 'system:pii-rotation'): Promise<{ acmeBindings: number }> {
    const sealer = this.options.sealer;
    let changed = 0;
    await this.db.transaction().execute(async (trx) => {
      for (const row of await trx.selectFrom('acme_bindings').select(['key_id', 'mac_key']).execute()) {
        if (!sealer.needsRotation(row.mac_key)) continue;
        await trx.updateTable('acme_bindings').set({ mac_key: sealer.reseal(row.mac_key, macKeyContext(row.key_id)) }).where('key_id', '=', row.key_id).execute();
        changed += 1;
      }
      if (changed > 0) {
        await appendAuditEntry(trx as unknown as Tx, this.options.ca.store.dialect, { actor, action: 'acme.bindings-resealed', target: 'acme-bindings', details: { bindings: changed } }, this.options.clock());
      }
    });
    return { acmeBindings: changed };
  }

  async issue(by: Principal, request: BindingRequest): Promise<IssuedBinding> {
    requireRole(by, ['ca-admin', 'ra-admin', 'ra-officer']);
    const subscriber = await this.options.subscribers.row(by, String(request.subscriberId ?? ''));
    if (subscriber.type !== 'enterprise') throw new SignetError('acme.binding-subscriber-not-enterprise', 400, { subscriber: subscriber.id }, 'subscriberId');
    if (!Array.isArray(request.identifiers) || request.identifiers.length === 0 || request.identifiers.length > 100) {
      throw new SignetError('acme.binding-no-identifiers', 400, {}, 'identifiers');
    }
    const identifiers = [...new Set(request.identifiers.map((given) => {
      const name = typeof given === 'string' ? canonicalDnsName(given.trim()) : undefined;
      if (!name) throw new SignetError('acme.binding-bad-identifier', 400, { identifier: String(given).slice(0, 256) }, 'identifiers');
      return name;
    }))];
    const profileIds = request.profiles && request.profiles.length > 0 ? [...new Set(request.profiles)] : ['tls-server'];
    const profiles = profileIds.map((id) => {
      const profile = this.options.ca.profiles.get(String(id));
      if (!acmeCapable(profile)) throw new SignetError('acme.binding-bad-profile', 400, { profile: profile.id }, 'profiles');
      return profile;
    });
    const max = Math.min(...profiles.map((p) => p.validityDays));
    const validityDays = request.validityDays ?? max;
    if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > max) {
      throw new SignetError('acme.binding-bad-validity', 400, { days: String(validityDays), max, profile: profiles.find((p) => p.validityDays === max)!.id }, 'validityDays');
    }
    const lifetimeDays = request.lifetimeDays ?? 365;
    if (!Number.isInteger(lifetimeDays) || lifetimeDays < 1 || lifetimeDays > 3660) {
      throw new SignetError('acme.binding-bad-lifetime', 400, { days: String(lifetimeDays) }, 'lifetimeDays');
    }
    const now = this.options.clock();
    const macKey = pasteableMacKey();
    const keyId = `eab-${randomBytes(12).toString('base64url')}`;
    const row: AcmeBindingTable = {
      key_id: keyId,
      // Sealed, bound to its key id: whoever reads the store cannot bind an account with an unused binding.
      mac_key: this.options.sealer.seal(macKey, macKeyContext(keyId)),
      subscriber_id: subscriber.id,
      ra_id: subscriber.ra_id,
      identifiers: JSON.stringify(identifiers),
      profiles: JSON.stringify(profileIds),
      validity_days: validityDays,
      expires_at: new Date(now.getTime() + lifetimeDays * DAY_MS).toISOString(),
      created_by: actorOf(by),
      created_at: now.toISOString(),
      account_id: null,
      revoked_at: null,
    };
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('acme_bindings').values(row).execute();
      await appendAuditEntry(trx as unknown as Tx, this.options.ca.store.dialect, {
        actor: row.created_by,
        action: 'acme.binding-issued',
        target: `subscriber:${subscriber.id}`,
        details: { keyId: row.key_id, ra: subscriber.ra_id, identifiers, profiles: profileIds, validityDays, expiresAt: row.expires_at },
      }, now);
    });
    return { ...toBinding(row), macKey };
  }

  async list(by: Principal, filter: { subscriberId?: string } = {}): Promise<Binding[]> {
    requireRole(by, ['ca-admin', 'ra-admin', 'ra-officer', 'auditor']);
    let query = this.db.selectFrom('acme_bindings').selectAll().orderBy('created_at');
    if (by.raId) query = query.where('ra_id', '=', by.raId);
    if (filter.subscriberId) query = query.where('subscriber_id', '=', filter.subscriberId);
    return (await query.execute()).map(toBinding);
  }

  /** Stops the binding's account from ordering; what it already has stays (revoke certificates separately). */
  async revoke(by: Principal, keyId: string): Promise<Binding> {
    requireRole(by, ['ca-admin', 'ra-admin', 'ra-officer']);
    const now = this.options.clock();
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('acme_bindings').selectAll().where('key_id', '=', keyId).executeTakeFirst();
      if (!row || (by.raId !== null && by.raId !== row.ra_id)) throw new SignetError('acme.binding-unknown', 404, { keyId: keyId.slice(0, 64) }, 'keyId');
      if (row.revoked_at) return toBinding(row);
      await trx.updateTable('acme_bindings').set({ revoked_at: now.toISOString() }).where('key_id', '=', keyId).execute();
      await appendAuditEntry(trx as unknown as Tx, this.options.ca.store.dialect, { actor: actorOf(by), action: 'acme.binding-revoked', target: `subscriber:${row.subscriber_id}`, details: { keyId } }, now);
      return { ...toBinding(row), revokedAt: now.toISOString() };
    });
  }

  /** The RA whose decision the binding is, for the authorisation layer (null: no such binding). */
  async raOf(keyId: string): Promise<string | null> {
    const row = await this.db.selectFrom('acme_bindings').select('ra_id').where('key_id', '=', keyId).executeTakeFirst();
    return row?.ra_id ?? null;
  }

  async byKeyId(keyId: string, trx = this.db): Promise<Binding | null> {
    const row = await trx.selectFrom('acme_bindings').selectAll().where('key_id', '=', keyId).executeTakeFirst();
    return row ? toBinding(row) : null;
  }

  /**
   * The `externalAccountBinding` of a newAccount request (RFC 8555 §7.3.4): a
   * JWS by the MAC key over the account's JWK, for the same URL. Returns the
   * binding it names, usable now and not bound to another account.
   */
  async verify(eab: unknown, accountJwk: Record<string, unknown>, url: string, thumbprintOf: (jwk: unknown) => string): Promise<Binding> {
    const jws: FlattenedJws = parseJws(eab, 'externalAccountBinding');
    const { alg, kid, url: eabUrl } = jws.header;
    const keys = Object.keys(jws.header).sort().join(',');
    if (keys !== 'alg,kid,url') throw malformed('the externalAccountBinding protected header must hold alg, kid and url only (no nonce)');
    const hash = ({ HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' } as Record<string, string>)[String(alg)];
    if (!hash) throw new AcmeProblem('badSignatureAlgorithm', `externalAccountBinding algorithm ${String(alg)} is not accepted`, { algorithms: ['HS256', 'HS384', 'HS512'] });
    if (eabUrl !== url) throw unauthorized('the externalAccountBinding url is not this newAccount URL');
    const row = typeof kid === 'string' ? await this.db.selectFrom('acme_bindings').selectAll().where('key_id', '=', kid).executeTakeFirst() : undefined;
    if (!row) throw unauthorized('the external account binding key id is not known');
    const mac = createHmac(hash, fromBase64Url(this.options.sealer.open(row.mac_key, macKeyContext(row.key_id)), 'mac key')).update(`${jws.protectedB64}.${jws.payloadB64}`, 'ascii').digest();
    if (mac.length !== jws.signature.length || !timingSafeEqual(mac, jws.signature)) throw unauthorized('the external account binding MAC does not verify');
    let bound: unknown;
    try {
      bound = JSON.parse(Buffer.from(jws.payloadB64, 'base64url').toString('utf8'));
    } catch {
      throw malformed('the externalAccountBinding payload is not a JWK');
    }
    if (thumbprintOf(bound) !== thumbprintOf(accountJwk)) throw unauthorized('the externalAccountBinding binds another key than the account key');
    if (row.revoked_at) throw unauthorized('the external account binding was revoked by the RA');
    if (row.expires_at <= this.options.clock().toISOString()) throw unauthorized('the external account binding has expired');
    if (row.account_id) throw unauthorized('the external account binding is already bound to another account');
    return toBinding(row);
  }
}
