import 'reflect-metadata';
import { createPublicKey, randomBytes } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { CertificateAuthority } from '../ca/authority.js';
import { canonicalDnsName } from '../ca/encoding-lint.js';
import { appendAuditEntry } from '../audit/audit-log.js';
import { SignetError } from '../i18n/signet-error.js';
import type { SubscriberRegistry } from '../ra/subscribers.js';
import type { StatusService } from '../status/status-service.js';
import type { Tx } from '../store/database.js';
import { bindingAllows, ExternalAccountBindings, type Binding, type SecretSealer } from './bindings.js';
import { DEFAULT_NETWORK, validateHttp01, type ValidationNetwork } from './http-01.js';
import { validateTlsAlpn01 } from './tls-alpn-01.js';
import { validateDns01 } from './dns-01.js';
import { checkAlgorithm, importAccountKey, parseJws, payloadOf, verifyJwsSignature, type AccountKey, type FlattenedJws } from './jws.js';
import { acmeDb, type AcmeAccountTable, type AcmeDb, type AcmeAuthorizationTable, type AcmeChallengeTable, type AcmeOrderTable } from './migrations.js';
import { NonceStore } from './nonces.js';
import { AcmeProblem, malformed, problemType, unauthorized, type AcmeSubproblem } from './problems.js';
import { configError } from '../config/config-error.js';

const DAY_MS = 86_400_000;

/** Per-account limits, counted in the store so that every process shares them. */
export interface AcmeLimits {
  ordersPerWindow: number;
  windowSeconds: number;
  pendingAuthorizations: number;
}

export const DEFAULT_LIMITS: AcmeLimits = { ordersPerWindow: 300, windowSeconds: 3600, pendingAuthorizations: 300 };

/** SIGNET_ACME_LIMITS=`orders=300/3600,pending=300`. */
export function acmeLimitsFrom(env: NodeJS.ProcessEnv): AcmeLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const part of (env.SIGNET_ACME_LIMITS ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const orders = /^orders=(\d{1,9})\/(\d{1,9})$/.exec(part);
    const pending = /^pending=(\d{1,9})$/.exec(part);
    if (orders && Number(orders[1]) > 0 && Number(orders[2]) > 0) {
      limits.ordersPerWindow = Number(orders[1]);
      limits.windowSeconds = Number(orders[2]);
    } else if (pending && Number(pending[1]) > 0) limits.pendingAuthorizations = Number(pending[1]);
    else throw configError('acme.config.limits-invalid', { variable: 'SIGNET_ACME_LIMITS', value: part });
  }
  return limits;
}

/**
 * SIGNET_ACME_AUTHZ_REUSE_DAYS (RFC 8555 §7.1.4): for how many days after its
 * validation a valid authorization stays valid and is reused by the same
 * account's new orders for the same name, as Let's Encrypt does. Unset or 0:
 * none, every order proves its names afresh (the default). At most 398, the
 * longest reuse the CA/Browser Forum's requirements ever allowed; a publicly
 * trusted deployment sets what they allow today. A malformed value stops the start.
 */
export function acmeAuthorizationReuseFrom(env: NodeJS.ProcessEnv): number {
  const text = env.SIGNET_ACME_AUTHZ_REUSE_DAYS?.trim();
  if (!text) return 0;
  if (!/^\d{1,3}$/.test(text) || Number(text) > 398) throw configError('config.whole-number-range', { variable: 'SIGNET_ACME_AUTHZ_REUSE_DAYS', value: text, min: 0, max: 398 });
  return Number(text);
}

export interface AcmeServiceOptions {
  ca: CertificateAuthority;
  subscribers: SubscriberRegistry;
  status: StatusService;
  /** Seals each binding's HMAC key at rest. */
  sealer: SecretSealer;
  clock?: () => Date;
  network?: Partial<ValidationNetwork>;
  limits?: Partial<AcmeLimits>;
  /** Days a validated authorization is reused for (acmeAuthorizationReuseFrom); 0 or unset: never. */
  authorizationReuseDays?: number;
}

/** An authenticated request: the account (kid) or the bare key (jwk), and the payload. */
export interface Authenticated {
  account: AcmeAccountTable | null;
  key: AccountKey;
  payload: unknown;
  jws: FlattenedJws;
}

/** What a response carries besides its body: status, Location, Link, the content type. */
export interface AcmeResponse {
  status: number;
  body: unknown;
  location?: string;
  links?: string[];
  contentType?: string;
  retryAfter?: number;
}

/** The RFC 5280 reasons an ACME client may give (RFC 8555 §7.6), as the status domain names them. */
const REVOCATION_REASONS: Record<number, string> = { 0: 'unspecified', 1: 'keyCompromise', 3: 'affiliationChanged', 4: 'superseded', 5: 'cessationOfOperation' };

/** The challenge types offered for each identifier. */
const CHALLENGE_TYPES = ['http-01', 'tls-alpn-01', 'dns-01'] as const;

const json = <T>(text: string): T => JSON.parse(text) as T;

/**
 * The ACME server (RFC 8555) as a thin protocol layer over the RA and CA:
 * accounts exist only through an RA's External Account Binding, orders may
 * only name what the binding allows, and finalize goes through the CA's one
 * issuance cycle (profiles, lint, record-before-sign, audit, status).
 * URLs are built from `base`, the origin the client reached us at.
 */
export class AcmeService {
  readonly bindings: ExternalAccountBindings;
  readonly nonces: NonceStore;
  readonly network: ValidationNetwork;
  readonly limits: AcmeLimits;
  /** SIGNET_ACME_AUTHZ_REUSE_DAYS, read when an order is made or a name validated. */
  readonly reuse: { days: number };
  private readonly clock: () => Date;

