// Verifier of Signet's artefacts with Go's crypto/x509, x/crypto/ocsp and gmsm
// (Debian packages, built offline against /usr/share/gocode). Reads a JSON list of
// tasks on stdin, answers one JSON result per task: the test suite batches many
// artefacts into one run.
package main

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"

	"github.com/tjfoc/gmsm/sm2"
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
	pub, ok := issuer.PublicKey.(*sm2.PublicKey)
	if !ok {
		return "", errors.New("issuer key is not SM2")
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
	ops := map[string]func(task) (string, error){"chain": chain, "crl": crl, "ocsp": ocspResponse, "sm2": sm2Signed, "parse": parse}
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
