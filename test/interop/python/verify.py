"""Verifier of Signet's artefacts with Debian's python3-cryptography and
python3-asn1crypto. Reads a JSON list of tasks on stdin, prints a JSON list of
results: the test suite batches many artefacts into one run."""
import json
import sys

from asn1crypto import cms, crl as asn1_crl, ocsp as asn1_ocsp, pkcs12 as asn1_pkcs12, x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509 import ocsp


def der(path):
    data = open(path, 'rb').read()
    if data.startswith(b'-----BEGIN'):
        body = b''.join(line for line in data.splitlines() if not line.startswith(b'-----'))
        import base64
        return base64.b64decode(body)
    return data


def check(public_key, signature, data, hash_algorithm, pss=False):
    if isinstance(public_key, rsa.RSAPublicKey):
        pad = padding.PSS(mgf=padding.MGF1(hash_algorithm), salt_length=hash_algorithm.digest_size) if pss else padding.PKCS1v15()
        public_key.verify(signature, data, pad, hash_algorithm)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, data, ec.ECDSA(hash_algorithm))
    elif isinstance(public_key, ed25519.Ed25519PublicKey):
        public_key.verify(signature, data)
    else:
        raise ValueError('unsupported key %r' % public_key)


def is_pss(oid):
    return oid.dotted_string == '1.2.840.113549.1.1.10'


def cert(task):
    c = x509.load_der_x509_certificate(der(task['file']))
    # Reading every extension parses certificatePolicies (ParseError on oversized arcs in 38).
    names = [e.oid.dotted_string for e in c.extensions]
    issuer = x509.load_der_x509_certificate(der(task['issuer']))
    check(issuer.public_key(), c.signature, c.tbs_certificate_bytes, c.signature_hash_algorithm, is_pss(c.signature_algorithm_oid))
    if c.issuer != issuer.subject:
        raise ValueError('issuer name differs')
    policies = []
    for e in c.extensions:
        if isinstance(e.value, x509.CertificatePolicies):
            policies = [p.policy_identifier.dotted_string for p in e.value]
    return 'signature verified, %d extensions, policies %s' % (len(names), policies)


def crl(task):
    c = x509.load_der_x509_crl(der(task['file']))
    issuer = x509.load_der_x509_certificate(der(task['issuer']))
    if not c.is_signature_valid(issuer.public_key()):
        raise ValueError('CRL signature invalid')
    [e.oid for e in c.extensions]
    return 'CRL of %d entries' % len(list(c))


def ocsp_response(task):
    r = ocsp.load_der_ocsp_response(der(task['file']))
    if r.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise ValueError(str(r.response_status))
    issuer = x509.load_der_x509_certificate(der(task['issuer']))
    key = issuer.public_key()
    if r.certificates:
        responder = r.certificates[0]
        check(key, responder.signature, responder.tbs_certificate_bytes, responder.signature_hash_algorithm, is_pss(responder.signature_algorithm_oid))
        key = responder.public_key()
    check(key, r.signature, r.tbs_response_bytes, r.signature_hash_algorithm, is_pss(r.signature_algorithm_oid))
    return str(r.certificate_status)


def structure(task):
    """asn1crypto reads the whole structure (every field, .native), no signature."""
    kind = task['kind']
    data = der(task['file'])
    parsed = {'cms': cms.ContentInfo, 'certificate': asn1_x509.Certificate, 'crl': asn1_crl.CertificateList,
              'ocsp': asn1_ocsp.OCSPResponse, 'pkcs12': asn1_pkcs12.Pfx}[kind].load(data, strict=True)
    parsed.native
    return '%s read by asn1crypto' % kind


HASHES = {'sha256': hashes.SHA256, 'sha384': hashes.SHA384, 'sha512': hashes.SHA512, 'sha1': hashes.SHA1}


def cms_signed(task):
    """A CMS SignedData (document signature, time-stamp token, evidence package) checked by
    asn1crypto + cryptography alone: the content's digest, the signature over the DER SET of
    signed attributes (RFC 5652 5.4) and the signer's certificate by its issuer."""
    sd = cms.ContentInfo.load(der(task['file']))['content']
    signer = sd['signer_infos'][0]
    certificates = [c.chosen for c in sd['certificates']]
    sid = signer['sid'].chosen
    if signer['sid'].name == 'issuer_and_serial_number':
        found = [c for c in certificates if c.serial_number == sid['serial_number'].native and c.issuer == sid['issuer']]
    else:
        found = [c for c in certificates if c.key_identifier == sid.native]
    if not found:
        raise ValueError('signer certificate not in the SignedData')
    certificate = x509.load_der_x509_certificate(found[0].dump())
    content = sd['encap_content_info']['content']
    data = content.native if content.native is not None else der(task['content'])
    if isinstance(data, dict) or not isinstance(data, bytes):
        data = content.parsed.dump() if hasattr(content, 'parsed') else content.contents
    digest_name = signer['digest_algorithm']['algorithm'].native
    hash_algorithm = HASHES[digest_name]()
    attrs = signer['signed_attrs']
    digest = hashes.Hash(hash_algorithm)
    digest.update(data)
    wanted = [a['values'][0].native for a in attrs if a['type'].native == 'message_digest'][0]
    if digest.finalize() != wanted:
        raise ValueError('message digest differs')
    signed = b'\x31' + attrs.dump()[1:]
    check(certificate.public_key(), signer['signature'].native, signed, hash_algorithm, signer['signature_algorithm']['algorithm'].native == 'rsassa_pss')
    if task.get('issuer'):
        issuer = x509.load_der_x509_certificate(der(task['issuer']))
    else:
        # The issuing CA the SignedData carries with its signer (certReq tokens, evidence packages).
        issuers = [c for c in certificates if c.subject == found[0].issuer and c.subject != found[0].subject]
        if not issuers:
            raise ValueError('the issuer of the signer certificate is not in the SignedData')
        issuer = x509.load_der_x509_certificate(issuers[0].dump())
    check(issuer.public_key(), certificate.signature, certificate.tbs_certificate_bytes, certificate.signature_hash_algorithm, is_pss(certificate.signature_algorithm_oid))
    return 'SignedData of %s verified, signer %s' % (sd['encap_content_info']['content_type'].native, certificate.subject.rfc4514_string())


def pkcs12(task):
    from cryptography.hazmat.primitives.serialization import pkcs12 as p12
    key, certificate, extra = p12.load_key_and_certificates(der(task['file']), task['password'].encode())
    if key is None or certificate is None:
        raise ValueError('no key or certificate')
    return '%s key, %d more certificates' % (type(key).__name__, len(extra))


OPS = {'cert': cert, 'crl': crl, 'ocsp': ocsp_response, 'structure': structure, 'pkcs12': pkcs12, 'cms': cms_signed}

results = []
for task in json.load(sys.stdin):
    try:
        results.append({'id': task['id'], 'ok': True, 'detail': OPS[task['op']](task)})
    except Exception as e:  # every failure is a result, never a crash of the batch
        results.append({'id': task['id'], 'ok': False, 'detail': '%s: %s' % (type(e).__name__, e)})
json.dump(results, sys.stdout)
