import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Signer } from '../crypto/signer.js';
import { DEFAULT_SM2_ID } from '../crypto/sm2-key.js';
import { Sm2PreparedPoints, type Sm2KeyDirectory, type Sm2Point } from '../crypto/sm2-verifier.js';
import { SignetError } from '../i18n/signet-error.js';
import type { SignetDatabase } from '../store/database.js';
import type { Database } from '../store/schema.js';

/**
 * One row per SM2 key this deployment made or opened: the distinguishing ID
 * beside the key's SubjectPublicKeyInfo. The sealed PKCS#8 carries the same ID
 * (sm2-key.ts), but only a process that can unseal the key could read it there;
 * this row is what lets every other process (a second node, a CLI command, an
 * evidence check of a predecessor CA) verify the key's signatures.
 */
export interface Sm2KeyIdentityTable {
  /** Hex SHA-256 of public_key_info. */
  spki_sha256: string;
  public_key_info: Buffer;
  distinguishing_id: string;
  recorded_at: string;
}

type Sm2Db = Kysely<Database & { sm2_key_identities: Sm2KeyIdentityTable }>;

function fingerprint(spkiDer: Uint8Array): string {
  return createHash('sha256').update(spkiDer).digest('hex');
}

/**
 * The SM2 distinguishing IDs of our keys, for every verifier in the process:
 * one object, owned by the composition root (openSignet), passed to the CA
 * and through it to the status, evidence and audit checks. It answers from
 * memory, since verification is synchronous; `upToDate()` first reads what
 * other processes recorded. A key's ID never changes, so nothing it holds goes
 * stale: a key it does not know is checked with the default ID (failing
 * closed if that is wrong), never accepted by guess.
 */
export class Sm2Identities implements Sm2KeyDirectory {
  private readonly ids = new Map<string, string>();
  /** Keys this process signs with: their checks after each signature get prepared points. */
  private readonly own = new Set<string>();
  private readonly points = new Sm2PreparedPoints();
  private readonly db: Sm2Db;

  constructor(store: SignetDatabase, private readonly clock: () => Date = () => new Date()) {
    this.db = store.db as unknown as Sm2Db;
  }

  distinguishingIdOf(spkiDer: Uint8Array): string | undefined {
    return this.ids.get(fingerprint(spkiDer));
  }

  preparedPoint(spkiDer: Uint8Array, pointHex: string): Sm2Point | undefined {
    const key = fingerprint(spkiDer);
    return this.own.has(key) ? this.points.pointFor(key, pointHex) : undefined;
  }

  /**
   * An SM2 key made or unsealed here: its ID is written beside its public key
   * before the key signs anything (for a key made before this table existed,
   * the first time a process unseals it). Other keys are ignored. A row that
   * names another ID than the sealed key is refused: signatures every other
   * process would reject must not be made.
   */
  async record(signer: Pick<Signer, 'keyAlgorithm' | 'publicKeyInfo' | 'distinguishingId'>): Promise<void> {
    if (signer.keyAlgorithm !== 'sm2' || signer.distinguishingId === undefined) return;
    const key = fingerprint(signer.publicKeyInfo);
    const id = signer.distinguishingId;
    if (this.ids.get(key) !== id) {
      const stored = await this.storedId(key);
      if (stored === undefined) {
        await this.db
          .insertInto('sm2_key_identities')
          .values({ spki_sha256: key, public_key_info: Buffer.from(signer.publicKeyInfo), distinguishing_id: id, recorded_at: this.clock().toISOString() })
          .onConflict((oc) => oc.column('spki_sha256').doNothing())
          .execute();
      }
      const now = stored ?? (await this.storedId(key));
      if (now !== id) throw new SignetError('ca.sm2-id-conflict', 500, { fingerprint: key, stored: now ?? '', sealed: id });
      this.ids.set(key, id);
    }
    this.own.add(key);
  }

  /** The IDs other than the default that this object knows, by SPKI SHA-256 hex (for an evidence package to carry). */
  configuredIds(): Record<string, string> {
    return Object.fromEntries([...this.ids].filter(([, id]) => id !== DEFAULT_SM2_ID));
  }

  /** Reads the IDs other processes recorded (a few rows: one per SM2 key), then answers from memory. */
  async upToDate(): Promise<this> {
    const rows = await this.db.selectFrom('sm2_key_identities').select(['spki_sha256', 'distinguishing_id']).execute();
    for (const row of rows) this.ids.set(row.spki_sha256, row.distinguishing_id);
    return this;
  }

  private async storedId(key: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('sm2_key_identities').select('distinguishing_id').where('spki_sha256', '=', key).executeTakeFirst();
    return row?.distinguishing_id;
  }
}
