import { createHash, randomBytes } from 'node:crypto';
import * as graphene from 'graphene-pk11';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { ECDSASigValue, ECParameters } from '@peculiar/asn1-ecc';
import { RSAPublicKey } from '@peculiar/asn1-rsa';
import * as asn1js from 'asn1js';
import {
  defaultHashFor,
  defaultSchemeFor,
  hashOutputLength,
  isSchemeValidFor,
  OID,
  signatureAlgorithmIdentifier,
  type HashName,
  type KeyAlgorithm,
  type SignatureScheme,
} from './algorithms.js';
import { wholeMessageStream, type Signer, type SigningStream } from './signer.js';
import { SignetError } from '../i18n/signet-error.js';

/** Where a key lives on a token: stored in the CA row instead of a sealed envelope. */
export interface Pkcs11KeyLocator {
  token: string;
  label: string;
  /** CKA_ID, hex. */
  id: string;
}

export interface Pkcs11Settings {
  /** Path of the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  module: string;
  /** Token label; slots are found by label because slot ids change (SoftHSM2 does). */
  token: string;
  pin: () => string;
}

const CURVES: Partial<Record<KeyAlgorithm, { name: string; oid: string }>> = {
  'ecdsa-p256': { name: 'secp256r1', oid: OID.secp256r1 },
  'ecdsa-p384': { name: 'secp384r1', oid: OID.secp384r1 },
};

/**
 * Key algorithms Signet keeps in a PKCS#11 token. SM2 is not among them:
 * PKCS#11 (2.40 and 3.x) defines no SM2 mechanism, SoftHSM2 has none, and the
 * Chinese modules that hold SM2 keys expose them through GM/T 0018 (SDF) or
 * vendor-defined mechanisms that differ per vendor (docs/operations.md, HSM).
 */
export const HSM_KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['rsa-2048', 'rsa-3072', 'rsa-4096', 'ecdsa-p256', 'ecdsa-p384', 'ed25519'];

/** PKCS#11 3.0 §6.3.5-6.3.6 values, which pkcs11js and graphene do not name. */
const CKK_EC_EDWARDS = 0x40;
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
const CKM_EDDSA = 0x1057;

const HASH_MECHANISM: Record<string, graphene.MechanismEnum> = {
  sha256: graphene.MechanismEnum.SHA256,
  sha384: graphene.MechanismEnum.SHA384,
  sha512: graphene.MechanismEnum.SHA512,
};
const MGF: Record<string, graphene.RsaMgf> = {
  sha256: graphene.RsaMgf.MGF1_SHA256,
  sha384: graphene.RsaMgf.MGF1_SHA384,
  sha512: graphene.RsaMgf.MGF1_SHA512,
};

/**
 * A logged-in session on one token, shared by every key on it. The library is
 * loaded once per process (PKCS#11 libraries keep global state).
 */
export class Pkcs11Token {
  private static modules = new Map<string, graphene.Module>();
  readonly session: graphene.Session;
  /** Every signer on this session signs in turn (SessionTurns). */
  private readonly turns = new SessionTurns();

  constructor(readonly settings: Pkcs11Settings) {
    let module = Pkcs11Token.modules.get(settings.module);
    if (!module) {
      module = graphene.Module.load(settings.module);
      module.initialize();
      Pkcs11Token.modules.set(settings.module, module);
    }
    const slots = module.getSlots(true);
    let slot: graphene.Slot | undefined;
    for (let i = 0; i < slots.length; i++) {
      const candidate = slots.items(i);
      if (candidate.getToken().label.trim() === settings.token) slot = candidate;
    }
    if (!slot) throw new SignetError('ca.hsm-token-not-found', 500, { token: settings.token, module: settings.module });
    this.session = slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
    try {
      this.session.login(settings.pin(), graphene.UserType.USER);
    } catch (error) {
      // Another session of this process may already be logged in (the login state is per token).
      if (!/CKR_USER_ALREADY_LOGGED_IN/.test(String(error))) throw error;
    }
  }

