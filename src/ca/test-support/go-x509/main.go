// Parses each DER certificate named on the command line with Go's crypto/x509,
// a strict parser nobody on the Signet project wrote (issue 15: what Signet
// signs must parse there). Prints one line per file; exits 1 if any fails.
package main

import (
	"crypto/x509"
	"fmt"
	"os"
)

func main() {
	failed := false
	for _, path := range os.Args[1:] {
		der, err := os.ReadFile(path)
		if err == nil {
			_, err = x509.ParseCertificate(der)
		}
		if err != nil {
			failed = true
			fmt.Printf("%s: %v\n", path, err)
		} else {
			fmt.Printf("%s: ok\n", path)
		}
	}
	if failed {
		os.Exit(1)
	}
}