  constructor(private readonly options: AcmeServiceOptions) {
    this.clock = options.clock ?? (() => options.ca.now());
    this.bindings = new ExternalAccountBindings({ ca: options.ca, subscribers: options.subscribers, sealer: options.sealer, clock: this.clock });
    this.nonces = new NonceStore(() => this.db, this.clock);
    this.network = { ...DEFAULT_NETWORK, ...options.network, hosts: { ...DEFAULT_NETWORK.hosts, ...options.network?.hosts } };
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.reuse = { days: options.authorizationReuseDays ?? 0 };
  }

  private get db() {
    return acmeDb(this.options.ca.store);
  }

  private audit(trx: unknown, actor: string, action: string, target: string, details: Record<string, unknown>, at: Date) {
    return appendAuditEntry(trx as Tx, this.options.ca.store.dialect, { actor, action, target, details }, at);
  }

  directory(base: string): Record<string, unknown> {
    const profiles = Object.fromEntries(
      this.options.ca.profiles
        .list()
        .filter((p) => p.kind === 'subscriber' && p.subjectAltName.allowed.includes('dns'))
        .map((p) => [p.id, p.name.en]),
    );
    return {
      newNonce: `${base}/acme/new-nonce`,
      newAccount: `${base}/acme/new-account`,
      newOrder: `${base}/acme/new-order`,
      revokeCert: `${base}/acme/revoke-cert`,
      keyChange: `${base}/acme/key-change`,
      renewalInfo: `${base}/acme/renewal-info`,
      meta: { termsOfService: `${base}/agreements`, externalAccountRequired: true, profiles },
    };
  }

  // ── authentication ────────────────────────────────────────────────────

  /**
   * RFC 8555 §6.2–6.5: a flattened JWS for exactly this URL, signed by the
   * account key (kid) or by the key it carries (jwk, where `mode` admits
   * it), with a nonce this deployment gave out and nobody used yet.
   */
  async authenticate(body: unknown, url: string, base: string, mode: 'jwk' | 'kid' | 'either'): Promise<Authenticated> {
    const jws = parseJws(body);
    const { header } = jws;
    checkAlgorithm(header.alg);
    if (typeof header.nonce !== 'string') throw new AcmeProblem('badNonce', 'the protected header has no nonce');
    if (typeof header.url !== 'string') throw unauthorized('the protected header has no url');
    if (header.url !== url) throw unauthorized(`the protected header url ${header.url.slice(0, 200)} is not the URL requested`);
    if ((header.jwk === undefined) === (header.kid === undefined)) throw malformed('the protected header must carry exactly one of jwk and kid');
    if (mode === 'jwk' && header.jwk === undefined) throw malformed('this request is signed with the new key itself: use jwk, not kid');
    if (mode === 'kid' && header.kid === undefined) throw malformed('this request is signed by an account: use kid, not jwk');
    let account: AcmeAccountTable | null = null;
    let key: AccountKey;
    if (header.jwk !== undefined) {
      key = importAccountKey(header.jwk);
    } else {
      const prefix = `${base}/acme/acct/`;
      if (typeof header.kid !== 'string' || !header.kid.startsWith(prefix)) throw new AcmeProblem('accountDoesNotExist', 'kid is not an account URL of this server');
      account = (await this.db.selectFrom('acme_accounts').selectAll().where('id', '=', header.kid.slice(prefix.length)).executeTakeFirst()) ?? null;
      if (!account) throw new AcmeProblem('accountDoesNotExist', 'no such account');
      key = importAccountKey(json(account.jwk));
    }
    verifyJwsSignature(jws, key.key);
    // After the signature: a forged request cannot use up somebody's nonce.
    if (!(await this.nonces.consume(header.nonce))) throw new AcmeProblem('badNonce', 'the nonce was not issued by this server, was used already or expired');
    if (account && account.status !== 'valid') throw unauthorized(`the account is ${account.status}`);
    return { account, key, payload: payloadOf(jws), jws };
  }

  private requireAccount(auth: Authenticated): AcmeAccountTable {
    if (!auth.account) throw malformed('this request is signed by an account: use kid, not jwk');
    return auth.account;
  }

  // ── accounts ──────────────────────────────────────────────────────────

  accountUrl(base: string, id: string): string {
    return `${base}/acme/acct/${id}`;
  }

  private accountBody(base: string, row: AcmeAccountTable): Record<string, unknown> {
    return { status: row.status, contact: json<string[]>(row.contact), orders: `${this.accountUrl(base, row.id)}/orders`, termsOfServiceAgreed: true };
  }

