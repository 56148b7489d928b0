import type { HashName, KeyAlgorithm, SignatureScheme } from '../crypto/algorithms.js';
import { openPrivateKey, sealPrivateKey, KeyEnvelopeError } from '../crypto/key-envelope.js';
import type { Signer } from '../crypto/signer.js';
import { softwareSignerFromPkcs8, type GeneratedSigner } from '../crypto/software-signer.js';
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

  constructor(private readonly passphrase: () => string) {
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

  /** Seals a freshly generated software key for storage under its owner's id (R21). */
  seal(signer: Pick<GeneratedSigner, 'exportPkcs8'>, ownerId: string): string {
    return sealPrivateKey(signer.exportPkcs8(), this.passphrase(), ownerId);
  }
}
