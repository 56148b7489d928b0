import { randomUUID } from 'node:crypto';
import { SignetError } from '../i18n/signet-error.js';
import { AttemptCounter } from './attempts.js';
import { audit, type RaContext } from './context.js';
import { actorOf, RA_SCOPED_ROLES, requireRole, ROLES, type Principal, type Role } from './roles.js';
import { decoyHash, hashSecret, newToken, sha256Hex, verifySecret } from './secrets.js';
import type { RaOperatorTable } from './schema.js';

export interface Operator {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  raId: string | null;
  status: 'active' | 'disabled';
  locked: boolean;
  createdAt: string;
}

export interface NewOperator {
  username: string;
  displayName?: string;
  role: string;
  raId?: string | null;
  password: string;
}

/** A session as the browser holds it: the cookie value and the CSRF token, both shown once. */
export interface OpenedSession {
  sessionToken: string;
  csrfToken: string;
  expiresAt: string;
  operator: Operator;
}

const PASSWORD_MIN = 12;

/**
 * Operators and how they prove who they are: passwords (scrypt), sessions
 * with a CSRF token, API tokens for automation, and lockout after repeated
 * failures. Only hashes are stored; every secret is shown once.
 */
export class OperatorDirectory {
  private readonly attempts: AttemptCounter;

  constructor(private readonly context: RaContext) {
    this.attempts = new AttemptCounter(context.db, context.clock);
  }

  async create(by: Principal, input: NewOperator): Promise<Operator> {
    requireRole(by, ['ca-admin', 'ra-admin']);
    const username = input.username?.trim().toLowerCase() ?? '';
    if (!/^[a-z0-9][a-z0-9._-]{2,63}$/.test(username)) throw new SignetError('ra.bad-username', 400, {}, 'username');
    const { role, raId } = await this.grantable(by, input.role, input.raId ?? null);
    if (typeof input.password !== 'string' || [...input.password].length < PASSWORD_MIN) {
      throw new SignetError('ra.weak-password', 400, { min: PASSWORD_MIN }, 'password');
    }
    const now = this.context.clock();
    const row: RaOperatorTable = {
      id: randomUUID(),
      username,
      display_name: input.displayName?.trim() || username,
      role,
      ra_id: raId,
      password_hash: await hashSecret(input.password),
      failed_logins: 0,
      locked_until: null,
      status: 'active',
      created_at: now.toISOString(),
      created_by: actorOf(by),
    };
    await this.context.db.transaction().execute(async (trx) => {
      const taken = await trx.selectFrom('ra_operators').select('id').where('username', '=', username).executeTakeFirst();
      if (taken) throw new SignetError('ra.username-taken', 409, { username }, 'username');
      await trx.insertInto('ra_operators').values(row).execute();
      await audit(this.context, trx, { actor: actorOf(by), action: 'ra.operator-created', target: `operator:${row.id}`, details: { username, role, ra: raId } }, now);
    });
    return this.toOperator(row);
  }

  async list(by: Principal): Promise<Operator[]> {
    requireRole(by, ['ca-admin', 'ra-admin', 'auditor']);
    let query = this.context.db.selectFrom('ra_operators').selectAll().orderBy('created_at');
    if (by.raId !== null) query = query.where('ra_id', '=', by.raId);
    return (await query.execute()).map((row) => this.toOperator(row));
  }

