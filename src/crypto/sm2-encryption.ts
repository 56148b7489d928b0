import { AsnConvert, AsnIntegerArrayBufferConverter, AsnProp, AsnPropTypes, OctetString } from '@peculiar/asn1-schema';
import { sm2 } from 'sm-crypto-v2';

/**
 * GM/T 0009-2012 §7.2:
 * ```asn1
 * SM2Cipher ::= SEQUENCE {
 *   XCoordinate INTEGER,                 -- x of C1
 *   YCoordinate INTEGER,                 -- y of C1
 *   HASH        OCTET STRING SIZE(32),   -- C3 = SM3(x2 ‖ M ‖ y2)
 *   CipherText  OCTET STRING             -- C2
 * }
 * ```
 * The form OpenSSL's `pkeyutl -encrypt/-decrypt` uses for SM2.
 */
export class SM2Cipher {
  @AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter })
  public xCoordinate = new ArrayBuffer(0);

  @AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter })
  public yCoordinate = new ArrayBuffer(0);

  @AsnProp({ type: OctetString })
  public hash = new OctetString();

  @AsnProp({ type: OctetString })
  public cipherText = new OctetString();

  constructor(params: Partial<SM2Cipher> = {}) {
    Object.assign(this, params);
  }
}

export class Sm2EncryptionError extends Error {}

/** A non-negative INTEGER's content octets for a 32-byte coordinate (a leading zero when the top bit is set). */
function integerBytes(hex: string): ArrayBuffer {
  const bytes = Buffer.from(hex.padStart(64, '0'), 'hex');
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && (bytes[start + 1]! & 0x80) === 0) start++;
  const trimmed = bytes.subarray(start);
  const content = (trimmed[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
  return new Uint8Array(content).buffer;
}

function coordinateHex(integer: ArrayBuffer): string {
  const hex = Buffer.from(integer).toString('hex').replace(/^(00)+/, '');
  if (hex.length > 64) throw new Sm2EncryptionError('an SM2Cipher coordinate is longer than 32 bytes');
  return hex.padStart(64, '0');
}

/**
 * SM2 public-key encryption (GB/T 32918.4) to `recipientPublicKeyHex` (04‖x‖y)
 * with sm-crypto-v2, returned as DER SM2Cipher.
 */
export function sm2Encrypt(recipientPublicKeyHex: string, plaintext: Uint8Array): Buffer {
  if (plaintext.length === 0) throw new Sm2EncryptionError('SM2 cannot encrypt an empty message');
  // Cipher mode 1 is C1‖C3‖C2 with C1 as x‖y (no 04 prefix), hex.
  const raw = sm2.doEncrypt(plaintext, recipientPublicKeyHex, 1);
  const cipher = new SM2Cipher({
    xCoordinate: integerBytes(raw.slice(0, 64)),
    yCoordinate: integerBytes(raw.slice(64, 128)),
    hash: new OctetString(Buffer.from(raw.slice(128, 192), 'hex')),
    cipherText: new OctetString(Buffer.from(raw.slice(192), 'hex')),
  });
  return Buffer.from(AsnConvert.serialize(cipher));
}

/** Opens a DER SM2Cipher with the recipient's private key (hex); a wrong key or altered bytes fail the C3 check. */
export function sm2Decrypt(privateKeyHex: string, cipherDer: Uint8Array): Buffer {
  let cipher: SM2Cipher;
  try {
    cipher = AsnConvert.parse(cipherDer, SM2Cipher);
  } catch (error) {
    throw new Sm2EncryptionError(`not an SM2Cipher: ${(error as Error).message}`);
  }
  const hash = Buffer.from(cipher.hash.buffer);
  if (hash.length !== 32) throw new Sm2EncryptionError('the SM2Cipher HASH is not 32 bytes');
  const raw =
    coordinateHex(cipher.xCoordinate) + coordinateHex(cipher.yCoordinate) + hash.toString('hex') + Buffer.from(cipher.cipherText.buffer).toString('hex');
  let plaintext: Uint8Array;
  try {
    plaintext = sm2.doDecrypt(raw, privateKeyHex, 1, { output: 'array' });
  } catch {
    throw new Sm2EncryptionError('the SM2 ciphertext cannot be opened with this key');
  }
  // sm-crypto-v2 answers a failed C3 check with an empty array rather than an error.
  if (plaintext.length === 0) throw new Sm2EncryptionError('the SM2 ciphertext cannot be opened with this key');
  return Buffer.from(plaintext);
}
