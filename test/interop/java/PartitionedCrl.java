// A relying party that checks the leaf by CRL only, fetching the CRL from the certificate's
// cRLDistributionPoints over HTTP (issue 22, partitioned CRLs): Java's PKIX (SUN, with
// com.sun.security.enableCRLDP) and BouncyCastle's PKIX (org.bouncycastle.x509.enableCRLDP).
// Both match the CRL's issuingDistributionPoint against the certificate's distribution point
// (RFC 5280 §6.3.3 (b)). Arguments: root.pem issuing.pem leaf.pem; one line per provider.
import java.io.*;
import java.nio.file.*;
import java.security.*;
import java.security.cert.*;
import java.util.*;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

public class PartitionedCrl {
  public static void main(String[] args) throws Exception {
    Security.addProvider(new BouncyCastleProvider());
    System.setProperty("com.sun.security.enableCRLDP", "true");
    System.setProperty("org.bouncycastle.x509.enableCRLDP", "true");
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    X509Certificate root = load(factory, args[0]);
    X509Certificate issuing = load(factory, args[1]);
    X509Certificate leaf = load(factory, args[2]);
    for (String provider : List.of("SUN", "BC")) {
      System.out.println(provider + " " + validate(factory, provider, root, issuing, leaf));
    }
  }

  static String validate(CertificateFactory factory, String provider, X509Certificate root, X509Certificate issuing, X509Certificate leaf) throws Exception {
    CertPathValidator validator = provider.equals("BC") ? CertPathValidator.getInstance("PKIX", "BC") : CertPathValidator.getInstance("PKIX");
    PKIXRevocationChecker checker = (PKIXRevocationChecker) validator.getRevocationChecker();
    // The leaf only, by CRL (its distribution point), and no OCSP when the CRL cannot be had.
    checker.setOptions(EnumSet.of(PKIXRevocationChecker.Option.PREFER_CRLS, PKIXRevocationChecker.Option.NO_FALLBACK, PKIXRevocationChecker.Option.ONLY_END_ENTITY));
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
    params.setRevocationEnabled(true);
    params.addCertPathChecker(checker);
    try {
      validator.validate(factory.generateCertPath(List.of(leaf, issuing)), params);
      return "ok";
    } catch (CertPathValidatorException e) {
      return "fail index=" + e.getIndex() + " reason=" + e.getReason() + " " + String.valueOf(e.getMessage()).replace('\n', ' ');
    }
  }

  static X509Certificate load(CertificateFactory factory, String path) throws Exception {
    try (InputStream in = Files.newInputStream(Paths.get(path))) {
      return (X509Certificate) factory.generateCertificate(in);
    }
  }
}