  /** RFC 8555 §7.3: only with a valid External Account Binding (§7.3.4); an existing key gets its account back. */
  async newAccount(auth: Authenticated, base: string, url: string): Promise<AcmeResponse> {
    const payload = objectPayload(auth.payload);
    const existing = await this.db.selectFrom('acme_accounts').selectAll().where('thumbprint', '=', auth.key.thumbprint).executeTakeFirst();
    if (existing) return { status: 200, body: this.accountBody(base, existing), location: this.accountUrl(base, existing.id) };
    if (payload.onlyReturnExisting === true) throw new AcmeProblem('accountDoesNotExist', 'no account has this key');
    const contact = contactsOf(payload.contact);
    if (payload.termsOfServiceAgreed !== true) throw malformed('the subscriber agreement must be accepted (termsOfServiceAgreed: true)');
    if (payload.externalAccountBinding === undefined) {
      throw new AcmeProblem('externalAccountRequired', 'this CA issues only to subscribers its RA verified: ask your RA for an external account binding (key id and HMAC key)');
    }
    const binding = await this.bindings.verify(payload.externalAccountBinding, auth.key.jwk as Record<string, unknown>, url, (jwk) => importAccountKey(jwk).thumbprint);
    const now = this.clock();
    const row: AcmeAccountTable = {
      id: randomBytes(12).toString('base64url'),
      thumbprint: auth.key.thumbprint,
      jwk: JSON.stringify(auth.key.jwk),
      status: 'valid',
      contact: JSON.stringify(contact),
      binding_key_id: binding.keyId,
      subscriber_id: binding.subscriberId,
      created_at: now.toISOString(),
    };
    await this.db.transaction().execute(async (trx) => {
      // The binding is taken by whichever registration commits first; the loser changes nothing.
      const taken = await trx.updateTable('acme_bindings').set({ account_id: row.id }).where('key_id', '=', binding.keyId).where('account_id', 'is', null).executeTakeFirst();
      if (Number(taken.numUpdatedRows) !== 1) throw unauthorized('the external account binding is already bound to another account');
      await trx.insertInto('acme_accounts').values(row).execute();
      await this.audit(trx, `acme:account:${row.id}`, 'acme.account-created', `subscriber:${binding.subscriberId}`, { keyId: binding.keyId, thumbprint: row.thumbprint }, now);
    });
    return { status: 201, body: { ...this.accountBody(base, row), externalAccountBinding: payload.externalAccountBinding }, location: this.accountUrl(base, row.id) };
  }

