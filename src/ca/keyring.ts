import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { HashName, KeyAlgorithm, SignatureScheme } from '../crypto/algorithms.js';
import { openPrivateKey, sealPrivateKey, KeyEnvelopeError } from '../crypto/key-envelope.js';
import type { Signer } from '../crypto/signer.js';
import { generateSoftwareKey, softwareSignerFromPkcs8, type GeneratedSigner, type SignerOptions } from '../crypto/software-signer.js';
import { HSM_KEY_ALGORITHMS, Pkcs11Token, type Pkcs11KeyLocator, type Pkcs11Settings } from '../crypto/pkcs11-signer.js';
import { SignetError } from '../i18n/signet-error.js';

/**
 * Which secret seals a software key: CA keys (root, issuing), the online
 * responders' keys (OCSP, TSA, evidence; they sign all day), and the audit
 * checkpoint key. Separate passphrases, held by separate people in
 * production, so no one secret opens everything.
 */
export type KeyCustody = 'ca' | 'responder' | 'audit';

export type CustodyPassphrases = Record<KeyCustody, () => string>;

/**
 * The custody of a key follows from its owner's id, which every creator
 * prefixes with what the key is (`root-`, `issuing-`, `ocsp-`, `tsa-`,
 * `evidence-`, `audit-`): so the domains that make keys need not know who
 * holds which secret, and a rollover keeps its predecessor's custody.
 */
export function custodyOf(ownerId: string): KeyCustody {
  if (/^(ocsp|tsa|evidence)-/.test(ownerId)) return 'responder';
  if (ownerId.startsWith('audit-')) return 'audit';
  return 'ca';
}

/** How a stored key is found again: the row that owns it and what it is. */
export interface StoredKeyReference {
  ownerId: string;
  /** Default: custodyOf(ownerId). */
  custody?: KeyCustody;
  keyStorage: 'software' | 'pkcs11' | 'offline';
  keyAlgorithm: KeyAlgorithm;
  scheme: SignatureScheme;
  hash?: HashName;
  /** The sealed envelope (software) or the token locator (PKCS#11). */
  sealed: string | null;
}

/**
 * A root key kept offline: sealed under its own ceremony passphrase
 * (SIGNET_ROOT_PASSPHRASE) in a file the operator carries away. Only a
 * process given that file (SIGNET_ROOT_KEY_FILE), for a ceremony, can open it.
 */
export interface OfflineRootSettings {
  passphrase: () => string;
  keyFile?: string;
}

/** What the offline root's file holds: the envelope, bound to the root's id, and the public key's fingerprint. */
interface OfflineRootFile {
  type: 'signet-offline-root-key';
  caId: string;
  spkiSha256: string;
  envelope: string;
}

export type SignerBackend = (reference: StoredKeyReference) => Promise<Signer>;

/** Where a key's SM2 distinguishing ID is written down when the key is made or opened (Sm2Identities). */
export interface KeyIdentityRecorder {
  record(signer: Signer): Promise<void>;
}

/**
 * Opens CA and responder keys on first use and keeps the signers in memory.
 * Back ends other than software (PKCS#11, SM2) register here; callers only
 * ever ask for `signerFor(reference)`.
 */
export class Keyring {
  private readonly open = new Map<string, Promise<Signer>>();
  private readonly decryptionKeys = new Map<string, KeyObject>();
  private readonly backends = new Map<string, SignerBackend>();

  private token?: Pkcs11Token;

  private readonly passphrases: CustodyPassphrases;

