import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AsnConvert, AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { sm2 } from 'sm-crypto-v2';
import { SM2Cipher, sm2Decrypt, sm2Encrypt } from '../crypto/sm2-encryption.js';
import { isValidSm2PrivateKey } from '../crypto/sm2-key.js';

/** GM/T 0006: SM4 in ECB mode, the mode GM/T 0009's key envelope uses. */
export const SM4_ECB_OID = '1.2.156.10197.1.104.1';

/**
 * GM/T 0009-2012 §7.4: an SM2 private key delivered to, or escrowed for,
 * the holder of another SM2 key.
 * ```asn1
 * SM2EnvelopedKey ::= SEQUENCE {
 *   symAlgID               AlgorithmIdentifier,  -- SM4-ECB
 *   symEncryptedKey        SM2Cipher,            -- the SM4 key, SM2-encrypted to the recipient
 *   sm2PublicKey           SM2PublicKey,         -- BIT STRING 04‖x‖y of the enveloped key pair
 *   sm2EncryptedPrivateKey BIT STRING            -- the 32-byte private scalar, SM4-ECB encrypted
 * }
 * ```
 */
export class SM2EnvelopedKey {
  @AsnProp({ type: AlgorithmIdentifier })
  public symAlgID = new AlgorithmIdentifier();

  @AsnProp({ type: SM2Cipher })
  public symEncryptedKey = new SM2Cipher();

  @AsnProp({ type: AsnPropTypes.BitString })
  public sm2PublicKey = new ArrayBuffer(0);

  @AsnProp({ type: AsnPropTypes.BitString })
  public sm2EncryptedPrivateKey = new ArrayBuffer(0);

  constructor(params: Partial<SM2EnvelopedKey> = {}) {
    Object.assign(this, params);
  }
}

export class EnvelopedKeyError extends Error {}

function sm4Ecb(mode: 'encrypt' | 'decrypt', key: Buffer, data: Buffer): Buffer {
  // The scalar is exactly two SM4 blocks: no padding, as GM/T 0009 and `openssl enc -sm4-ecb -nopad` expect.
  const cipher = mode === 'encrypt' ? createCipheriv('sm4-ecb', key, null) : createDecipheriv('sm4-ecb', key, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

/**
 * Envelopes the key pair (privateKeyHex, publicKeyHex) to the holder of
 * `recipientPublicKeyHex`: a fresh SM4 key encrypts the scalar, SM2
 * encrypts the SM4 key. Returns DER SM2EnvelopedKey.
 */
export function envelopeSm2PrivateKey(privateKeyHex: string, publicKeyHex: string, recipientPublicKeyHex: string): Buffer {
  if (!isValidSm2PrivateKey(privateKeyHex)) throw new EnvelopedKeyError('the private key to envelope is not an SM2 scalar');
  const sessionKey = randomBytes(16);
  try {
    const envelope = new SM2EnvelopedKey({
      symAlgID: new AlgorithmIdentifier({ algorithm: SM4_ECB_OID }),
      symEncryptedKey: AsnConvert.parse(sm2Encrypt(recipientPublicKeyHex, sessionKey), SM2Cipher),
      sm2PublicKey: new Uint8Array(Buffer.from(publicKeyHex, 'hex')).buffer,
      sm2EncryptedPrivateKey: new Uint8Array(sm4Ecb('encrypt', sessionKey, Buffer.from(privateKeyHex, 'hex'))).buffer,
    });
    return Buffer.from(AsnConvert.serialize(envelope));
  } finally {
    sessionKey.fill(0);
  }
}

/** Opens a DER SM2EnvelopedKey with the recipient's private key; the scalar must match the public key it carries. */
export function openSm2EnvelopedKey(envelopeDer: Uint8Array, recipientPrivateKeyHex: string): { privateKey: string; publicKey: string } {
  let envelope: SM2EnvelopedKey;
  try {
    envelope = AsnConvert.parse(envelopeDer, SM2EnvelopedKey);
  } catch (error) {
    throw new EnvelopedKeyError(`not an SM2EnvelopedKey: ${(error as Error).message}`);
  }
  if (envelope.symAlgID.algorithm !== SM4_ECB_OID) throw new EnvelopedKeyError(`unsupported symmetric algorithm ${envelope.symAlgID.algorithm}`);
  const sessionKey = sm2Decrypt(recipientPrivateKeyHex, new Uint8Array(AsnConvert.serialize(envelope.symEncryptedKey)));
  if (sessionKey.length !== 16) throw new EnvelopedKeyError('the enveloped SM4 key is not 16 bytes');
  const encrypted = Buffer.from(envelope.sm2EncryptedPrivateKey);
  if (encrypted.length !== 32) throw new EnvelopedKeyError('the encrypted private key is not 32 bytes');
  const privateKey = sm4Ecb('decrypt', sessionKey, encrypted).toString('hex');
  sessionKey.fill(0);
  const publicKey = Buffer.from(envelope.sm2PublicKey).toString('hex');
  if (!isValidSm2PrivateKey(privateKey) || sm2.getPublicKeyFromPrivateKey(privateKey) !== publicKey) {
    throw new EnvelopedKeyError('the enveloped private key does not match its public key');
  }
  return { privateKey, publicKey };
}

/** The parts a tool outside Signet needs to open an envelope by hand (`openssl pkeyutl -decrypt`, `openssl enc -d -sm4-ecb`). */
export function envelopeParts(envelopeDer: Uint8Array): { symEncryptedKey: Buffer; encryptedPrivateKey: Buffer; publicKey: Buffer } {
  const envelope = AsnConvert.parse(envelopeDer, SM2EnvelopedKey);
  return {
    symEncryptedKey: Buffer.from(AsnConvert.serialize(envelope.symEncryptedKey)),
    encryptedPrivateKey: Buffer.from(envelope.sm2EncryptedPrivateKey),
    publicKey: Buffer.from(envelope.sm2PublicKey),
  };
}
