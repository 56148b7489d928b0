// PKCS#10 requests made by Go's crypto/x509 (CreateCertificateRequest), one
// base64 DER per line on stdout: fuzz seeds from an encoder nobody at Signet
// wrote (issue 15 item 6). Run by test/fuzz/fuzz.ts, offline, in GOPATH mode.
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"os"
)

func main() {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	uri, _ := url.Parse("https://fuzz.example/go")
	// keyUsage digitalSignature, critical, as a requested extension beside the SANs Go writes itself.
	keyUsage, _ := asn1.Marshal(asn1.BitString{Bytes: []byte{0x80}, BitLength: 1})
	requests := []struct {
		key       crypto.Signer
		algorithm x509.SignatureAlgorithm
		template  x509.CertificateRequest
	}{
		{p256, x509.ECDSAWithSHA256, x509.CertificateRequest{Subject: pkix.Name{CommonName: "fuzz go p256", Organization: []string{"Signet"}}, DNSNames: []string{"fuzz.example", "www.fuzz.example"}}},
		{p384, x509.ECDSAWithSHA384, x509.CertificateRequest{Subject: pkix.Name{CommonName: "fuzz go p384", Country: []string{"CN"}}, EmailAddresses: []string{"fuzz@fuzz.example"}, IPAddresses: []net.IP{net.ParseIP("192.0.2.7"), net.ParseIP("2001:db8::7")}}},
		{rsaKey, x509.SHA256WithRSA, x509.CertificateRequest{Subject: pkix.Name{CommonName: "fuzz go rsa"}, URIs: []*url.URL{uri}, ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 15}, Critical: true, Value: keyUsage}}}},
		{rsaKey, x509.SHA256WithRSAPSS, x509.CertificateRequest{Subject: pkix.Name{CommonName: "fuzz go rsa-pss"}, DNSNames: []string{"pss.fuzz.example"}}},
		{edKey, x509.PureEd25519, x509.CertificateRequest{Subject: pkix.Name{CommonName: "fuzz go ed25519", OrganizationalUnit: []string{"Fuzz"}}, DNSNames: []string{"ed.fuzz.example"}}},
	}
	for _, r := range requests {
		r.template.SignatureAlgorithm = r.algorithm
		der, err := x509.CreateCertificateRequest(rand.Reader, &r.template, r.key)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(base64.StdEncoding.EncodeToString(der))
	}
}