  constructor(
    passphrases: CustodyPassphrases | (() => string),
    private readonly hsm?: Pkcs11Settings,
    /**
     * Development only: a responder or audit key sealed under the CA passphrase
     * (before the secrets were separate) still opens with it.
     */
    private readonly caPassphraseFallback = false,
    private readonly offlineRoot?: OfflineRootSettings,
    private readonly identities?: KeyIdentityRecorder,
  ) {
    this.passphrases = typeof passphrases === 'function' ? { ca: passphrases, responder: passphrases, audit: passphrases } : passphrases;
    // Registered without an HSM too, so a key kept in one is refused with the variables that would reach it.
    this.backends.set('pkcs11', async (reference) => {
      const token = this.hsmToken(reference.ownerId);
      return token.open(reference.keyAlgorithm, JSON.parse(reference.sealed ?? '{}') as Pkcs11KeyLocator, { scheme: reference.scheme, hash: reference.hash });
    });
    this.backends.set('offline', (reference) => this.openOfflineRoot(reference));
    this.backends.set('software', async (reference) => {
      if (!reference.sealed) throw new SignetError('ca.key-unavailable', 500);
      const custody = reference.custody ?? custodyOf(reference.ownerId);
      let pkcs8: Buffer;
      try {
        pkcs8 = openPrivateKey(reference.sealed, this.passphrases[custody](), reference.ownerId);
      } catch (error) {
        if (!(error instanceof KeyEnvelopeError)) throw error;
        try {
          if (!this.caPassphraseFallback || custody === 'ca') throw error;
          pkcs8 = openPrivateKey(reference.sealed, this.passphrases.ca(), reference.ownerId);
        } catch (fallbackError) {
          if (fallbackError instanceof KeyEnvelopeError) throw new SignetError('ca.key-unavailable', 500, { owner: reference.ownerId });
          throw fallbackError;
        }
      }
      return softwareSignerFromPkcs8(reference.keyAlgorithm, pkcs8, { scheme: reference.scheme, hash: reference.hash });
    });
  }

  private rootKeyOut?: string;

  /**
   * The root ceremony: the next root key made here is sealed under the root
   * passphrase into `file` (created, never overwritten) instead of the
   * database, whose row then records only that it is offline.
   */
  sendNextRootOffline(file: string): void {
    this.rootKeyOut = file;
  }