  /** POST to the account URL: read it, change its contacts, or deactivate it (RFC 8555 §7.3.2, §7.3.6). */
  async account(auth: Authenticated, base: string, id: string): Promise<AcmeResponse> {
    const account = this.requireAccount(auth);
    if (account.id !== id) throw unauthorized('an account may only read or change itself');
    if (auth.payload === null) return { status: 200, body: this.accountBody(base, account), location: this.accountUrl(base, id) };
    const payload = objectPayload(auth.payload);
    const now = this.clock();
    const changed = { ...account };
    if (payload.contact !== undefined) changed.contact = JSON.stringify(contactsOf(payload.contact));
    if (payload.status !== undefined) {
      if (payload.status !== 'deactivated') throw malformed('an account can only be changed to status deactivated');
      changed.status = 'deactivated';
    }
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('acme_accounts').set({ contact: changed.contact, status: changed.status }).where('id', '=', id).execute();
      if (changed.status === 'deactivated') {
        await trx.updateTable('acme_authorizations').set({ status: 'deactivated' }).where('account_id', '=', id).where('status', 'in', ['pending', 'valid']).execute();
        await this.audit(trx, `acme:account:${id}`, 'acme.account-deactivated', `subscriber:${account.subscriber_id}`, {}, now);
      }
    });
    return { status: 200, body: this.accountBody(base, changed), location: this.accountUrl(base, id) };
  }

  async accountOrders(auth: Authenticated, base: string, id: string): Promise<AcmeResponse> {
    const account = this.requireAccount(auth);
    if (account.id !== id) throw unauthorized('an account may only list its own orders');
    const rows = await this.db.selectFrom('acme_orders').select('id').where('account_id', '=', id).where('status', 'in', ['pending', 'ready', 'processing', 'valid']).orderBy('created_at').limit(1000).execute();
    return { status: 200, body: { orders: rows.map((r) => `${base}/acme/order/${r.id}`) } };
  }

  /** RFC 8555 §7.3.5: the inner JWS, by the new key, names the account and its current key. */
  async keyChange(auth: Authenticated, base: string, url: string): Promise<AcmeResponse> {
    const account = this.requireAccount(auth);
    const inner = parseJws(auth.payload, 'the key-change payload');
    checkAlgorithm(inner.header.alg);
    if (inner.header.jwk === undefined || inner.header.kid !== undefined) throw malformed('the inner JWS must carry the new key as jwk');
    if (inner.header.nonce !== undefined) throw malformed('the inner JWS must not carry a nonce');
    if (inner.header.url !== url) throw malformed('the inner JWS url must be the key-change URL');
    const newKey = importAccountKey(inner.header.jwk);
    verifyJwsSignature(inner, newKey.key);
    const payload = objectPayload(payloadOf(inner));
    if (payload.account !== this.accountUrl(base, account.id)) throw unauthorized('the inner JWS names another account');
    if (importAccountKey(payload.oldKey).thumbprint !== account.thumbprint) throw unauthorized('oldKey is not the account key');
    const holder = await this.db.selectFrom('acme_accounts').select('id').where('thumbprint', '=', newKey.thumbprint).executeTakeFirst();
    if (holder) throw new AcmeProblem('conflict', 'the new key is already the key of an account', { status: 409, location: this.accountUrl(base, holder.id) });
    const now = this.clock();
    await this.db.transaction().execute(async (trx) => {
      const done = await trx
        .updateTable('acme_accounts')
        .set({ thumbprint: newKey.thumbprint, jwk: JSON.stringify(newKey.jwk) })
        .where('id', '=', account.id)
        .where('thumbprint', '=', account.thumbprint)
        .executeTakeFirst();
      if (Number(done.numUpdatedRows) !== 1) throw new AcmeProblem('conflict', 'the account key changed meanwhile', { status: 409 });
      await this.audit(trx, `acme:account:${account.id}`, 'acme.account-key-changed', `subscriber:${account.subscriber_id}`, { from: account.thumbprint, to: newKey.thumbprint }, now);
    });
    const changed = { ...account, thumbprint: newKey.thumbprint, jwk: JSON.stringify(newKey.jwk) };
    return { status: 200, body: this.accountBody(base, changed), location: this.accountUrl(base, account.id) };
  }

  // ── orders ────────────────────────────────────────────────────────────

  /** The binding behind an account, refused when the RA revoked it or it ran out. */
  private async bindingOf(account: AcmeAccountTable): Promise<Binding> {
    const binding = await this.bindings.byKeyId(account.binding_key_id);
    if (!binding || binding.revokedAt) throw unauthorized('the RA revoked this account\'s external account binding');
    if (binding.expiresAt <= this.clock().toISOString()) throw unauthorized('this account\'s external account binding has expired; ask your RA for a new one');
    return binding;
  }

  async newOrder(auth: Authenticated, base: string): Promise<AcmeResponse> {
    const account = this.requireAccount(auth);
    const payload = objectPayload(auth.payload);
    const binding = await this.bindingOf(account);
    if (!Array.isArray(payload.identifiers) || payload.identifiers.length === 0 || payload.identifiers.length > 100) {
      throw malformed('identifiers must be a list of 1 to 100 identifiers');
    }
    if (payload.notBefore !== undefined || payload.notAfter !== undefined) {
      throw malformed('notBefore and notAfter are not supported: the RA decided the validity in the external account binding');
    }
    const names: string[] = [];
    const subproblems: AcmeSubproblem[] = [];
    for (const given of payload.identifiers as unknown[]) {
      const { type, value } = (given ?? {}) as { type?: unknown; value?: unknown };
      const identifier = { type: 'dns' as const, value: String(value).slice(0, 256) };
      if (type !== 'dns') {
        subproblems.push({ type: problemType('unsupportedIdentifier'), detail: `identifier type ${String(type).slice(0, 32)} is not supported (dns)`, identifier });
        continue;
      }
      const name = typeof value === 'string' ? canonicalDnsName(value) : undefined;
      if (!name) subproblems.push({ type: problemType('rejectedIdentifier'), detail: `${identifier.value} is not a valid DNS name`, identifier });
      else if (!bindingAllows(binding, name)) subproblems.push({ type: problemType('rejectedIdentifier'), detail: `${name} is not among the names the RA allowed this account`, identifier });
      else if (!names.includes(name)) names.push(name);
    }
    if (subproblems.length > 0) {
      const kind = subproblems.every((s) => s.type === problemType('unsupportedIdentifier')) ? 'unsupportedIdentifier' : 'rejectedIdentifier';
      throw new AcmeProblem(subproblems.length === 1 ? kind : 'rejectedIdentifier', subproblems.map((s) => s.detail).join('; '), { subproblems });
    }
    const profileId = payload.profile === undefined ? binding.profiles[0]! : String(payload.profile);
    if (!binding.profiles.includes(profileId)) {
      throw new AcmeProblem('invalidProfile', `profile ${profileId.slice(0, 64)} is not one the RA allowed this account (${binding.profiles.join(', ')})`);
    }
    const replaces = payload.replaces === undefined ? null : await this.replacedSerial(account, payload.replaces);
    const now = this.clock();
    const since = new Date(now.getTime() - this.limits.windowSeconds * 1000).toISOString();
    const recent = await this.db.selectFrom('acme_orders').select((eb) => eb.fn.countAll<string>().as('n')).where('account_id', '=', account.id).where('created_at', '>', since).executeTakeFirstOrThrow();
    if (Number(recent.n) >= this.limits.ordersPerWindow) {
      throw new AcmeProblem('rateLimited', `at most ${this.limits.ordersPerWindow} new orders per account in ${this.limits.windowSeconds} seconds`, { retryAfterSeconds: Math.min(this.limits.windowSeconds, 3600) });
    }
    const pending = await this.db.selectFrom('acme_authorizations').select((eb) => eb.fn.countAll<string>().as('n')).where('account_id', '=', account.id).where('status', '=', 'pending').where('expires_at', '>', now.toISOString()).executeTakeFirstOrThrow();
    if (Number(pending.n) + names.length > this.limits.pendingAuthorizations) {
      throw new AcmeProblem('rateLimited', `at most ${this.limits.pendingAuthorizations} pending authorizations per account: finish or deactivate some first`, { retryAfterSeconds: 600 });
    }
    const expires = new Date(now.getTime() + 7 * DAY_MS).toISOString();
    const order: AcmeOrderTable = {
      id: randomBytes(12).toString('base64url'),
      account_id: account.id,
      status: 'pending',
      identifiers: JSON.stringify(names),
      profile_id: profileId,
      expires_at: expires,
      created_at: now.toISOString(),
      error: null,
      certificate_serial: null,
      replaces,
    };
    await this.db.transaction().execute(async (trx) => {
      // RFC 8555 §7.1.4: a name this account proved recently, whose authorization is still valid, is not proved again.
      const reused = new Map<string, AcmeAuthorizationTable>();
      if (this.reuse.days > 0) {
        for (const name of names) {
          let query = trx
            .selectFrom('acme_authorizations')
            .selectAll()
            .where('account_id', '=', account.id)
            .where('identifier', '=', name)
            .where('status', '=', 'valid')
            .where('expires_at', '>', now.toISOString())
            .orderBy('expires_at', 'desc')
            .limit(1);
          // Held until commit, so a deactivation cannot slip between this read and the copy (SQLite's transactions are IMMEDIATE).
          if (this.options.ca.store.dialect === 'postgres') query = query.forUpdate();
          const source = await query.executeTakeFirst();
          if (source) reused.set(name, source);
        }
      }
      if (reused.size === names.length) order.status = 'ready';
      // An order lives no longer than the proofs it stands on.
      for (const source of reused.values()) if (source.expires_at < order.expires_at) order.expires_at = source.expires_at;
      await trx.insertInto('acme_orders').values(order).execute();
      for (const name of names) {
        const source = reused.get(name);
        if (source) {
          await this.copyAuthorization(trx, source, order, account, now);
          continue;
        }
        const authz: AcmeAuthorizationTable = { id: randomBytes(12).toString('base64url'), order_id: order.id, account_id: account.id, identifier: name, status: 'pending', expires_at: expires };
        await trx.insertInto('acme_authorizations').values(authz).execute();
        // Every type this server validates; the client answers the one it can (RFC 8555 §7.1.4).
        // A wildcard is proven in the DNS only (RFC 8555 §7.1.3, §8.4).
        for (const type of name.startsWith('*.') ? (['dns-01'] as const) : CHALLENGE_TYPES) {
          await trx
            .insertInto('acme_challenges')
            .values({ id: randomBytes(12).toString('base64url'), authorization_id: authz.id, type, token: randomBytes(32).toString('base64url'), status: 'pending', validated_at: null, error: null })
            .execute();
        }
      }
    });
    return { status: 201, body: await this.orderBody(base, order), location: `${base}/acme/order/${order.id}` };
  }

  /** A reused authorization: a valid copy in the new order, with the challenge that proved it and when (audited). */
  private async copyAuthorization(trx: AcmeDb, source: AcmeAuthorizationTable, order: AcmeOrderTable, account: AcmeAccountTable, now: Date): Promise<void> {
    const id = randomBytes(12).toString('base64url');
    await trx.insertInto('acme_authorizations').values({ id, order_id: order.id, account_id: account.id, identifier: source.identifier, status: 'valid', expires_at: source.expires_at }).execute();
    const proofs = await trx.selectFrom('acme_challenges').selectAll().where('authorization_id', '=', source.id).where('status', '=', 'valid').execute();
    for (const proof of proofs) {
      await trx.insertInto('acme_challenges').values({ ...proof, id: randomBytes(12).toString('base64url'), authorization_id: id }).execute();
    }
    await this.audit(trx, `acme:account:${account.id}`, 'acme.identifier-reused', `subscriber:${account.subscriber_id}`, { identifier: source.identifier, order: order.id, from: source.id, validated: proofs[0]?.validated_at ?? null }, now);
  }

  private async ownOrder(account: AcmeAccountTable, id: string): Promise<AcmeOrderTable> {
    const order = await this.db.selectFrom('acme_orders').selectAll().where('id', '=', id).executeTakeFirst();
    if (!order || order.account_id !== account.id) throw new AcmeProblem('malformed', 'no such order for this account', { status: 404 });
    return order;
  }

  private async orderBody(base: string, order: AcmeOrderTable): Promise<Record<string, unknown>> {
    const authorizations = await this.db.selectFrom('acme_authorizations').select('id').where('order_id', '=', order.id).execute();
    const expired = order.expires_at <= this.clock().toISOString() && ['pending', 'ready'].includes(order.status);
    return {
      status: expired ? 'invalid' : order.status,
      expires: order.expires_at,
      identifiers: json<string[]>(order.identifiers).map((value) => ({ type: 'dns', value })),
      authorizations: authorizations.map((a) => `${base}/acme/authz/${a.id}`),
      finalize: `${base}/acme/order/${order.id}/finalize`,
      profile: order.profile_id,
      ...(order.replaces ? { replaces: order.replaces } : {}),
      ...(order.certificate_serial ? { certificate: `${base}/acme/cert/${order.certificate_serial}` } : {}),
      ...(order.error ? { error: json(order.error) } : {}),
    };
  }

  async order(auth: Authenticated, base: string, id: string): Promise<AcmeResponse> {
    const order = await this.ownOrder(this.requireAccount(auth), id);
    return { status: 200, body: await this.orderBody(base, order), location: `${base}/acme/order/${id}` };
  }

  // ── renewal information (ARI, RFC 9773) ───────────────────────────────

  /** The serial a certID (RFC 9773 §4.1: base64url(AKI keyIdentifier) "." base64url(serial)) names, checked against the certificate. */
  private async certificateOf(certId: string): Promise<{ serial: string; notBefore: Date; notAfter: Date }> {
    const [aki, serialPart, extra] = certId.split('.');
    if (!aki || !serialPart || extra !== undefined || !/^[A-Za-z0-9_-]+$/.test(aki) || !/^[A-Za-z0-9_-]+$/.test(serialPart)) throw malformed('not a certID: base64url(keyIdentifier).base64url(serial)');
    const serial = Buffer.from(serialPart, 'base64url').toString('hex').replace(/^(00)+(?=..)/, '');
    const stored = await this.options.ca.certificate(serial).catch(() => null);
    if (!stored) throw new AcmeProblem('malformed', 'no certificate with that serial', { status: 404 });
    const certificate = new x509.X509Certificate(stored.der);
    const ext = certificate.getExtension('2.5.29.35') as x509.AuthorityKeyIdentifierExtension | null;
    if (!ext?.keyId || Buffer.from(ext.keyId, 'hex').toString('base64url') !== aki) throw new AcmeProblem('malformed', 'the certID keyIdentifier is not the certificate\'s issuer', { status: 404 });
    return { serial, notBefore: certificate.notBefore, notAfter: certificate.notAfter };
  }

  /**
   * RFC 9773 §4.2: renew in the second half of the last third of the
   * lifetime; a revoked certificate is to be replaced now (a window in the past).
   */
  async renewalInfo(certId: string): Promise<AcmeResponse> {
    const { serial, notBefore, notAfter } = await this.certificateOf(certId);
    const lifetime = notAfter.getTime() - notBefore.getTime();
    let start = new Date(notAfter.getTime() - lifetime / 3);
    let end = new Date(notAfter.getTime() - lifetime / 6);
    if (await this.options.status.revocation(serial)) {
      const now = this.clock().getTime();
      start = new Date(now - 2 * DAY_MS);
      end = new Date(now - DAY_MS);
    }
    return { status: 200, body: { suggestedWindow: { start: start.toISOString(), end: end.toISOString() } }, retryAfter: 21_600 };
  }

  /** newOrder's `replaces` (RFC 9773 §5): a certificate this account ordered. */
  private async replacedSerial(account: AcmeAccountTable, replaces: unknown): Promise<string> {
    if (typeof replaces !== 'string') throw malformed('replaces must be a certID');
    const { serial } = await this.certificateOf(replaces);
    const order = await this.db.selectFrom('acme_orders').select('account_id').where('certificate_serial', '=', serial).executeTakeFirst();
    if (!order || order.account_id !== account.id) throw unauthorized('replaces names a certificate this account did not order');
    return serial;
  }

  // ── authorizations and challenges ─────────────────────────────────────

  private async ownAuthorization(account: AcmeAccountTable, id: string): Promise<AcmeAuthorizationTable> {
    const authz = await this.db.selectFrom('acme_authorizations').selectAll().where('id', '=', id).executeTakeFirst();
    if (!authz || authz.account_id !== account.id) throw new AcmeProblem('malformed', 'no such authorization for this account', { status: 404 });
    return authz;
  }

  private challengeBody(base: string, c: AcmeChallengeTable): Record<string, unknown> {
    return {
      type: c.type,
      url: `${base}/acme/chall/${c.id}`,
      status: c.status,
      token: c.token,
      ...(c.validated_at ? { validated: c.validated_at } : {}),
      ...(c.error ? { error: json(c.error) } : {}),
    };
  }

  private async authorizationBody(base: string, authz: AcmeAuthorizationTable): Promise<Record<string, unknown>> {
    const challenges = await this.db.selectFrom('acme_challenges').selectAll().where('authorization_id', '=', authz.id).orderBy('type').execute();
    const expired = authz.expires_at <= this.clock().toISOString() && ['pending', 'valid'].includes(authz.status);
    const wildcard = authz.identifier.startsWith('*.');
    return {
      identifier: { type: 'dns', value: wildcard ? authz.identifier.slice(2) : authz.identifier },
      ...(wildcard ? { wildcard: true } : {}),
      status: expired ? 'expired' : authz.status,
      expires: authz.expires_at,
      challenges: challenges.map((c) => this.challengeBody(base, c)),
    };
  }

  async authorization(auth: Authenticated, base: string, id: string): Promise<AcmeResponse> {
    const account = this.requireAccount(auth);
    const authz = await this.ownAuthorization(account, id);
    if (auth.payload !== null) {
      const payload = objectPayload(auth.payload);
      if (payload.status !== 'deactivated') throw malformed('an authorization can only be changed to status deactivated');
      if (!['pending', 'valid'].includes(authz.status)) throw malformed(`an authorization that is ${authz.status} cannot be deactivated`);
      await this.db.transaction().execute(async (trx) => {
        await trx.updateTable('acme_authorizations').set({ status: 'deactivated' }).where('id', '=', id).execute();
        // Giving up a proved name gives up every valid proof of it on this account, so no later order reuses one (§7.1.4, §7.5.2).
        if (authz.status === 'valid') {
          const proofs = trx.selectFrom('acme_authorizations').select('id').where('account_id', '=', account.id).where('identifier', '=', authz.identifier).where('status', '=', 'valid');
          // PostgreSQL: lock them first, which waits for an order copying one of them to commit; the UPDATE, a later
          // statement, then sees that copy too (read committed). SQLite's transactions are IMMEDIATE, one at a time.
          if (this.options.ca.store.dialect === 'postgres') await proofs.forUpdate().execute();
          await trx.updateTable('acme_authorizations').set({ status: 'deactivated' }).where('account_id', '=', account.id).where('identifier', '=', authz.identifier).where('status', '=', 'valid').execute();
        }
      });
      authz.status = 'deactivated';
    }
    return { status: 200, body: await this.authorizationBody(base, authz), location: `${base}/acme/authz/${id}` };
  }

  /** RFC 8555 §7.5.1: `{}` asks the server to validate; the answer is the challenge as it then stands. */
  async challenge(auth: Authenticated, base: string, id: string): Promise<AcmeResponse> {
    const account = this.requireAccount(auth);
    const challenge = await this.db.selectFrom('acme_challenges').selectAll().where('id', '=', id).executeTakeFirst();
    if (!challenge) throw new AcmeProblem('malformed', 'no such challenge', { status: 404 });
    const authz = await this.ownAuthorization(account, challenge.authorization_id);
    const up = `<${base}/acme/authz/${authz.id}>;rel="up"`;
    if (auth.payload === null) return { status: 200, body: this.challengeBody(base, challenge), links: [up] };
    const payload = objectPayload(auth.payload);
    if (Object.keys(payload).length > 0) throw malformed('a challenge response is the empty object {}');
    if (authz.status !== 'pending' || authz.expires_at <= this.clock().toISOString()) throw malformed(`the authorization is ${authz.status === 'pending' ? 'expired' : authz.status}`);
    await this.bindingOf(account);
    // Whoever moves it out of pending validates it; a repeated POST just reads the outcome.
    const claimed = await this.db.updateTable('acme_challenges').set({ status: 'processing' }).where('id', '=', id).where('status', '=', 'pending').executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 1) await this.validate(account, authz, challenge);
    const now = await this.db.selectFrom('acme_challenges').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return { status: 200, body: this.challengeBody(base, now), links: [up] };
  }

  private async validate(account: AcmeAccountTable, authz: AcmeAuthorizationTable, challenge: AcmeChallengeTable): Promise<void> {
    const keyAuthorization = `${challenge.token}.${account.thumbprint}`;
    let problem: AcmeProblem | null = null;
    try {
      const domain = authz.identifier.replace(/^\*\./, '');
      if (challenge.type === 'dns-01') await validateDns01(domain, keyAuthorization, this.network.dnsResolver, this.network.timeoutMs);
      else if (challenge.type === 'tls-alpn-01') await validateTlsAlpn01(domain, keyAuthorization, this.network);
      else await validateHttp01(domain, challenge.token, keyAuthorization, this.network);
    } catch (error) {
      problem = error instanceof AcmeProblem ? error : new AcmeProblem('connection', `validation failed: ${(error as Error).message}`);
    }
    const now = this.clock();
    await this.db.transaction().execute(async (trx) => {
      // The order's row first: two authorizations of one order validated at once (acme-client answers them in
      // parallel) would otherwise each see the other still pending under PostgreSQL's read committed, and the
      // order would stay pending for ever. A no-op UPDATE locks the row there and takes SQLite's write lock.
      await trx.updateTable('acme_orders').set({ id: authz.order_id }).where('id', '=', authz.order_id).execute();
      if (problem) {
        const document = JSON.stringify({ ...problem.document(), status: undefined });
        await trx.updateTable('acme_challenges').set({ status: 'invalid', error: document }).where('id', '=', challenge.id).execute();
        await trx.updateTable('acme_authorizations').set({ status: 'invalid' }).where('id', '=', authz.id).where('status', '=', 'pending').execute();
        await trx.updateTable('acme_orders').set({ status: 'invalid', error: document }).where('id', '=', authz.order_id).where('status', '=', 'pending').execute();
        return;
      }
      await trx.updateTable('acme_challenges').set({ status: 'valid', validated_at: now.toISOString() }).where('id', '=', challenge.id).execute();
      // With reuse on, the proof is valid for the reuse period from now (RFC 8555 §7.1.4), and its order no longer.
      const until = this.reuse.days > 0 ? new Date(now.getTime() + this.reuse.days * DAY_MS).toISOString() : undefined;
      await trx.updateTable('acme_authorizations').set({ status: 'valid', ...(until ? { expires_at: until } : {}) }).where('id', '=', authz.id).where('status', '=', 'pending').execute();
      if (until) await trx.updateTable('acme_orders').set({ expires_at: until }).where('id', '=', authz.order_id).where('expires_at', '>', until).execute();
      const open = await trx.selectFrom('acme_authorizations').select('id').where('order_id', '=', authz.order_id).where('status', '!=', 'valid').executeTakeFirst();
      if (!open) await trx.updateTable('acme_orders').set({ status: 'ready' }).where('id', '=', authz.order_id).where('status', '=', 'pending').execute();
      await this.audit(trx, `acme:account:${account.id}`, 'acme.identifier-validated', `subscriber:${account.subscriber_id}`, { identifier: authz.identifier, challenge: challenge.type, order: authz.order_id }, now);
    });
  }

  // ── finalize and certificates ─────────────────────────────────────────

  /** RFC 8555 §7.4: the CSR must name exactly the order's identifiers; the CA's issuance cycle does the rest. */
  async finalize(auth: Authenticated, base: string, id: string): Promise<AcmeResponse> {
    const account = this.requireAccount(auth);
    const order = await this.ownOrder(account, id);
    const payload = objectPayload(auth.payload);
    if (order.status !== 'ready' || order.expires_at <= this.clock().toISOString()) {
      throw new AcmeProblem('orderNotReady', `the order is ${order.status}; it must be ready (every authorization valid) to finalize`);
    }
    const binding = await this.bindingOf(account);
    const names = json<string[]>(order.identifiers);
    const csr = csrNames(payload.csr);
    const wanted = [...names].sort().join(',');
    if ([...csr.dns].sort().join(',') !== wanted) throw new AcmeProblem('badCSR', `the CSR names ${[...csr.dns].sort().join(', ') || 'no DNS names'}; the order is for ${names.join(', ')}`);
    if (csr.commonName !== undefined && !names.includes(csr.commonName.toLowerCase())) throw new AcmeProblem('badCSR', 'the CSR common name is not one of the order\'s identifiers');
    const claimed = await this.db.updateTable('acme_orders').set({ status: 'processing' }).where('id', '=', id).where('status', '=', 'ready').executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) throw new AcmeProblem('orderNotReady', 'the order is being finalized already');
    let serial: string;
    try {
      const issued = await this.options.ca.issue({
        csr: csr.der,
        profileId: order.profile_id,
        subject: { commonName: csr.commonName?.toLowerCase() ?? names[0]! },
        subjectAltNames: { dns: names },
        subscriberId: account.subscriber_id,
        validityDays: Math.min(binding.validityDays, this.options.ca.profiles.get(order.profile_id).validityDays),
        requestedBy: `acme:account:${account.id}`,
        reason: `ACME order ${order.id} (external account binding ${binding.keyId})`,
      });
      serial = issued.serial;
    } catch (error) {
      // Nothing was signed: the order goes back to ready, so a corrected CSR may follow.
      await this.db.updateTable('acme_orders').set({ status: 'ready' }).where('id', '=', id).where('status', '=', 'processing').execute();
      if (error instanceof SignetError && error.status < 500) throw new AcmeProblem('badCSR', error.messageIn('en'));
      throw error;
    }
    await this.db.updateTable('acme_orders').set({ status: 'valid', certificate_serial: serial }).where('id', '=', id).execute();
    const done = { ...order, status: 'valid' as const, certificate_serial: serial };
    return { status: 200, body: await this.orderBody(base, done), location: `${base}/acme/order/${id}` };
  }

  /** RFC 8555 §7.4.2: the certificate and the issuing CA above it, PEM. */
  async certificate(auth: Authenticated, serial: string): Promise<AcmeResponse> {
    const account = this.requireAccount(auth);
    const order = await this.db.selectFrom('acme_orders').select('account_id').where('certificate_serial', '=', serial).executeTakeFirst();
    if (!order || order.account_id !== account.id) throw new AcmeProblem('malformed', 'no such certificate for this account', { status: 404 });
    const leaf = await this.options.ca.certificate(serial);
    const chain = [leaf.der];
    let issuer = await this.options.ca.authority(leaf.issuer_ca_id);
    // Up to, not including, the root: relying parties have the root already.
    while (issuer.role !== 'root') {
      chain.push(issuer.certificateDer);
      if (!issuer.parentId) break;
      issuer = await this.options.ca.authority(issuer.parentId);
    }
    const pem = chain.map((der) => `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`).join('');
    return { status: 200, body: pem, contentType: 'application/pem-certificate-chain' };
  }

  /** RFC 8555 §7.6: by the account that ordered it, or by the certificate's own key (jwk). */
  async revoke(auth: Authenticated): Promise<AcmeResponse> {
    const payload = objectPayload(auth.payload);
    const der = Buffer.from(typeof payload.certificate === 'string' && /^[A-Za-z0-9_-]+$/.test(payload.certificate) ? payload.certificate : '', 'base64url');
    let parsed: x509.X509Certificate;
    try {
      parsed = new x509.X509Certificate(der);
    } catch {
      throw malformed('certificate is not a base64url DER certificate');
    }
    const serial = parsed.serialNumber.toLowerCase().replace(/^(00)+(?=..)/, '');
    const stored = await this.options.ca.certificate(serial).catch(() => null);
    if (!stored || !Buffer.from(stored.der).equals(der)) throw new AcmeProblem('malformed', 'this server did not issue that certificate', { status: 404 });
    const reasonCode = payload.reason === undefined ? 0 : payload.reason;
    const reason = typeof reasonCode === 'number' ? REVOCATION_REASONS[reasonCode] : undefined;
    if (!reason) throw new AcmeProblem('badRevocationReason', `reason ${String(reasonCode).slice(0, 16)} is not accepted (0, 1, 3, 4, 5)`);
    let requestedBy: string;
    if (auth.account) {
      const order = await this.db.selectFrom('acme_orders').select('account_id').where('certificate_serial', '=', serial).executeTakeFirst();
      if (!order || order.account_id !== auth.account.id) throw unauthorized('this account did not order that certificate');
      requestedBy = `acme:account:${auth.account.id}`;
    } else {
      // Both keys re-exported by node:crypto, so two spellings of one key compare equal.
      const certificateKey = createPublicKey({ key: Buffer.from(parsed.publicKey.rawData), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'der' });
      if (!auth.key.key.export({ type: 'spki', format: 'der' }).equals(certificateKey)) {
        throw unauthorized('the JWS key is not the certificate\'s key');
      }
      requestedBy = `acme:certificate-key:${auth.key.thumbprint}`;
    }
    if (await this.options.status.revocation(serial)) throw new AcmeProblem('alreadyRevoked', 'the certificate is revoked already');
    try {
      await this.options.status.revokeCertificate({ serial, reason, channel: 'subscriber', requestedBy });
    } catch (error) {
      if (error instanceof SignetError && error.code === 'revocation.already-revoked') throw new AcmeProblem('alreadyRevoked', 'the certificate is revoked already');
      throw error;
    }
    return { status: 200, body: null };
  }
}

