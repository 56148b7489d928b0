import * as asn1js from 'asn1js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { verifySignedDocument } from '../evidence/cms-verification.js';
import { unreadable, unverifiedManifest, verifyEvidencePackage, type DetachedArtefacts } from '../evidence/evidence-report.js';
import { SignetError } from '../i18n/signet-error.js';
import type { Signet } from '../signet.js';
import { requireOperator } from './operator-auth.js';

interface VerifyBody {
  signature: string;
  content?: string;
}

interface EvidenceBody {
  serial?: string;
  at?: string;
  signature?: string;
  content?: string;
}

function base64(value: string, field: string): Buffer {
  if (!/^[A-Za-z0-9+/=\s]*$/.test(value)) throw new SignetError('request.invalid', 400, { detail: `${field} is not base64` }, field);
  return Buffer.from(value, 'base64');
}

/**
 * A signature is exactly one BER value: CMS allows BER (RFC 5652 §1; streaming
 * signers write indefinite lengths), but bytes after it are no part of what
 * was signed, and a verdict on them would make the upload malleable (found by
 * test/doors/bad-input.test.ts: trailing bytes were verified as valid).
 */
function oneBerValue(bytes: Buffer, field: string): Buffer {
  const read = asn1js.fromBER(bytes);
  if (read.offset === -1) throw new SignetError('cms.malformed', 400, { detail: read.result.error || 'not BER' }, field);
  if (read.offset !== bytes.length) throw new SignetError('cms.malformed', 400, { detail: `${bytes.length - read.offset} bytes after the SignedData` }, field);
  return bytes;
}

/**
 * The verifier is a pure function of the bytes the client sent, parsed layer
 * by layer (attributes, embedded certificates, the time-stamp token): when a
 * layer cannot be read (ASN.1 schema and type errors, OpenSSL decoding
 * errors) the signature is malformed input, a 400, not our failure (issue 16
 * §4, found by src/http/fuzz-slice.test.ts). Logged at warn, so a verifier
 * bug still shows.
 */
async function clientMalformed<T>(request: FastifyRequest, field: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof SignetError || !(error instanceof Error)) throw error;
    request.log.warn({ err: error }, 'unreadable signature');
    throw new SignetError('cms.malformed', 400, { detail: error.message.slice(0, 200) }, field);
  }
}

