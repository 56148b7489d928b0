import type { HashName, KeyAlgorithm, SignatureScheme } from '../crypto/algorithms.js';
import { openPrivateKey, sealPrivateKey, KeyEnvelopeError } from '../crypto/key-envelope.js';
import type { Signer } from '../crypto/signer.js';
import { generateSoftwareKey, softwareSignerFromPkcs8, type GeneratedSigner, type SignerOptions } from '../crypto/software-signer.js';
import { Pkcs11Token, type Pkcs11KeyLocator, type Pkcs11Settings } from '../crypto/pkcs11-signer.js';
import { SignetError } from '../i18n/signet-error.js';

/** How a stored key is found again: the row that owns it and what it is. */
export interface StoredKeyReference {
  ownerId: string;
  keyStorage: 'software' | 'pkcs11';
  keyAlgorithm: KeyAlgorithm;
  scheme: SignatureScheme;
  hash?: HashName;
  /** The sealed envelope (software) or the token locator (PKCS#11). */
  sealed: string | null;
}

export type SignerBackend = (reference: StoredKeyReference) => Promise<Signer>;

/**
 * Opens CA and responder keys on first use and keeps the signers in memory.
 * Back ends other than software (PKCS#11, SM2) register here; callers only
 * ever ask for `signerFor(reference)`.
 */
export class Keyring {
  private readonly open = new Map<string, Promise<Signer>>();
  private readonly backends = new Map<string, SignerBackend>();

  private token?: Pkcs11Token;

  constructor(
    private readonly passphrase: () => string,
    private readonly hsm?: Pkcs11Settings,
  ) {
    if (hsm) {
      this.backends.set('pkcs11', async (reference) => {
        const locator = JSON.parse(reference.sealed ?? '{}') as Pkcs11KeyLocator;
        return this.hsmToken().open(reference.keyAlgorithm, locator, { scheme: reference.scheme, hash: reference.hash });
      });
    }
    this.backends.set('software', async (reference) => {
      if (!reference.sealed) throw new SignetError('ca.key-unavailable', 500);
      let pkcs8: Buffer;
      try {
        pkcs8 = openPrivateKey(reference.sealed, this.passphrase(), reference.ownerId);
      } catch (error) {
        if (error instanceof KeyEnvelopeError) throw new SignetError('ca.key-unavailable', 500, { owner: reference.ownerId });
        throw error;
      }
      return softwareSignerFromPkcs8(reference.keyAlgorithm, pkcs8, { scheme: reference.scheme, hash: reference.hash });
    });
  }

  registerBackend(keyStorage: string, backend: SignerBackend): void {
    this.backends.set(keyStorage, backend);
  }

  signerFor(reference: StoredKeyReference): Promise<Signer> {
    let signer = this.open.get(reference.ownerId);
    if (!signer) {
      const backend = this.backends.get(reference.keyStorage);
      if (!backend) return Promise.reject(new Error(`no signer back end for ${reference.keyStorage} keys`));
      signer = backend(reference);
      signer.catch(() => this.open.delete(reference.ownerId));
      this.open.set(reference.ownerId, signer);
    }
    return signer;
  }

  /** Keeps a signer just created in memory, so it is not unsealed again at once. */
  remember(ownerId: string, signer: Signer): void {
    this.open.set(ownerId, Promise.resolve(signer));
  }

  private hsmToken(): Pkcs11Token {
    if (!this.hsm) throw new Error('no PKCS#11 token is configured (SIGNET_PKCS11_MODULE, SIGNET_PKCS11_TOKEN)');
    return (this.token ??= new Pkcs11Token(this.hsm));
  }

  /**
   * A new key for a CA or a responder: in the HSM when asked (the private key
   * never leaves it), else in software, sealed at once (R21). Returns what the
   * owner's row stores: the storage kind and the envelope or the token locator.
   */
  newKey(
    ownerId: string,
    keyAlgorithm: KeyAlgorithm,
    options: SignerOptions & { storage?: 'software' | 'pkcs11' } = {},
  ): { signer: Signer; keyStorage: 'software' | 'pkcs11'; sealed: string } {
    if (options.storage === 'pkcs11') {
      const signer = this.hsmToken().generate(keyAlgorithm, ownerId, options);
      this.remember(ownerId, signer);
      return { signer, keyStorage: 'pkcs11', sealed: JSON.stringify(signer.locator) };
    }
    const signer = generateSoftwareKey(keyAlgorithm, options);
    const sealed = this.seal(signer, ownerId);
    this.remember(ownerId, signer);
    return { signer, keyStorage: 'software', sealed };
  }

  /** Seals a freshly generated software key for storage under its owner's id (R21). */
  seal(signer: Pick<GeneratedSigner, 'exportPkcs8'>, ownerId: string): string {
    return sealPrivateKey(signer.exportPkcs8(), this.passphrase(), ownerId);
  }
}