  /** Generates a non-extractable key pair on the token; the private key never exists outside it (R21). */
  generate(keyAlgorithm: KeyAlgorithm, label: string, options: { scheme?: SignatureScheme; hash?: HashName } = {}): Pkcs11Signer {
    const id = randomBytes(16);
    const privateTemplate: graphene.ITemplate = {
      token: true,
      private: true,
      sensitive: true,
      extractable: false,
      sign: true,
      label,
      id,
    };
    const curve = CURVES[keyAlgorithm];
    if (keyAlgorithm === 'ed25519') {
      // CKA_EC_PARAMS names the curve by RFC 8410's OID (PKCS#11 3.0 §2.3.10 allows it; SoftHSM2 2.6 requires it).
      const params = Buffer.from(new asn1js.ObjectIdentifier({ value: OID.ed25519 }).toBER());
      this.session.generateKeyPair(
        { name: CKM_EC_EDWARDS_KEY_PAIR_GEN as graphene.MechanismEnum, params: null },
        { keyType: CKK_EC_EDWARDS, token: true, verify: true, paramsEC: params, label, id },
        { ...privateTemplate, keyType: CKK_EC_EDWARDS },
      );
    } else if (curve) {
      const params = Buffer.from(AsnConvert.serialize(new ECParameters({ namedCurve: curve.oid })));
      this.session.generateKeyPair(
        graphene.KeyGenMechanism.EC,
        { keyType: graphene.KeyType.EC, token: true, verify: true, paramsEC: params, label, id },
        { ...privateTemplate, keyType: graphene.KeyType.EC },
      );
    } else if (keyAlgorithm.startsWith('rsa-')) {
      this.session.generateKeyPair(
        graphene.KeyGenMechanism.RSA,
        { keyType: graphene.KeyType.RSA, token: true, verify: true, modulusBits: Number(keyAlgorithm.slice(4)), publicExponent: Buffer.from([1, 0, 1]), label, id },
        { ...privateTemplate, keyType: graphene.KeyType.RSA },
      );
    } else {
      throw new Error(`${keyAlgorithm} keys cannot be generated on a PKCS#11 token by Signet`);
    }
    return this.open(keyAlgorithm, { token: this.settings.token, label, id: id.toString('hex') }, options);
  }

  open(keyAlgorithm: KeyAlgorithm, locator: Pkcs11KeyLocator, options: { scheme?: SignatureScheme; hash?: HashName } = {}): Pkcs11Signer {
    const id = Buffer.from(locator.id, 'hex');
    const find = (objectClass: graphene.ObjectClass) => {
      const found = this.session.find({ class: objectClass, id, label: locator.label });
      if (found.length !== 1) throw new SignetError('ca.hsm-key-not-found', 500, { label: locator.label, id: locator.id, token: locator.token });
      return found.items(0);
    };
    const privateKey = find(graphene.ObjectClass.PRIVATE_KEY).toType<graphene.PrivateKey>();
    const publicKey = find(graphene.ObjectClass.PUBLIC_KEY).toType<graphene.PublicKey>();
    return new Pkcs11Signer(this.session, keyAlgorithm, privateKey, publicKeyInfoOf(keyAlgorithm, publicKey), locator, options, this.turns);
  }
}

/** The SPKI of a token's public key, built from its attributes with the asn1 schemas. */
function publicKeyInfoOf(keyAlgorithm: KeyAlgorithm, publicKey: graphene.PublicKey): Uint8Array {
  if (keyAlgorithm === 'ed25519') {
    // CKA_EC_POINT: the DER of an OCTET STRING holding the 32-byte public key (RFC 8410 §4 puts it in the BIT STRING as is).
    const point = asn1js.fromBER(publicKey.getAttribute({ pointEC: null }).pointEC!);
    const octets = (point.result as asn1js.OctetString).valueBlock.valueHexView;
    if (octets.length !== 32) throw new Error(`PKCS#11 Ed25519 public key of ${octets.length} bytes`);
    return new Uint8Array(
      AsnConvert.serialize(new SubjectPublicKeyInfo({ algorithm: new AlgorithmIdentifier({ algorithm: OID.ed25519 }), subjectPublicKey: octets.slice().buffer })),
    );
  }
  const curve = CURVES[keyAlgorithm];
  if (curve) {
    // CKA_EC_POINT is the DER of an OCTET STRING holding the uncompressed point.
    const point = asn1js.fromBER(publicKey.getAttribute({ pointEC: null }).pointEC!);
    const octets = (point.result as asn1js.OctetString).valueBlock.valueHexView;
    return new Uint8Array(
      AsnConvert.serialize(
        new SubjectPublicKeyInfo({
          algorithm: new AlgorithmIdentifier({
            algorithm: OID.ecPublicKey,
            parameters: AsnConvert.serialize(new ECParameters({ namedCurve: curve.oid })),
          }),
          subjectPublicKey: octets.slice().buffer,
        }),
      ),
    );
  }
  const { modulus, publicExponent } = publicKey.getAttribute({ modulus: null, publicExponent: null });
  const rsa = new RSAPublicKey({ modulus: positive(modulus!), publicExponent: positive(publicExponent!) });
  return new Uint8Array(
    AsnConvert.serialize(
      new SubjectPublicKeyInfo({
        algorithm: new AlgorithmIdentifier({ algorithm: OID.rsaEncryption, parameters: null }),
        subjectPublicKey: AsnConvert.serialize(rsa),
      }),
    ),
  );
}