/** R13 verification for relying parties, R14 evidence for operators: thin over the evidence domain. */
export async function evidenceRoutes(app: FastifyInstance, signet: Signet): Promise<void> {
  app.post<{ Body: VerifyBody }>(
    '/api/v1/cms/verify',
    {
      schema: {
        tags: ['signing toolkit'],
        summary: 'Verify a CMS signature, its time-stamp and certificate path against this CA',
        body: {
          type: 'object',
          required: ['signature'],
          additionalProperties: false,
          properties: {
            signature: { type: 'string', maxLength: 1_000_000, description: 'base64 of the DER SignedData' },
            content: { type: 'string', maxLength: 1_000_000, description: 'base64 of the document, for a detached signature' },
          },
        },
      },
    },
    async (request) => {
      const authorities = await signet.ca.authorities();
      const sm2Keys = await signet.ca.sm2Identities.upToDate();
      const result = await clientMalformed(request, 'signature', () =>
        verifySignedDocument({
          signature: oneBerValue(base64(request.body.signature, 'signature'), 'signature'),
          content: request.body.content === undefined ? undefined : base64(request.body.content, 'content'),
          trustAnchors: authorities.filter((a) => a.role === 'root').map((a) => a.certificateDer),
          intermediates: authorities.filter((a) => a.role !== 'root').map((a) => a.certificateDer),
          sm2Keys,
        }),
      );
      return {
        valid: result.valid,
        signer: result.signer ? { subject: result.signer.subject, serial: result.signer.serial } : null,
        signingTime: result.signingTime?.toISOString() ?? null,
        timeStamp: result.timeStamp
          ? { valid: result.timeStamp.valid, genTime: result.timeStamp.genTime?.toISOString() ?? null, serial: result.timeStamp.serial, tsa: result.timeStamp.tsa }
          : null,
        checkedAt: result.checkedAt.toISOString(),
        // Apart from validity: a plain RFC 5652 signature is valid at level 'none' (ETSI EN 319 122-1 levels).
        cades: result.cades,
        problems: result.problems,
      };
    },
  );

  // The public evidence-report viewer (R14): anyone holding a package checks it against this CA's roots, not the root inside it.
  app.post<{ Body: Buffer }>(
    '/api/v1/evidence/verification',
    {
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        tags: ['evidence'],
        summary: 'Verify an evidence package (raw body, application/octet-stream) against this CA\'s roots: its signature, time-stamp, artefacts and findings',
      },
    },
    async (request) => {
      const der = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      if (der.length === 0) throw new SignetError('evidence.malformed-package', 400, { detail: 'empty upload' }, 'package');
      const roots = (await signet.ca.authorities()).filter((a) => a.role === 'root').map((a) => a.certificateDer);
      // A CRL too large to embed travels beside the package: this CA's own archive holds the bytes the manifest names by hash.
      const detached: DetachedArtefacts = {};
      const claimed = unverifiedManifest(der)?.crl;
      if (claimed && claimed.embedded === false && typeof claimed.issuerCaId === 'string' && Number.isSafeInteger(claimed.crlNumber)) {
        const archived = await signet.status.crls.byNumber(claimed.issuerCaId, claimed.crlNumber).catch(() => null);
        if (archived) detached[claimed.file] = archived.der;
      }
      // A damaged upload is a finding ("does not verify"), never a server error.
      let result: Awaited<ReturnType<typeof verifyEvidencePackage>>;
      try {
        result = await verifyEvidencePackage(der, roots, detached, await signet.ca.sm2Identities.upToDate());
      } catch (error) {
        result = unreadable(`the package cannot be read: ${(error as Error).message.slice(0, 200)}`);
      }
      // What a package that failed says is not evidence: its conclusion and findings are not passed on as if they were.
      const m = result.valid ? result.manifest : undefined;
      return {
        valid: result.valid,
        verdict: result.verdict,
        verification: result.checks,
        conclusion: m?.conclusion ?? null,
        statusAtTime: m?.statusAtTime ?? null,
        transactionTime: m?.transactionTime ?? null,
        timeSourceText: m?.timeSourceText ?? null,
        generatedAt: m?.generatedAt ?? null,
        certificate: m ? { serial: m.certificate.serial, subject: m.certificate.subject, issuer: m.certificate.issuer, notBefore: m.certificate.notBefore, notAfter: m.certificate.notAfter } : null,
        crl: m?.crl ? { crlNumber: m.crl.crlNumber, thisUpdate: m.crl.thisUpdate, nextUpdate: m.crl.nextUpdate, listed: m.crl.listed } : null,
        checks: m?.checks ?? [],
        signer: result.signer ?? null,
        signedAt: result.signedAt?.toISOString() ?? null,
        rootFingerprint: result.rootFingerprint ?? null,
        problems: result.problems,
      };
    },
  );

  app.post<{ Body: EvidenceBody }>(
    '/api/v1/evidence',
    {
      onRequest: requireOperator(signet.config.adminToken),
      schema: {
        tags: ['evidence'],
        summary: 'Produce a signed evidence package (operator): a certificate at a time, or a signed document',
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            serial: { type: 'string', maxLength: 64 },
            at: { type: 'string', format: 'date-time' },
            signature: { type: 'string', maxLength: 1_000_000 },
            content: { type: 'string', maxLength: 1_000_000 },
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const produced = await signet.evidence.produce({
        serial: body.serial,
        at: body.at ? new Date(body.at) : undefined,
        signature: body.signature ? oneBerValue(base64(body.signature, 'signature'), 'signature') : undefined,
        content: body.content ? base64(body.content, 'content') : undefined,
        requestedBy: 'operator:api',
      });
      // A CRL too large to embed is not repeated here: the manifest gives its hash and the archive URL that serves it.
      return reply.code(201).send({
        manifest: produced.manifest,
        package: produced.der.toString('base64'),
        detached: Object.entries(produced.detached).map(([file, bytes]) => ({ file, bytes: bytes.length, location: produced.manifest.crl?.file === file ? produced.manifest.crl.location : undefined })),
      });
    },
  );
}