  private async openOfflineRoot(reference: StoredKeyReference): Promise<Signer> {
    const file = this.offlineRoot?.keyFile;
    if (!file) throw new SignetError('ca.root-key-offline', 409, { caId: reference.ownerId });
    let stored: OfflineRootFile;
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as OfflineRootFile;
    } catch {
      throw new SignetError('ca.root-key-file-unreadable', 400, { file });
    }
    if (stored.type !== 'signet-offline-root-key' || stored.caId !== reference.ownerId) throw new SignetError('ca.root-key-file-other', 400, { file, caId: reference.ownerId });
    let pkcs8: Buffer;
    try {
      pkcs8 = openPrivateKey(stored.envelope, this.offlineRoot!.passphrase(), reference.ownerId);
    } catch (error) {
      if (error instanceof KeyEnvelopeError) throw new SignetError('ca.key-unavailable', 500, { owner: reference.ownerId });
      throw error;
    }
    const signer = softwareSignerFromPkcs8(reference.keyAlgorithm, pkcs8, { scheme: reference.scheme, hash: reference.hash });
    const expected = (JSON.parse(reference.sealed ?? '{}') as { spkiSha256?: string }).spkiSha256;
    if (createHash('sha256').update(signer.publicKeyInfo).digest('hex') !== expected) throw new SignetError('ca.root-key-file-other', 400, { file, caId: reference.ownerId });
    return signer;
  }

  registerBackend(keyStorage: string, backend: SignerBackend): void {
    this.backends.set(keyStorage, backend);
  }

  signerFor(reference: StoredKeyReference): Promise<Signer> {
    let signer = this.open.get(reference.ownerId);
    if (!signer) {
      const backend = this.backends.get(reference.keyStorage);
      if (!backend) return Promise.reject(new SignetError('ca.key-storage-unknown', 500, { owner: reference.ownerId, storage: reference.keyStorage }));
      // A key made before its ID was kept in the store gets its row when first opened (backfill).
      signer = backend(reference).then(async (opened) => {
        await this.identities?.record(opened);
        return opened;
      });
      signer.catch(() => this.open.delete(reference.ownerId));
      this.open.set(reference.ownerId, signer);
    }
    return signer;
  }

  /**
   * The private half of a software key, for the one job a Signer cannot do:
   * RSA key transport into SCEP's registration authority (RFC 8894 §3.1,
   * src/scep). Unsealed once per process, like a signer.
   */
  decryptionKeyFor(reference: StoredKeyReference): KeyObject {
    let key = this.decryptionKeys.get(reference.ownerId);
    if (!key) {
      if (reference.keyStorage !== 'software' || !reference.sealed) throw new SignetError('ca.key-unavailable', 500, { owner: reference.ownerId });
      let pkcs8: Buffer;
      try {
        pkcs8 = openPrivateKey(reference.sealed, this.passphrases[reference.custody ?? custodyOf(reference.ownerId)](), reference.ownerId);
      } catch (error) {
        if (error instanceof KeyEnvelopeError) throw new SignetError('ca.key-unavailable', 500, { owner: reference.ownerId });
        throw error;
      }
      key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
      this.decryptionKeys.set(reference.ownerId, key);
    }
    return key;
  }

  /** Keeps a signer just created in memory, so it is not unsealed again at once. */
  remember(ownerId: string, signer: Signer): void {
    this.open.set(ownerId, Promise.resolve(signer));
  }

  private hsmToken(ownerId: string): Pkcs11Token {
    if (!this.hsm) throw new SignetError('ca.hsm-not-configured', 500, { owner: ownerId });
    return (this.token ??= new Pkcs11Token(this.hsm));
  }

  /**
   * A new key for a CA or a responder: in the HSM when asked (the private key
   * never leaves it), else in software, sealed at once (R21). Returns what the
   * owner's row stores: the storage kind and the envelope or the token locator.
   * An SM2 key's distinguishing ID is in the store before the key signs anything.
   */
  async newKey(
    ownerId: string,
    keyAlgorithm: KeyAlgorithm,
    options: SignerOptions & { storage?: 'software' | 'pkcs11'; custody?: KeyCustody } = {},
  ): Promise<{ signer: Signer; keyStorage: 'software' | 'pkcs11' | 'offline'; sealed: string }> {
    if (options.storage === 'pkcs11') {
      // Refused, never made in software instead: whoever asked for an HSM key relies on it not existing outside one.
      assertHsmAlgorithm(keyAlgorithm);
      const signer = this.hsmToken(ownerId).generate(keyAlgorithm, ownerId, options);
      this.remember(ownerId, signer);
      return { signer, keyStorage: 'pkcs11', sealed: JSON.stringify(signer.locator) };
    }
    // Before the key exists: a refused ceremony leaves no key identity recorded.
    if (this.rootKeyOut && ownerId.startsWith('root-') && !this.offlineRoot) throw new SignetError('ca.root-passphrase-missing', 500, { caId: ownerId });
    const signer = generateSoftwareKey(keyAlgorithm, options);
    await this.identities?.record(signer);
    if (this.rootKeyOut && this.offlineRoot && ownerId.startsWith('root-')) {
      const spkiSha256 = createHash('sha256').update(signer.publicKeyInfo).digest('hex');
      const file: OfflineRootFile = { type: 'signet-offline-root-key', caId: ownerId, spkiSha256, envelope: sealPrivateKey(signer.exportPkcs8(), this.offlineRoot.passphrase(), ownerId) };
      // 'wx': a ceremony never overwrites another root's key file.
      writeFileSync(this.rootKeyOut, `${JSON.stringify(file)}\n`, { mode: 0o600, flag: 'wx' });
      this.rootKeyOut = undefined;
      // Kept in memory for the rest of the ceremony only (it signs the issuing CA); the row holds no key.
      this.remember(ownerId, signer);
      return { signer, keyStorage: 'offline', sealed: JSON.stringify({ offline: true, spkiSha256 }) };
    }
    const sealed = this.seal(signer, ownerId, options.custody);
    this.remember(ownerId, signer);
    return { signer, keyStorage: 'software', sealed };
  }

  /** Seals a freshly generated software key for storage under its owner's id (R21). */
  seal(signer: Pick<GeneratedSigner, 'exportPkcs8'>, ownerId: string, custody: KeyCustody = custodyOf(ownerId)): string {
    return sealPrivateKey(signer.exportPkcs8(), this.passphrases[custody](), ownerId);
  }
}

/** A key that a PKCS#11 token cannot hold (SM2) is refused by name before anything is made or stored. */
export function assertHsmAlgorithm(keyAlgorithm: KeyAlgorithm): void {
  if (!HSM_KEY_ALGORITHMS.includes(keyAlgorithm)) throw new SignetError('ca.hsm-algorithm-unsupported', 400, { algorithm: keyAlgorithm, supported: HSM_KEY_ALGORITHMS.join(', ') }, 'algorithm');
}