/** An unsigned big-endian integer as the minimal positive INTEGER contents (leading 0x00 when the top bit is set). */
function positive(bytes: Uint8Array): ArrayBuffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  const out = (trimmed[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), trimmed]) : Buffer.from(trimmed);
  return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer;
}

/**
 * One session does one signing operation at a time (a second C_SignInit
 * while one is in progress fails with CKR_OPERATION_ACTIVE): the token's
 * signers take turns here. Each turn runs C_Sign asynchronously (pkcs11js
 * runs it on libuv's thread pool), so the event loop keeps serving while the
 * HSM works.
 */
export class SessionTurns {
  private last: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.last.then(work, work);
    this.last = turn.catch(() => undefined);
    return turn;
  }
}

/** C_SignInit and an asynchronous C_Sign, in the session's turn. */
function signOffLoop(turns: SessionTurns, session: graphene.Session, mechanism: graphene.MechanismType, key: graphene.PrivateKey, data: Buffer): Promise<Buffer> {
  return turns.run(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        session.createSign(mechanism, key).once(data, (error, signature) => (error ? reject(error) : resolve(signature)));
      }),
  );
}

/** A CA key inside an HSM. Interchangeable with the software signer for every caller. */
export class Pkcs11Signer implements Signer {
  readonly scheme: SignatureScheme;
  readonly hash: HashName;
  readonly signatureAlgorithm: AlgorithmIdentifier;

  constructor(
    private readonly session: graphene.Session,
    readonly keyAlgorithm: KeyAlgorithm,
    private readonly privateKey: graphene.PrivateKey,
    readonly publicKeyInfo: Uint8Array,
    readonly locator: Pkcs11KeyLocator,
    options: { scheme?: SignatureScheme; hash?: HashName } = {},
    private readonly turns: SessionTurns = new SessionTurns(),
  ) {
    this.scheme = options.scheme ?? defaultSchemeFor(keyAlgorithm);
    if (!isSchemeValidFor(keyAlgorithm, this.scheme) || this.scheme === 'sm2') {
      throw new Error(`signature scheme ${this.scheme} is not available for ${keyAlgorithm} on PKCS#11`);
    }
    this.hash = options.hash ?? defaultHashFor(keyAlgorithm);
    this.signatureAlgorithm = signatureAlgorithmIdentifier(this.scheme, this.hash);
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    const data = Buffer.from(message);
    // PureEdDSA (RFC 8032): the token hashes the whole message; the 64-byte R || S is the X.509 signature as is (RFC 8410 §6).
    if (this.scheme === 'eddsa') return signOffLoop(this.turns, this.session, { name: CKM_EDDSA as graphene.MechanismEnum, params: null }, this.privateKey, data);
    // SoftHSM2 has no CKM_ECDSA_SHA256: hash here, sign the digest with CKM_ECDSA (docs/architecture.md).
    if (this.scheme === 'ecdsa') return this.signEcdsaDigest(createHash(this.hash).update(data).digest());
    const suffix = this.hash.toUpperCase();
    if (this.scheme === 'pss') {
      const mechanism = {
        name: `${suffix}_RSA_PKCS_PSS`,
        params: new graphene.RsaPssParams(HASH_MECHANISM[this.hash]!, MGF[this.hash]!, hashOutputLength(this.hash)),
      };
      return signOffLoop(this.turns, this.session, mechanism, this.privateKey, data);
    }
    return signOffLoop(this.turns, this.session, `${suffix}_RSA_PKCS`, this.privateKey, data);
  }

  /** ECDSA hashes here anyway, so the parts are hashed as they come; the token's other mechanisms get the whole message. */
  startSigning(): SigningStream {
    if (this.scheme !== 'ecdsa') return wholeMessageStream((message) => this.sign(message));
    const hash = createHash(this.hash);
    return { update: (part) => void hash.update(part), sign: () => this.signEcdsaDigest(hash.digest()) };
  }

  private async signEcdsaDigest(digest: Buffer): Promise<Uint8Array> {
    const raw = await signOffLoop(this.turns, this.session, 'ECDSA', this.privateKey, digest);
    const half = raw.length / 2;
    // PKCS#11 returns r || s; X.509 wants Ecdsa-Sig-Value (RFC 3279 §2.2.3).
    const value = new ECDSASigValue({ r: positive(raw.subarray(0, half)), s: positive(raw.subarray(half)) });
    return new Uint8Array(AsnConvert.serialize(value));
  }
}