function objectPayload(payload: unknown): Record<string, unknown> {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw malformed('the payload must be a JSON object');
  return payload as Record<string, unknown>;
}

function contactsOf(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > 10) throw new AcmeProblem('invalidContact', 'contact must be a list of at most 10 mailto: URLs');
  return value.map((c) => {
    if (typeof c !== 'string' || !c.startsWith('mailto:')) throw new AcmeProblem('unsupportedContact', 'only mailto: contacts are supported');
    if (!/^mailto:[^@\s,?]+@[^@\s,?]+\.[^@\s,?]+$/.test(c)) throw new AcmeProblem('invalidContact', `${c.slice(0, 100)} is not a single e-mail address`);
    return c;
  });
}

/** The DNS names and common name a CSR asks for (RFC 8555 §7.4: it must ask for the order's identifiers). */
function csrNames(value: unknown): { der: Buffer; dns: Set<string>; commonName?: string } {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]+$/.test(value)) throw new AcmeProblem('badCSR', 'csr must be a base64url DER PKCS#10 request');
  const der = Buffer.from(value, 'base64url');
  let request: x509.Pkcs10CertificateRequest;
  try {
    request = new x509.Pkcs10CertificateRequest(der);
  } catch (error) {
    throw new AcmeProblem('badCSR', `the CSR does not parse: ${(error as Error).message}`);
  }
  const dns = new Set<string>();
  const san = request.getExtension('2.5.29.17') as x509.SubjectAlternativeNameExtension | null;
  for (const name of san?.names.items ?? []) {
    if (name.type !== 'dns') throw new AcmeProblem('badCSR', `the CSR asks for a ${name.type} name; only DNS names can be ordered`);
    dns.add(name.value.toLowerCase());
  }
  const commonName = request.subjectName.getField('CN')[0];
  if (commonName && dns.size === 0) dns.add(commonName.toLowerCase());
  return { der, dns, commonName };
}
