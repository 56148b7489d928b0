// Verifier of Signet's artefacts with Go's crypto/x509, x/crypto/ocsp and gmsm
// (Debian packages, built offline against /usr/share/gocode). Reads a JSON list of
// tasks on stdin, answers one JSON result per task: the test suite batches many
// artefacts into one run.
package main

import (
	"bytes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"

	"github.com/tjfoc/gmsm/sm2"
	"github.com/tjfoc/gmsm/sm4"
	"golang.org/x/crypto/ocsp"
)

type task struct {
	ID            string   `json:"id"`
	Op            string   `json:"op"`
	Roots         []string `json:"roots"`
	Intermediates []string `json:"intermediates"`
	Leaf          string   `json:"leaf"`
	Issuer        string   `json:"issuer"`
	File          string   `json:"file"`
	DistID        string   `json:"distid"`
	Key           string   `json:"key"`
	Content       string   `json:"content"`
	Out           string   `json:"out"`
}

type result struct {
	ID     string `json:"id"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

func der(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if block, _ := pem.Decode(data); block != nil {
		return block.Bytes, nil
	}
	return data, nil
}

func cert(path string) (*x509.Certificate, error) {
	data, err := der(path)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(data)
}

func pool(paths []string) (*x509.CertPool, error) {
	p := x509.NewCertPool()
	for _, path := range paths {
		c, err := cert(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		p.AddCert(c)
	}
	return p, nil
}

// chain: x509.Verify of leaf up to one of roots, any extended key usage.
func chain(t task) (string, error) {
	roots, err := pool(t.Roots)
	if err != nil {
		return "", err
	}
	intermediates, err := pool(t.Intermediates)
	if err != nil {
		return "", err
	}
	leaf, err := cert(t.Leaf)
	if err != nil {
		return "", err
	}
	chains, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: intermediates, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		return "", err
	}
	policies := []string{}
	for _, p := range leaf.PolicyIdentifiers {
		policies = append(policies, p.String())
	}
	return fmt.Sprintf("chain of %d, policies %v", len(chains[0]), policies), nil
}

// crl: x509.ParseRevocationList and its signature by the issuer.
func crl(t task) (string, error) {
	data, err := der(t.File)
	if err != nil {
		return "", err
	}
	list, err := x509.ParseRevocationList(data)
	if err != nil {
		return "", err
	}
	issuer, err := cert(t.Issuer)
	if err != nil {
		return "", err
	}
	if err := list.CheckSignatureFrom(issuer); err != nil {
		return "", err
	}
	return fmt.Sprintf("CRL %v, %d entries", list.Number, len(list.RevokedCertificates)), nil
}

// ocspResponse: x/crypto/ocsp's ParseResponseForCert, which checks the signature (by the issuer or a delegated responder).
func ocspResponse(t task) (string, error) {
	data, err := der(t.File)
	if err != nil {
		return "", err
	}
	issuer, err := cert(t.Issuer)
	if err != nil {
		return "", err
	}
	leaf, err := cert(t.Leaf)
	if err != nil {
		return "", err
	}
	resp, err := ocsp.ParseResponseForCert(data, leaf, issuer)
	if err != nil {
		return "", err
	}
	return []string{"good", "revoked", "unknown"}[resp.Status], nil
}

type signed struct {
	TBS       asn1.RawValue
	Algorithm asn1.RawValue
	Signature asn1.BitString
	Rest      asn1.RawValue `asn1:"optional,explicit,tag:0"`
}

type sm2Signature struct {
	R, S *big.Int
}

// sm2: any SIGNED{} structure (certificate, CRL, BasicOCSPResponse) checked with gmsm's
// Sm2Verify and the given distinguishing ID (gmsm's x509 layer would use an empty one).
func sm2Signed(t task) (string, error) {
	data, err := der(t.File)
	if err != nil {
		return "", err
	}
	var s signed
	if _, err := asn1.Unmarshal(data, &s); err != nil {
		return "", err
	}
	issuerDer, err := der(t.Issuer)
	if err != nil {
		return "", err
	}
	issuer, err := sm2.ParseCertificate(issuerDer)
	if err != nil {
		return "", err
	}
	pub, err := sm2Key(issuer)
	if err != nil {
		return "", err
	}
	var sig sm2Signature
	if _, err := asn1.Unmarshal(s.Signature.Bytes, &sig); err != nil {
		return "", err
	}
	if !sm2.Sm2Verify(pub, s.TBS.FullBytes, []byte(t.DistID), sig.R, sig.S) {
		return "", errors.New("SM2 signature does not verify")
	}
	return "SM3withSM2 verified with ID " + t.DistID, nil
}

// sm2Key: gmsm 1.3 parses an SM2 key (id-ecPublicKey on curve 1.2.156.10197.1.301) as an
// *ecdsa.PublicKey whose Curve is its P256Sm2; Sm2Verify wants its own PublicKey type.
func sm2Key(c *sm2.Certificate) (*sm2.PublicKey, error) {
	switch pub := c.PublicKey.(type) {
	case *sm2.PublicKey:
		return pub, nil
	case *ecdsa.PublicKey:
		if pub.Curve == sm2.P256Sm2() {
			return &sm2.PublicKey{Curve: pub.Curve, X: pub.X, Y: pub.Y}, nil
		}
	}
	return nil, errors.New("issuer key is not SM2")
}

// sm2Chain: an SM2 certification path (leaf, intermediates..., root) checked with gmsm 1.3.
// gmsm's own Certificate.Verify checks SM2 signatures with an empty ID, so this walks the
// path itself with gmsm's parsed fields: names chain, each issuer is a CA allowed to sign
// certificates, every certificate is within its validity now, and each signature (the
// root's own too) verifies with Sm2Verify and the ID given (GM/T 0009 default 1234567812345678).
func sm2Chain(t task) (string, error) {
	paths := append(append([]string{t.Leaf}, t.Intermediates...), t.Roots...)
	certs := []*sm2.Certificate{}
	for _, path := range paths {
		data, err := der(path)
		if err != nil {
			return "", err
		}
		c, err := sm2.ParseCertificate(data)
		if err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		certs = append(certs, c)
	}
	now := time.Now()
	for i, c := range certs {
		if now.Before(c.NotBefore) || now.After(c.NotAfter) {
			return "", fmt.Errorf("%s is outside its validity", c.Subject.CommonName)
		}
		issuer := c
		if i+1 < len(certs) {
			issuer = certs[i+1]
		}
		if !bytes.Equal(c.RawIssuer, issuer.RawSubject) {
			return "", fmt.Errorf("%s: issuer name is not %s", c.Subject.CommonName, issuer.Subject.CommonName)
		}
		if !issuer.BasicConstraintsValid || !issuer.IsCA || issuer.KeyUsage&sm2.KeyUsageCertSign == 0 {
			return "", fmt.Errorf("%s may not sign certificates", issuer.Subject.CommonName)
		}
		if c.SignatureAlgorithm != sm2.SM2WithSM3 {
			return "", fmt.Errorf("%s is signed with %v, not SM3withSM2", c.Subject.CommonName, c.SignatureAlgorithm)
		}
		pub, err := sm2Key(issuer)
		if err != nil {
			return "", err
		}
		var sig sm2Signature
		if _, err := asn1.Unmarshal(c.Signature, &sig); err != nil {
			return "", err
		}
		if !sm2.Sm2Verify(pub, c.RawTBSCertificate, []byte(t.DistID), sig.R, sig.S) {
			return "", fmt.Errorf("%s: SM2 signature does not verify with ID %s", c.Subject.CommonName, t.DistID)
		}
	}
	return fmt.Sprintf("SM2 path of %d verified with ID %s", len(certs), t.DistID), nil
}

// GM/T 0010 §8 (GB/T 35275) EnvelopedData, as Go's encoding/asn1 reads and writes it.
var (
	oidGmData      = asn1.ObjectIdentifier{1, 2, 156, 10197, 6, 1, 4, 2, 1}
	oidGmEnveloped = asn1.ObjectIdentifier{1, 2, 156, 10197, 6, 1, 4, 2, 3}
	oidSm2Encrypt  = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301, 3}
	oidSm4Cbc      = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 104, 2}
)

type gmContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     gmEnvelopedData `asn1:"explicit,tag:0"`
}

type gmEnvelopedData struct {
	Version              int
	RecipientInfos       []gmRecipientInfo `asn1:"set"`
	EncryptedContentInfo gmEncryptedContentInfo
}

type gmRecipientInfo struct {
	Version                int
	IssuerAndSerialNumber  gmIssuerAndSerial
	KeyEncryptionAlgorithm algorithmIdentifier
	EncryptedKey           []byte
}

type gmIssuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type gmEncryptedContentInfo struct {
	ContentType                asn1.ObjectIdentifier
	ContentEncryptionAlgorithm algorithmIdentifier
	EncryptedContent           []byte `asn1:"tag:0,optional"`
}

// sm2Cipher: GM/T 0009 §7.2 SM2Cipher (x, y of C1, C3 = SM3 hash, C2).
type sm2Cipher struct {
	X, Y       *big.Int
	Hash       []byte
	CipherText []byte
}

func fixed32(n *big.Int) []byte {
	out := make([]byte, 32)
	return n.FillBytes(out)
}

// gmEnvelopeOpen: opens a GM/T 0010 EnvelopedData with gmsm 1.3 alone: the SM2Cipher's key by
// sm2.Decrypt (C1‖C3‖C2 with the 04 prefix, its native form), the content by gmsm's SM4 in CBC
// with PKCS#7 padding. The structure is checked against the standard on the way.
func gmEnvelopeOpen(t task) (string, error) {
	data, err := der(t.File)
	if err != nil {
		return "", err
	}
	var ci gmContentInfo
	if rest, err := asn1.Unmarshal(data, &ci); err != nil || len(rest) != 0 {
		return "", fmt.Errorf("not a GM/T 0010 ContentInfo: %v", err)
	}
	if !ci.ContentType.Equal(oidGmEnveloped) {
		return "", fmt.Errorf("content type %v is not GM/T 0010 envelopedData", ci.ContentType)
	}
	ed := ci.Content
	eci := ed.EncryptedContentInfo
	if ed.Version != 1 || !eci.ContentType.Equal(oidGmData) || !eci.ContentEncryptionAlgorithm.Algorithm.Equal(oidSm4Cbc) {
		return "", fmt.Errorf("version %d, inner type %v, cipher %v", ed.Version, eci.ContentType, eci.ContentEncryptionAlgorithm.Algorithm)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(eci.ContentEncryptionAlgorithm.Parameters.FullBytes, &iv); err != nil || len(iv) != 16 {
		return "", errors.New("SM4-CBC parameters are not a 16-octet IV")
	}
	keyDer, err := der(t.Key)
	if err != nil {
		return "", err
	}
	priv, err := sm2.ParsePKCS8UnecryptedPrivateKey(keyDer)
	if err != nil {
		return "", err
	}
	if len(ed.RecipientInfos) != 1 {
		return "", fmt.Errorf("%d recipients, one expected", len(ed.RecipientInfos))
	}
	ri := ed.RecipientInfos[0]
	if ri.Version != 1 || !ri.KeyEncryptionAlgorithm.Algorithm.Equal(oidSm2Encrypt) {
		return "", fmt.Errorf("RecipientInfo version %d, key encryption %v", ri.Version, ri.KeyEncryptionAlgorithm.Algorithm)
	}
	var sc sm2Cipher
	if rest, err := asn1.Unmarshal(ri.EncryptedKey, &sc); err != nil || len(rest) != 0 {
		return "", fmt.Errorf("encryptedKey is not an SM2Cipher: %v", err)
	}
	raw := append(append(append(append([]byte{0x04}, fixed32(sc.X)...), fixed32(sc.Y)...), sc.Hash...), sc.CipherText...)
	key, err := sm2.Decrypt(priv, raw)
	if err != nil {
		return "", err
	}
	block, err := sm4.NewCipher(key)
	if err != nil {
		return "", err
	}
	if len(eci.EncryptedContent) == 0 || len(eci.EncryptedContent)%16 != 0 {
		return "", errors.New("encrypted content is not whole SM4 blocks")
	}
	plain := make([]byte, len(eci.EncryptedContent))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, eci.EncryptedContent)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > 16 || !bytes.Equal(plain[len(plain)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return "", errors.New("bad PKCS#7 padding")
	}
	plain = plain[:len(plain)-pad]
	if t.Content != "" {
		want, err := os.ReadFile(t.Content)
		if err != nil {
			return "", err
		}
		if !bytes.Equal(plain, want) {
			return "", errors.New("content differs")
		}
	}
	return fmt.Sprintf("%d octets opened with gmsm (SM2 key transport, SM4-CBC)", len(plain)), nil
}

// gmEnvelopeMake: a GM/T 0010 EnvelopedData to the certificate's SM2 key, made with gmsm 1.3
// (sm2.Encrypt, SM4-CBC) and encoding/asn1: what Signet must open in turn.
func gmEnvelopeMake(t task) (string, error) {
	certDer, err := der(t.Leaf)
	if err != nil {
		return "", err
	}
	c, err := sm2.ParseCertificate(certDer)
	if err != nil {
		return "", err
	}
	pub, err := sm2Key(c)
	if err != nil {
		return "", err
	}
	content, err := os.ReadFile(t.Content)
	if err != nil {
		return "", err
	}
	key := make([]byte, 16)
	iv := make([]byte, 16)
	if _, err := rand.Read(key); err != nil {
		return "", err
	}
	if _, err := rand.Read(iv); err != nil {
		return "", err
	}
	raw, err := sm2.Encrypt(pub, key)
	if err != nil {
		return "", err
	}
	encryptedKey, err := asn1.Marshal(sm2Cipher{new(big.Int).SetBytes(raw[1:33]), new(big.Int).SetBytes(raw[33:65]), raw[65:97], raw[97:]})
	if err != nil {
		return "", err
	}
	block, err := sm4.NewCipher(key)
	if err != nil {
		return "", err
	}
	pad := 16 - len(content)%16
	padded := append(append([]byte{}, content...), bytes.Repeat([]byte{byte(pad)}, pad)...)
	encrypted := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(encrypted, padded)
	ivDer, _ := asn1.Marshal(iv)
	out, err := asn1.Marshal(gmContentInfo{oidGmEnveloped, gmEnvelopedData{
		Version: 1,
		RecipientInfos: []gmRecipientInfo{{
			Version:                1,
			IssuerAndSerialNumber:  gmIssuerAndSerial{asn1.RawValue{FullBytes: c.RawIssuer}, c.SerialNumber},
			KeyEncryptionAlgorithm: algorithmIdentifier{Algorithm: oidSm2Encrypt},
			EncryptedKey:           encryptedKey,
		}},
		EncryptedContentInfo: gmEncryptedContentInfo{oidGmData, algorithmIdentifier{oidSm4Cbc, asn1.RawValue{FullBytes: ivDer}}, encrypted},
	}})
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(t.Out, out, 0o600); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d-octet GM/T 0010 envelope made with gmsm", len(out)), nil
}

// parse: the certificate parses (policies, extensions) with crypto/x509 alone.
func parse(t task) (string, error) {
	c, err := cert(t.File)
	if err != nil {
		return "", err
	}
	return c.Subject.String(), nil
}

func main() {
	var tasks []task
	if err := json.NewDecoder(os.Stdin).Decode(&tasks); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ops := map[string]func(task) (string, error){"chain": chain, "crl": crl, "ocsp": ocspResponse, "sm2": sm2Signed, "sm2chain": sm2Chain, "gmenvelope-open": gmEnvelopeOpen, "gmenvelope-make": gmEnvelopeMake, "parse": parse}
	results := []result{}
	for _, t := range tasks {
		op, ok := ops[t.Op]
		if !ok {
			results = append(results, result{t.ID, false, "unknown op " + t.Op})
			continue
		}
		detail, err := op(t)
		if err != nil {
			detail = err.Error()
		}
		results = append(results, result{t.ID, err == nil, detail})
	}
	_ = json.NewEncoder(os.Stdout).Encode(results)
}