  /** Lifts a lockout before it expires (an administrator vouches for the person). */
  async unlock(by: Principal, operatorId: string): Promise<Operator> {
    requireRole(by, ['ca-admin', 'ra-admin']);
    const now = this.context.clock();
    const unlocked = await this.context.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('ra_operators').selectAll().where('id', '=', operatorId).executeTakeFirst();
      if (!row) throw new SignetError('ra.unknown-operator', 404, { operator: operatorId }, 'operatorId');
      if (by.raId !== null && row.ra_id !== by.raId) throw new SignetError('ra.other-ra', 403, { ra: row.ra_id ?? '-' });
      await trx.updateTable('ra_operators').set({ failed_logins: 0, locked_until: null }).where('id', '=', operatorId).execute();
      await audit(this.context, trx, { actor: actorOf(by), action: 'ra.operator-unlocked', target: `operator:${operatorId}`, details: {} }, now);
      return this.toOperator({ ...row, failed_logins: 0, locked_until: null });
    });
    // Outside the transaction: SQLite has one connection, and the transaction holds it.
    await this.attempts.clear(`login:${unlocked.username}`);
    await this.attempts.clearPrefix(`login:${unlocked.username}@`);
    return unlocked;
  }

  /**
   * Disables or re-enables an account. A disabled account's sessions and API
   * tokens stop working at once (every request re-reads the account, see
   * principalFor); nobody disables their own account, so a deployment is
   * never left without the administrator who could undo it.
   */
  async setStatus(by: Principal, operatorId: string, status: 'active' | 'disabled', reason?: string): Promise<Operator> {
    return this.change(by, operatorId, 'ra.operator-' + (status === 'active' ? 'enabled' : 'disabled'), { reason: reason?.trim() || null }, (row) => {
      if (by.operatorId === row.id) throw new SignetError('ra.operator-self', 409, {}, 'operatorId');
      if (row.status === status) throw new SignetError(status === 'active' ? 'ra.operator-already-active' : 'ra.operator-already-disabled', 409, { username: row.username });
      return { status };
    });
  }

  /**
   * Gives an account another role (and RA): the same rules as creating one,
   * so an RA administrator moves people only inside their RA and never makes
   * a CA administrator. Takes effect on the account's next request.
   */
  async changeRole(by: Principal, operatorId: string, input: { role: string; raId?: string | null }): Promise<Operator> {
    const { role, raId } = await this.grantable(by, input.role, input.raId ?? null);
    return this.change(by, operatorId, 'ra.operator-role-changed', { role, ra: raId }, (row) => {
      if (by.operatorId === row.id) throw new SignetError('ra.operator-self', 409, {}, 'operatorId');
      if (row.role === role && row.ra_id === raId) throw new SignetError('ra.operator-role-unchanged', 409, { username: row.username, role });
      return { role, ra_id: raId };
    });
  }

  /** Sets a new password (the person forgot theirs) and lifts any lockout; the audit log records that it happened, never the password. */
  async resetPassword(by: Principal, operatorId: string, password: string): Promise<Operator> {
    if (typeof password !== 'string' || [...password].length < PASSWORD_MIN) throw new SignetError('ra.weak-password', 400, { min: PASSWORD_MIN }, 'password');
    const hash = await hashSecret(password);
    const changed = await this.change(by, operatorId, 'ra.operator-password-reset', {}, () => ({ password_hash: hash, failed_logins: 0, locked_until: null }));
    await this.attempts.clear(`login:${changed.username}`);
    await this.attempts.clearPrefix(`login:${changed.username}@`);
    return changed;
  }

  /** One administrative change to an account, checked, written and audited in one transaction. */
  private async change(
    by: Principal,
    operatorId: string,
    action: string,
    details: Record<string, unknown>,
    update: (row: RaOperatorTable) => Partial<RaOperatorTable>,
  ): Promise<Operator> {
    requireRole(by, ['ca-admin', 'ra-admin']);
    const now = this.context.clock();
    return this.context.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('ra_operators').selectAll().where('id', '=', operatorId).executeTakeFirst();
      if (!row) throw new SignetError('ra.unknown-operator', 404, { operator: operatorId }, 'operatorId');
      if (by.raId !== null && row.ra_id !== by.raId) throw new SignetError('ra.other-ra', 403, { ra: row.ra_id ?? '-' });
      // An RA administrator never touches a CA administrator's account.
      if (by.role !== 'ca-admin' && row.role === 'ca-admin') throw new SignetError('ra.role-not-grantable', 403, { role: row.role });
      const values = update(row);
      await trx.updateTable('ra_operators').set(values).where('id', '=', operatorId).execute();
      await audit(this.context, trx, { actor: actorOf(by), action, target: `operator:${operatorId}`, details: { username: row.username, ...details } }, now);
      return this.toOperator({ ...row, ...values });
    });
  }

  /** Which role and RA `by` may give an account (shared by create and changeRole). */
  private async grantable(by: Principal, roleInput: string, raInput: string | null): Promise<{ role: Role; raId: string | null }> {
    requireRole(by, ['ca-admin', 'ra-admin']);
    if (!(ROLES as readonly string[]).includes(roleInput)) {
      throw new SignetError('ra.unknown-role', 400, { role: roleInput, known: ROLES.join(', ') }, 'role');
    }
    const role = roleInput as Role;
    let raId = raInput;
    if (by.role === 'ra-admin') {
      // An RA administrator staffs only their own RA, and cannot create CA administrators.
      if (role === 'ca-admin') throw new SignetError('ra.role-not-grantable', 403, { role });
      if (raId !== null && raId !== by.raId) throw new SignetError('ra.other-ra', 403, { ra: raId });
      raId = by.raId;
    }
    if (role === 'ca-admin' && raId !== null) throw new SignetError('ra.ca-admin-not-scoped', 400, {}, 'raId');
    if (RA_SCOPED_ROLES.includes(role) && raId === null) throw new SignetError('ra.ra-required', 400, { role }, 'raId');
    if (raId !== null) {
      const ra = await this.context.db.selectFrom('ra_organisations').select(['status']).where('id', '=', raId).executeTakeFirst();
      if (!ra) throw new SignetError('ra.unknown-ra', 404, { ra: raId }, 'raId');
      if (ra.status !== 'active') throw new SignetError('ra.closed', 409, { ra: raId }, 'raId');
    }
    return { role, raId };
  }

  /**
   * Password login. Every attempt is counted before the password is
   * evaluated (attempts.ts), in two counts that forget after
   * loginLockMinutes:
   * - per username and source address: loginMaxFailures attempts, then that
   *   source is throttled for that name;
   * - per username from sources it never logged in from: loginAccountMaxFailures
   *   (many more), against guessing spread over many addresses.
   * A stranger therefore cannot lock an operator out: the operator's own
   * known-good address (one they logged in from before) is exempt from the
   * account-wide count and has its own per-source count. Unknown usernames
   * are counted the same way, answered the same way and cost the same
   * (one scrypt), so neither the answer nor its timing says which accounts
   * exist. An administrator's unlock clears both counts.
   */
  /** Forgets login counts whose window has passed and cleared counts (run by the service round). */
  async pruneAttempts(): Promise<number> {
    return this.attempts.prune('login:', this.context.settings.loginLockMinutes * 60_000);
  }

  async login(usernameInput: unknown, passwordInput: unknown, clientAddress: string | null): Promise<OpenedSession> {
    const { db, settings } = this.context;
    const username = typeof usernameInput === 'string' ? usernameInput.trim().toLowerCase().slice(0, 64) : '';
    const password = typeof passwordInput === 'string' ? passwordInput : '';
    const source = clientAddress ?? 'unknown';
    const now = this.context.clock();
    const windowMs = settings.loginLockMinutes * 60_000;
    const throttled = () => new SignetError('ra.login-throttled', 429, { minutes: settings.loginLockMinutes });
    const row = await db.selectFrom('ra_operators').selectAll().where('username', '=', username).executeTakeFirst();
    const bySource = await this.attempts.take(`login:${username}@${source}`, { limit: settings.loginMaxFailures, windowMs });
    const knownGood =
      row !== undefined &&
      (await db.selectFrom('ra_sessions').select('operator_id').where('operator_id', '=', row.id).where('client_address', '=', source).limit(1).executeTakeFirst()) !== undefined;
    const byAccount = bySource && !knownGood ? await this.attempts.take(`login:${username}`, { limit: settings.loginAccountMaxFailures, windowMs }) : null;
    if (!bySource || (!knownGood && !byAccount)) {
      await verifySecret(password, await decoyHash());
      throw throttled();
    }
    if (!row || !(await verifySecret(password, row.password_hash))) {
      if (!row) {
        // The same scrypt a known name costs; nothing is recorded for a name nobody has.
        await verifySecret(password, await decoyHash());
        throw new SignetError('ra.login-failed', 401);
      }
      const accountLocked = byAccount?.last === true;
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('ra_operators')
          .set({
            failed_logins: Math.max(row.failed_logins, bySource.attempt),
            ...(accountLocked ? { locked_until: new Date(now.getTime() + windowMs).toISOString() } : {}),
          })
          .where('id', '=', row.id)
          .execute();
        await audit(
          this.context,
          trx,
          {
            actor: `login:${username}`,
            action: accountLocked ? 'ra.operator-locked' : 'ra.login-failed',
            target: `operator:${row.id}`,
            details: { failures: bySource.attempt, accountFailures: byAccount?.attempt ?? null, knownSource: knownGood, clientAddress },
          },
          now,
        );
      });
      throw new SignetError('ra.login-failed', 401);
    }
    await this.attempts.clear(`login:${username}@${source}`);
    await this.requireUsable(row);
    const sessionToken = newToken('sgs');
    const csrfToken = newToken('sgc');
    const expiresAt = new Date(now.getTime() + settings.sessionHours * 3_600_000).toISOString();
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('ra_operators').set({ failed_logins: 0, locked_until: null }).where('id', '=', row.id).execute();
      await trx
        .insertInto('ra_sessions')
        .values({
          token_sha256: sha256Hex(sessionToken),
          operator_id: row.id,
          csrf_sha256: sha256Hex(csrfToken),
          created_at: now.toISOString(),
          expires_at: expiresAt,
          ended_at: null,
          client_address: clientAddress,
        })
        .execute();
      await audit(this.context, trx, { actor: `operator:${row.username}`, action: 'ra.login', target: `operator:${row.id}`, details: { clientAddress } }, now);
    });
    return { sessionToken, csrfToken, expiresAt, operator: this.toOperator(row) };
  }

  /** The principal behind a session cookie; `csrfToken` is checked for requests that change state. */
  async sessionPrincipal(sessionToken: string, csrfToken: string | null): Promise<Principal> {
    const now = this.context.clock().toISOString();
    const session = await this.context.db
      .selectFrom('ra_sessions')
      .selectAll()
      .where('token_sha256', '=', sha256Hex(sessionToken))
      .executeTakeFirst();
    if (!session || session.ended_at !== null || session.expires_at <= now) throw new SignetError('ra.session-expired', 401);
    if (csrfToken !== null && sha256Hex(csrfToken) !== session.csrf_sha256) throw new SignetError('ra.csrf-mismatch', 403);
    return this.principalFor(session.operator_id, 'session');
  }

  /** Whether the session's CSRF token is the given one (the edge decides when it is required). */
  async logout(sessionToken: string): Promise<void> {
    const now = this.context.clock();
    await this.context.db.transaction().execute(async (trx) => {
      const session = await trx.selectFrom('ra_sessions').selectAll().where('token_sha256', '=', sha256Hex(sessionToken)).executeTakeFirst();
      if (!session || session.ended_at !== null) return;
      await trx.updateTable('ra_sessions').set({ ended_at: now.toISOString() }).where('token_sha256', '=', session.token_sha256).execute();
      await audit(this.context, trx, { actor: `operator:${session.operator_id}`, action: 'ra.logout', target: `operator:${session.operator_id}`, details: {} }, now);
    });
  }

  /** An API token for automation, bound to an operator account and its role; shown once. */
  async createApiToken(by: Principal, input: { label: string; expiresInDays?: number; operatorId?: string }): Promise<{ id: string; token: string; expiresAt: string | null }> {
    let operatorId = by.operatorId;
    if (input.operatorId && input.operatorId !== by.operatorId) {
      // Only a CA administrator (or the local CLI) mints tokens for someone else.
      requireRole(by, ['ca-admin']);
      operatorId = input.operatorId;
    }
    if (!operatorId) throw new SignetError('ra.token-needs-operator', 400, {}, 'operatorId');
    const label = input.label?.trim() ?? '';
    if (!label || label.length > 100) throw new SignetError('ra.bad-token-label', 400, {}, 'label');
    if (input.expiresInDays !== undefined && (!Number.isInteger(input.expiresInDays) || input.expiresInDays < 1 || input.expiresInDays > 730)) {
      throw new SignetError('ra.bad-token-expiry', 400, {}, 'expiresInDays');
    }
    const row = await this.context.db.selectFrom('ra_operators').selectAll().where('id', '=', operatorId).executeTakeFirst();
    if (!row) throw new SignetError('ra.unknown-operator', 404, { operator: operatorId }, 'operatorId');
    const now = this.context.clock();
    const token = newToken('sgt');
    const id = randomUUID();
    const expiresAt = input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * 86_400_000).toISOString() : null;
    await this.context.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('ra_api_tokens')
        .values({ id, token_sha256: sha256Hex(token), operator_id: operatorId, label, created_at: now.toISOString(), expires_at: expiresAt, revoked_at: null })
        .execute();
      await audit(this.context, trx, { actor: actorOf(by), action: 'ra.api-token-created', target: `operator:${operatorId}`, details: { tokenId: id, label, expiresAt } }, now);
    });
    return { id, token, expiresAt };
  }

  async apiTokenPrincipal(token: string): Promise<Principal> {
    const now = this.context.clock().toISOString();
    const row = await this.context.db.selectFrom('ra_api_tokens').selectAll().where('token_sha256', '=', sha256Hex(token)).executeTakeFirst();
    if (!row || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) {
      throw new SignetError('auth.required', 401);
    }
    return this.principalFor(row.operator_id, 'api-token');
  }

  async findByUsername(username: string): Promise<Operator> {
    const row = await this.context.db.selectFrom('ra_operators').selectAll().where('username', '=', username.trim().toLowerCase()).executeTakeFirst();
    if (!row) throw new SignetError('ra.unknown-operator', 404, { operator: username }, 'username');
    return this.toOperator(row);
  }

  private async principalFor(operatorId: string, via: Principal['via']): Promise<Principal> {
    const row = await this.context.db.selectFrom('ra_operators').selectAll().where('id', '=', operatorId).executeTakeFirst();
    if (!row) throw new SignetError('auth.required', 401);
    await this.requireUsable(row);
    return { operatorId: row.id, username: row.username, role: row.role, raId: row.ra_id, via };
  }

  /** A disabled account, or one whose RA was merged or withdrawn, acts no more (R18). */
  private async requireUsable(row: RaOperatorTable): Promise<void> {
    if (row.status !== 'active') throw new SignetError('ra.operator-disabled', 403);
    if (row.ra_id !== null) {
      const ra = await this.context.db.selectFrom('ra_organisations').select('status').where('id', '=', row.ra_id).executeTakeFirst();
      if (ra?.status !== 'active') throw new SignetError('ra.operator-ra-closed', 403, { ra: row.ra_id });
    }
  }

  private toOperator(row: RaOperatorTable): Operator {
    const now = this.context.clock().toISOString();
    return {
      id: row.id,
      username: row.username,
      displayName: row.display_name,
      role: row.role,
      raId: row.ra_id,
      status: row.status,
      locked: row.locked_until !== null && row.locked_until > now,
      createdAt: row.created_at,
    };
  }
}
